/**
 * The tokens of one piece of code (tokens.ts), read and compared in place for the lean rewrite
 * (generator/lean-ajv-code.ts): a token's text, a run of tokens against expected code, a
 * bracketed list's parts, names by id.
 */
import { K, tokenize, type Kind, type Tokens } from './tokens.js';

/** Code to look for, as tokens: kinds, and for each name or keyword its id in the code looked in (-1: absent) or a literal's text. */
export interface Pattern {
  readonly kinds: Uint8Array;
  readonly ids: Int32Array;
  readonly texts: readonly (string | undefined)[];
}

/** The tokens of one piece of code, read in place (no string per token unless asked). */
export interface TokenView {
  readonly code: string;
  /** How many tokens. */
  readonly n: number;
  readonly kinds: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** A name's or keyword's id (its text is `names[id]`), -1 for other tokens. */
  readonly ids: Int32Array;
  readonly names: readonly string[];
  /** The indices of the tokens that are names or keywords, in order (a pass that reads only names walks these). */
  readonly words: Int32Array;
  /** The position in `words` of the first word at token `i` or after. */
  wordAt(i: number): number;
  /** Index of the closing bracket of every opening one, -1 for other tokens. */
  readonly closer: Int32Array;
  /** The text of token `i` (undefined past the end); a name's is not sliced again. */
  txt(i: number): string | undefined;
  /** Does token `i` start with the character `c`? (A cheap test before slicing its text.) */
  startsWith(i: number, c: string): boolean;
  /** The code of tokens [from, to), whitespace included. */
  text(from: number, to: number): string;
  /** The code of tokens [from, to), without the whitespace between them. */
  flat(from: number, to: number): string;
  /** Is token `i` of `kind` (and does it spell `value`, when given)? */
  is(i: number, kind: Kind, value?: string): boolean;
  /** Do tokens [from, to) spell `expected`, without the whitespace between them? Compared in place. */
  spells(from: number, to: number, expected: string): boolean;
  /** Comma-separated parts of the bracketed list opening at `open`, as token ranges. */
  parts(open: number): [number, number][];
  /** Code to look for, read as tokens once (write it with spaces between words: `let errors = 0;`). */
  pattern(text: string): Pattern;
  /** Do the tokens from `from` on read as `pattern`? Compared token by token: kinds, and names by id. */
  matches(from: number, pattern: Pattern): boolean;
  /** The id of a name (or keyword), -1 when the code has none such. */
  idOf(name: string): number;
  /** A flag per name id: 1 where `test` holds of the name (a test per distinct name, not per token). */
  nameFlags(test: (name: string) => boolean): Uint8Array;
}

export function createTokenView(code: string, { kinds, starts, ends, ids, closer, words, names }: Tokens): TokenView {
  const n = kinds.length;
  const txt = (i: number): string | undefined => (i < 0 || i >= n ? undefined : ids[i]! >= 0 ? names[ids[i]!] : code.slice(starts[i]!, ends[i]!));
  /** Does token `i` spell `value`, compared in place (no slice)? */
  const spellsToken = (i: number, value: string): boolean => (ids[i]! >= 0 ? names[ids[i]!] === value : ends[i]! - starts[i]! === value.length && code.startsWith(value, starts[i]!));
  let byName: Map<string, number> | undefined;
  const idOf = (name: string): number => {
    byName ??= new Map(names.map((text, id) => [text, id]));
    return byName.get(name) ?? -1;
  };
  return {
    code,
    n,
    kinds,
    starts,
    ends,
    ids,
    names,
    words,
    wordAt(i) {
      let lo = 0;
      let hi = words.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (words[mid]! < i) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
    closer,
    txt,
    startsWith: (i, c) => code.charCodeAt(starts[i]!) === c.charCodeAt(0),
    text: (from, to) => code.slice(starts[from]!, ends[to - 1]!),
    flat(from, to) {
      let s = '';
      for (let i = from, end = Math.min(to, n); i < end; i++) s += txt(i)!;
      return s;
    },
    is: (i, kind, value) => kinds[i] === kind && (value === undefined || spellsToken(i, value)),
    spells(from, to, expected) {
      if (to > n || from < 0) return false;
      let at = 0;
      for (let i = from; i < to; i++) {
        const start = starts[i]!;
        const length = ends[i]! - start;
        if (at + length > expected.length) return false;
        for (let k = 0; k < length; k++) if (code.charCodeAt(start + k) !== expected.charCodeAt(at + k)) return false;
        at += length;
      }
      return at === expected.length;
    },
    parts(open) {
      const out: [number, number][] = [];
      const end = closer[open]!;
      let from = open + 1;
      for (let i = from; i < end; i++) {
        if (closer[i]! >= 0) i = closer[i]!;
        else if (kinds[i] === K.CommaToken) {
          out.push([from, i]);
          from = i + 1;
        }
      }
      if (from < end) out.push([from, end]);
      return out;
    },
    pattern(text) {
      const tokens = tokenize(text);
      if (!tokens) throw new Error(`lean-ajv tokens: not a pattern: ${text}`);
      const texts = [...tokens.kinds].map((kind, k) => (kind === K.StringLiteral || kind === K.NumericLiteral || kind === K.RegularExpressionLiteral ? text.slice(tokens.starts[k]!, tokens.ends[k]!) : undefined));
      const patternIds = Int32Array.from(tokens.ids, (id) => (id >= 0 ? idOf(tokens.names[id]!) : -1));
      return { kinds: tokens.kinds, ids: patternIds, texts };
    },
    matches(from, pattern) {
      const length = pattern.kinds.length;
      if (from < 0 || from + length > n) return false;
      for (let k = 0; k < length; k++) {
        const i = from + k;
        if (kinds[i] !== pattern.kinds[k]) return false;
        if (ids[i]! >= 0 ? ids[i] !== pattern.ids[k] : pattern.texts[k] !== undefined && !spellsToken(i, pattern.texts[k]!)) return false;
      }
      return true;
    },
    idOf,
    nameFlags(test) {
      const flags = new Uint8Array(names.length);
      for (let id = 0; id < names.length; id++) if (test(names[id]!)) flags[id] = 1;
      return flags;
    },
  };
}
