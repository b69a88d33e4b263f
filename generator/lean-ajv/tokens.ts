/**
 * The tokens of Ajv's standalone code, for the lean rewrite (generator/lean-ajv-code.ts): a lexer
 * for the subset of JavaScript Ajv writes, with the brackets matched and the names interned
 * (token-view.ts reads and compares them in place).
 */
const KEYWORD_LIST = ['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'let', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield'];
/** Punctuators, longest first so that `===` is read before `==` and `=`. */
const PUNCTUATOR_LIST = ['>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=', '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<', '>>', '**', '{', '}', '(', ')', '[', ']', ';', ',', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^', '!', '~', '?', ':', '=', '.', '@', '#'];

/**
 * Token kinds, as small numbers (a byte per token, compared as integers): `name`, `string`,
 * `number`, `regexp`, then each keyword and each punctuator. `KIND_NAMES[kind]` is its text.
 */
export type Kind = number;
export const KIND_NAMES: readonly string[] = ['name', 'string', 'number', 'regexp', ...KEYWORD_LIST, ...PUNCTUATOR_LIST];
const kindOf = (text: string): Kind => KIND_NAMES.indexOf(text);

export const K = {
  Identifier: 0,
  StringLiteral: 1,
  NumericLiteral: 2,
  RegularExpressionLiteral: 3,
  OpenParenToken: kindOf('('),
  CloseParenToken: kindOf(')'),
  OpenBraceToken: kindOf('{'),
  CloseBraceToken: kindOf('}'),
  OpenBracketToken: kindOf('['),
  CloseBracketToken: kindOf(']'),
  CommaToken: kindOf(','),
  SemicolonToken: kindOf(';'),
  ColonToken: kindOf(':'),
  DotToken: kindOf('.'),
  EqualsToken: kindOf('='),
  EqualsEqualsEqualsToken: kindOf('==='),
  PlusToken: kindOf('+'),
  PlusPlusToken: kindOf('++'),
  ExclamationToken: kindOf('!'),
  ConstKeyword: kindOf('const'),
  LetKeyword: kindOf('let'),
  VarKeyword: kindOf('var'),
  FunctionKeyword: kindOf('function'),
  ClassKeyword: kindOf('class'),
  ExportKeyword: kindOf('export'),
  IfKeyword: kindOf('if'),
  ElseKeyword: kindOf('else'),
  ReturnKeyword: kindOf('return'),
  FalseKeyword: kindOf('false'),
} as const;

/**
 * The tokens of the code, by index: kind, start and end in typed arrays, and for a name or a
 * keyword the index of its text in `names` (no object per token, no string per name: the code
 * of a 200-message spec has 400 000 tokens and only 1 500 distinct names).
 */
export interface Tokens {
  readonly kinds: Uint8Array;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Index in `names` of a name's or a keyword's text; -1 for other tokens. */
  readonly ids: Int32Array;
  /** Index of the closing bracket of every opening one, -1 for other tokens (unbalanced brackets: no tokens). */
  readonly closer: Int32Array;
  /** The indices of the tokens that are names or keywords, in order. */
  readonly words: Int32Array;
  /** The distinct names and keywords, by id; the keywords first (ids 0 to 36). */
  readonly names: readonly string[];
  /** Names that are already of a short form (names.ts does not shorten their family). */
  readonly shortNames: ReadonlySet<string>;
}

/** Punctuators by their first character, longest first, with their kinds. */
const PUNCTUATORS: (readonly string[] | undefined)[] = [];
const PUNCTUATOR_KINDS: (readonly Kind[] | undefined)[] = [];
for (const p of PUNCTUATOR_LIST) {
  PUNCTUATORS[p.charCodeAt(0)] = [...(PUNCTUATORS[p.charCodeAt(0)] ?? []), p];
  PUNCTUATOR_KINDS[p.charCodeAt(0)] = [...(PUNCTUATOR_KINDS[p.charCodeAt(0)] ?? []), kindOf(p)];
}

// The tokenizer matches a bracket by its kind: each closing one's is its opening one's plus one.
if (K.CloseParenToken !== K.OpenParenToken + 1 || K.CloseBraceToken !== K.OpenBraceToken + 1 || K.CloseBracketToken !== K.OpenBracketToken + 1) throw new Error('lean-ajv tokens: bracket kinds out of order');

/** The kind of a punctuator that is its first character alone, by that character; -1 where a longer one may start. */
const SINGLE_PUNCTUATOR = new Int16Array(128).fill(-1);
for (let c = 0; c < 128; c++) if (PUNCTUATORS[c]?.length === 1 && PUNCTUATORS[c]![0]!.length === 1) SINGLE_PUNCTUATOR[c] = PUNCTUATOR_KINDS[c]![0]!;

/** The kind of the one-character punctuator of a character that may start longer ones too (`=`, `.`, `!`), by that character; -1 for others. */
const ONE_CHAR_PUNCTUATOR = new Int16Array(128).fill(-1);
/** Characters that continue a punctuator (the second of `==`, `=>`, `?.`, …): after one of the others a punctuator has one character. */
const CONTINUES_PUNCTUATOR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const candidates = PUNCTUATORS[c];
  if (candidates === undefined || SINGLE_PUNCTUATOR[c] !== -1) continue;
  const one = candidates.indexOf(String.fromCharCode(c));
  if (one >= 0) ONE_CHAR_PUNCTUATOR[c] = PUNCTUATOR_KINDS[c]![one]!;
  for (const p of candidates) if (p.length > 1) CONTINUES_PUNCTUATOR[p.charCodeAt(1)] = 1;
}

