/**
 * The tokens of Ajv's standalone code, for the lean rewrite (generator/lean-ajv-code.ts): a lexer
 * for the subset of JavaScript Ajv writes, the brackets matched, and a view that reads and
 * compares tokens in place.
 */
/** Token kinds: `name`, `string`, `number`, `regexp`, a keyword's own text, or a punctuator's. */
export type Kind = string;

export const K = {
  Identifier: 'name',
  StringLiteral: 'string',
  OpenParenToken: '(',
  CloseParenToken: ')',
  OpenBraceToken: '{',
  CloseBraceToken: '}',
  OpenBracketToken: '[',
  CloseBracketToken: ']',
  CommaToken: ',',
  SemicolonToken: ';',
  ColonToken: ':',
  DotToken: '.',
  EqualsToken: '=',
  PlusToken: '+',
  PlusPlusToken: '++',
  ExclamationToken: '!',
  ConstKeyword: 'const',
  LetKeyword: 'let',
  VarKeyword: 'var',
  FunctionKeyword: 'function',
  IfKeyword: 'if',
  ElseKeyword: 'else',
  ReturnKeyword: 'return',
  FalseKeyword: 'false',
} as const;

/**
 * The tokens of the code, by index: kind, start and end in arrays (no object per token, no
 * string per name: the code of a 200-message spec has 400 000 tokens).
 */
export interface Tokens {
  readonly kinds: Kind[];
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Names that are already of a short form (names.ts does not shorten their family). */
  readonly shortNames: ReadonlySet<string>;
}

const KEYWORD_LIST = ['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'let', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield'];
/** Keywords by their first character, compared in place: most names are not keywords, and slicing each to look it up costs. */
const KEYWORDS: (readonly string[] | undefined)[] = [];
for (const k of KEYWORD_LIST) KEYWORDS[k.charCodeAt(0)] = [...(KEYWORDS[k.charCodeAt(0)] ?? []), k];
/** Punctuators, longest first so that `===` is read before `==` and `=`. */
const PUNCTUATOR_LIST = ['>>>=', '...', '===', '!==', '**=', '<<=', '>>=', '>>>', '&&=', '||=', '??=', '=>', '==', '!=', '<=', '>=', '&&', '||', '??', '?.', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<', '>>', '**', '{', '}', '(', ')', '[', ']', ';', ',', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^', '!', '~', '?', ':', '=', '.', '@', '#'];
/** Punctuators by their first character, longest first. */
const PUNCTUATORS: (readonly string[] | undefined)[] = [];
for (const p of PUNCTUATOR_LIST) PUNCTUATORS[p.charCodeAt(0)] = [...(PUNCTUATORS[p.charCodeAt(0)] ?? []), p];

/** After these a `/` starts a regular expression (Ajv writes one when it escapes a property name); after others it divides. */
const BEFORE_REGEX = new Set(['(', ',', '=', ':', '[', '!', '&&', '||', '?', '{', '}', ';', 'return', 'typeof', '===', '!==', '==', '!=']);

const isNameStart = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
const isNamePart = (c: number): boolean => isNameStart(c) || (c >= 48 && c <= 57);

/**
 * The tokens of Ajv's standalone code, or undefined for anything it does not write (a template
 * literal, a non-ASCII name, an unterminated string): the caller then keeps the code as it is.
 * A lexer for that subset of JavaScript, not a general one: TypeScript's scanner (or acorn) reads
 * a 200-message spec's code in 200 ms or more cold, loading TypeScript into the main thread
 * included, where this reads it in a few tens.
 */