/** After these a `/` starts a regular expression (Ajv writes one when it escapes a property name); after others it divides. By kind. */
const BEFORE_REGEX = new Uint8Array(KIND_NAMES.length);
for (const t of ['(', ',', '=', ':', '[', '!', '&&', '||', '?', '{', '}', ';', 'return', 'typeof', '===', '!==', '==', '!=']) BEFORE_REGEX[kindOf(t)] = 1;

/** The characters after a name's first; sticky, it always matches (maybe nothing) where it is set. */
const NAME_REST = /[A-Za-z0-9_$]*/y;

/** Character classes, by code: 1 starts a name (and continues it), 2 only continues it. */
const NAME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) NAME_CHAR[c] = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 ? 1 : c >= 48 && c <= 57 ? 2 : 0;

/**
 * The tokens of Ajv's standalone code, or undefined for anything it does not write (a template
 * literal, a non-ASCII name, an unterminated string): the caller then keeps the code as it is.
 * A lexer for that subset of JavaScript, not a general one: TypeScript's scanner (or acorn) reads
 * a 200-message spec's code in 200 ms or more cold, loading TypeScript into the main thread
 * included, where this reads it in a few tens.
 *
 * Names are interned as they are read (hashed in the same pass, compared in place against the
 * table): a keyword is a name whose id is below the keywords' count, and no name is sliced twice.
 */