export function tokenize(code: string): Tokens | undefined {
  const kinds: Kind[] = [];
  const shortNames = new Set<string>();
  const n = code.length;
  let starts = new Int32Array(1 << 16);
  let ends = new Int32Array(1 << 16);
  const push = (kind: Kind, start: number, end: number): void => {
    const k = kinds.length;
    if (k === starts.length) {
      const more = new Int32Array(k * 2);
      more.set(starts);
      starts = more;
      const moreEnds = new Int32Array(k * 2);
      moreEnds.set(ends);
      ends = moreEnds;
    }
    kinds.push(kind);
    starts[k] = start;
    ends[k] = end;
  };
  let i = 0;
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
    let kind: Kind;
    if (isNameStart(c)) {
      // `$` names are the helpers' (LEAN_HELPERS in lean-ajv-code.ts): code that has one already is not Ajv's.
      if (c === 36) return undefined;
      while (i < n && isNamePart(code.charCodeAt(i))) i++;
      // Names of the short forms (v1, d, k0, m2) taken already: that family is not shortened.
      if (c === 118 || c === 100 || c === 107 || c === 109) {
        let digits = start + 1;
        while (digits < i && code.charCodeAt(digits) >= 48 && code.charCodeAt(digits) <= 57) digits++;
        if (digits === i) shortNames.add(code.slice(start, i));
      }
      // Keywords are short and lower-case: most names are told from them without slicing the name.
      let kind: Kind = 'name';
      const candidates = KEYWORDS[c];
      if (candidates !== undefined) {
        for (const k of candidates) if (k.length === i - start && code.startsWith(k, start)) kind = k;
      }
      push(kind, start, i);
      continue;
    } else if (c >= 48 && c <= 57) {
      while (i < n && (isNamePart(code.charCodeAt(i)) || code.charCodeAt(i) === 46)) i++;
      kind = 'number';
    } else if (c === 34 || c === 39) {
      i++;
      while (i < n && code.charCodeAt(i) !== c) {
        const d = code.charCodeAt(i);
        if (d === 10) return undefined;
        i += d === 92 ? 2 : 1;
      }
      if (i >= n) return undefined;
      i++;
      kind = 'string';
    } else if (c === 47 && (kinds.length === 0 || BEFORE_REGEX.has(kinds[kinds.length - 1]!))) {
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
      while (i < n && isNamePart(code.charCodeAt(i))) i++;
      kind = 'regexp';
    } else {
      const candidates = PUNCTUATORS[c];
      const p = candidates?.length === 1 ? candidates[0] : candidates?.find((q) => code.startsWith(q, i));
      if (p === undefined) return undefined;
      i += p.length;
      kind = p;
    }
    push(kind, start, i);
  }
  return { kinds, starts: starts.subarray(0, kinds.length), ends: ends.subarray(0, kinds.length), shortNames };
}

/** Code the rewrite does not understand: `leanAjvCode` then keeps Ajv's code as it is. */
export class Unsupported extends Error {}

/** The tokens of one piece of code, read in place (no string per token unless asked). */
export interface TokenView {
  readonly code: string;
  /** How many tokens. */
  readonly n: number;
  readonly kinds: readonly Kind[];
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Index of the closing bracket of every opening one, -1 for other tokens. */
  readonly closer: Int32Array;
  /** The text of token `i` (undefined past the end). */
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
}

export function createTokenView(code: string, { kinds, starts, ends }: Tokens): TokenView {
  const n = kinds.length;
  const closer = matchBrackets(kinds);
  const txt = (i: number): string | undefined => (i < 0 || i >= n ? undefined : code.slice(starts[i]!, ends[i]!));
  /** Does token `i` spell `value`, compared in place (no slice)? */
  const spellsToken = (i: number, value: string): boolean => ends[i]! - starts[i]! === value.length && code.startsWith(value, starts[i]!);
  return {
    code,
    n,
    kinds,
    starts,
    ends,
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
  };
}

/** Index of the closing bracket of every opening one, -1 for other tokens. */
export function matchBrackets(kinds: readonly Kind[]): Int32Array {
  const n = kinds.length;
  // A typed array: a plain one this long would be a dictionary.
  const closer = new Int32Array(n).fill(-1);
  const stack: number[] = [];
  const opening = (k: Kind | undefined): Kind | undefined => (k === K.CloseBraceToken ? K.OpenBraceToken : k === K.CloseParenToken ? K.OpenParenToken : k === K.CloseBracketToken ? K.OpenBracketToken : undefined);
  for (let i = 0; i < n; i++) {
    const k = kinds[i];
    if (k === K.OpenBraceToken || k === K.OpenParenToken || k === K.OpenBracketToken) stack.push(i);
    else {
      const open = opening(k);
      if (open === undefined) continue;
      const at = stack.pop();
      if (at === undefined || kinds[at] !== open) throw new Unsupported();
      closer[at] = i;
    }
  }
  if (stack.length) throw new Unsupported();
  return closer;
}