export function tokenize(code: string): Tokens | undefined {
  const shortNames = new Set<string>();
  const n = code.length;
  // About one token per four characters in Ajv's code; grown by doubling past that.
  let size = Math.max(1024, Math.ceil(n / 3));
  let kinds = new Uint8Array(size);
  let starts = new Int32Array(size);
  let ends = new Int32Array(size);
  // -1 (no name, no bracket) unless set: filled natively, not token by token.
  let ids = new Int32Array(size).fill(-1);
  let closer = new Int32Array(size).fill(-1);
  let count = 0;
  // The names' and keywords' tokens, in order: the passes that look only at names walk these.
  let words = new Int32Array(size);
  let wordCount = 0;
  // Opening brackets not closed yet, innermost last.
  let open = new Int32Array(256);
  let depth = 0;
  const grow = (): void => {
    size *= 2;
    const k = new Uint8Array(size);
    k.set(kinds);
    kinds = k;
    const s = new Int32Array(size);
    s.set(starts);
    starts = s;
    const e = new Int32Array(size);
    e.set(ends);
    ends = e;
    const w = new Int32Array(size);
    w.set(words);
    words = w;
    const d = new Int32Array(size).fill(-1);
    d.set(ids);
    ids = d;
    const b = new Int32Array(size).fill(-1);
    b.set(closer);
    closer = b;
  };

  // The names read so far: their ids by text, and their texts by id.
  const names: string[] = [];
  const byName = new Map<string, number>();
  for (const k of KEYWORD_LIST) {
    byName.set(k, names.length);
    names.push(k);
  }
  const keywords = KEYWORD_LIST.length;
  const KEYWORD_KIND = 4;

  let i = 0;
  let last = -1;
  // Where the next newline and backslash are (an unsigned -1 when there is none: past any string).
  let nextNewline = -1;
  let nextBackslash = -1;
  while (i < n) {
    const c = code.charCodeAt(i);
    if (c === 32 || c === 10 || c === 9 || c === 13) {
      i++;
      continue;
    }
    const start = i;
    if (c === 47 && code.charCodeAt(i + 1) === 47) {
      while (i < n && code.charCodeAt(i) !== 10) i++;
      continue;
    }
    if (c === 47 && code.charCodeAt(i + 1) === 42) {
      const end = code.indexOf('*/', i + 2);
      if (end < 0) return undefined;
      i = end + 2;
      continue;
    }
    if (count === size) grow();
    let kind: Kind;
    let id = -1;
    if (c < 128 && NAME_CHAR[c] === 1) {
      // `$` names are the helpers' (LEAN_HELPERS in lean-ajv-code.ts): code that has one already is not Ajv's.
      if (c === 36) return undefined;
      // The rest of the name, scanned natively.
      NAME_REST.lastIndex = i + 1;
      NAME_REST.test(code);
      i = NAME_REST.lastIndex;
      const name = code.slice(start, i);
      const known = byName.get(name);
      if (known === undefined) {
        id = names.length;
        names.push(name);
        byName.set(name, id);
        // Names of the short forms (v1, d, k0, m2) taken already: that family is not shortened.
        if ((c === 118 || c === 100 || c === 107 || c === 109) && /^.\d*$/.test(name)) shortNames.add(name);
      } else id = known;
      kind = id < keywords ? KEYWORD_KIND + id : K.Identifier;
      words[wordCount++] = count;
    } else if (c >= 48 && c <= 57) {
      for (let d = code.charCodeAt(i); i < n && ((d < 128 && NAME_CHAR[d] !== 0) || d === 46); d = code.charCodeAt(++i));
      kind = K.NumericLiteral;
    } else if (c === 34 || c === 39) {
      // The closing quote found natively; read char by char only when a backslash comes first.
      const close = code.indexOf(c === 34 ? '"' : "'", i + 1);
      if (close < 0) return undefined;
      if (nextNewline < i) nextNewline = code.indexOf('\n', i) >>> 0;
      if (nextBackslash < i) nextBackslash = code.indexOf('\\', i) >>> 0;
      if (nextBackslash < close) {
        i++;
        while (i < n && code.charCodeAt(i) !== c) {
          const d = code.charCodeAt(i);
          if (d === 10) return undefined;
          i += d === 92 ? 2 : 1;
        }
        if (i >= n) return undefined;
        i++;
      } else if (nextNewline < close) return undefined;
      else i = close + 1;
      kind = K.StringLiteral;
    } else if (c === 47 && (last === -1 || BEFORE_REGEX[last] === 1)) {
      i++;
      let inClass = false;
      while (i < n) {
        const d = code.charCodeAt(i);
        if (d === 10) return undefined;
        if (d === 92) i++;
        else if (d === 91) inClass = true;
        else if (d === 93) inClass = false;
        else if (d === 47 && !inClass) break;
        i++;
      }
      if (i >= n) return undefined;
      i++;
      for (let d = code.charCodeAt(i); i < n && d < 128 && NAME_CHAR[d] !== 0; d = code.charCodeAt(++i));
      kind = K.RegularExpressionLiteral;
    } else {
      const single = c < 128 ? SINGLE_PUNCTUATOR[c]! : -1;
      if (single >= 0) {
        i++;
        kind = single;
        if (kind === K.OpenBraceToken || kind === K.OpenParenToken || kind === K.OpenBracketToken) {
          if (depth === open.length) {
            const more = new Int32Array(depth * 2);
            more.set(open);
            open = more;
          }
          open[depth++] = count;
        } else if (kind === K.CloseBraceToken || kind === K.CloseParenToken || kind === K.CloseBracketToken) {
          // Brackets must match: `(` with `)`, and so on (their kinds differ by one).
          if (depth === 0 || kinds[open[depth - 1]!] !== kind - 1) return undefined;
          closer[open[--depth]!] = count;
        }
      } else if (c < 128 && ONE_CHAR_PUNCTUATOR[c]! >= 0 && !(code.charCodeAt(i + 1) < 128 && CONTINUES_PUNCTUATOR[code.charCodeAt(i + 1)] === 1)) {
        // `=`, `.` or `!` alone, told by the character after it, without trying the longer ones.
        i++;
        kind = ONE_CHAR_PUNCTUATOR[c]!;
      } else {
        const candidates = PUNCTUATORS[c];
        if (candidates === undefined) return undefined;
        let p = 0;
        while (p < candidates.length && !code.startsWith(candidates[p]!, i)) p++;
        if (p === candidates.length) return undefined;
        i += candidates[p]!.length;
        kind = PUNCTUATOR_KINDS[c]![p]!;
      }
      kinds[count] = kind;
      starts[count] = start;
      ends[count] = i;
      count++;
      last = kind;
      continue;
    }
    kinds[count] = kind;
    starts[count] = start;
    ends[count] = i;
    ids[count] = id;
    count++;
    last = kind;
  }
  if (depth) return undefined;
  return { kinds: kinds.subarray(0, count), starts: starts.subarray(0, count), ends: ends.subarray(0, count), ids: ids.subarray(0, count), closer: closer.subarray(0, count), words: words.subarray(0, wordCount), names, shortNames };
}

/** Code the rewrite does not understand: `leanAjvCode` then keeps Ajv's code as it is. */
export class Unsupported extends Error {}
