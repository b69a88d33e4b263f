/**
 * Ajv standalone code, made lean: the same checks in the same order, with every error object
 * built by one shared runtime helper (runtime/ajv-errors.ts) from a table of error sites, and
 * instance paths built only when a check fails.
 *
 * Ajv writes each failure as an object literal (instance path, keyword, params, schemaPath,
 * message), a third of its code, and passes every shared function an options object with the
 * instance path concatenated, on every call, valid or not. Here:
 * - `validateN.errors = [{…}]; return false;` becomes `return $f(validateN, path, site[, params])`,
 *   and a composite rule's `const errN = {…};` becomes `const errN = $e(path, site[, params]);`:
 *   keyword and constant params come from the table `$sites`; the message is worded when read
 *   (runtime/validation.ts). schemaPath, which no issue reports, is dropped.
 * - A function's paths are relative to its own data; a caller prefixes a failed callee's errors
 *   with the callee's location (`$n`), so a call passes the data alone.
 *
 * The code is read as tokens (see `tokenize`; a full parse costs a quarter second on a
 * 200-message spec, more than the build may grow); every rewrite matches a whole construct
 * Ajv emits, bracket-balanced. Anything else in the code makes `leanAjvCode` return undefined and
 * the caller keeps Ajv's code as it is: slower and bigger, never different.
 */
/** Token kinds: `name`, `string`, `number`, `regexp`, a keyword's own text, or a punctuator's. */
type Kind = string;

const K = {
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
interface Tokens {
  readonly kinds: Kind[];
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  /** Names that are already of a short form (see SHORT). */
  readonly shortNames: ReadonlySet<string>;
}

const KEYWORD_LIST = ['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do', 'else', 'export', 'extends', 'false', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'let', 'new', 'null', 'return', 'super', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield'];
/** Each keyword to its one string, so that comparing kinds compares pointers. */
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
function tokenize(code: string): Tokens | undefined {
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
      // `$` names are the helpers' (LEAN_HELPERS): code that has one already is not Ajv's.
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

/** Names of the shared helpers in generated code: `$` names, which Ajv never writes. */
export const LEAN_HELPERS = { fail: '$f', error: '$e', nest: '$n', rethrow: '$r', collected: '$v', exported: '$x', sites: '$sites' } as const;

/** The import of the helpers the rewritten code calls, from the runtime module at `module` (a string literal). */
export function leanHelpersImport(module: string): string {
  const h = LEAN_HELPERS;
  return `import { createErrorHelpers, exported as ${h.exported}, failCollected as ${h.collected}, failWith as ${h.rethrow}, nestErrors as ${h.nest} } from ${module};`;
}

/** The parameter list Ajv gives every function when no dynamic scope or `$data` is in use. */
const AJV_PARAMS = '(data,{instancePath="",parentData,parentDataProperty,rootData=data}={})';
/** Identifiers that must be gone once every construct that uses them is rewritten. */
const CONTEXT_NAMES = new Set(['instancePath', 'parentData', 'parentDataProperty', 'rootData', 'dynamicAnchors', 'evaluated']);
const CONTEXT_INITIALS = new Set([...CONTEXT_NAMES].map((name) => name.charCodeAt(0)));

class Unsupported extends Error {}

export interface LeanAjvCode {
  /** The rewritten code, without the helpers' import (the emitter adds it). */
  readonly code: string;
  /** How many error sites were rewritten, and how many distinct table entries they use. */
  readonly sites: number;
  readonly entries: number;
}

export function leanAjvCode(code: string): LeanAjvCode | undefined {
  const tokens = tokenize(code);
  if (!tokens) return undefined;
  try {
    return rewrite(code, tokens);
  } catch (e) {
    if (e instanceof Unsupported) return undefined;
    throw e;
  }
}

function rewrite(code: string, { kinds, starts, ends, shortNames }: Tokens): LeanAjvCode {
  const n = kinds.length;
  /** The text of token `i` (undefined past the end). */
  const txt = (i: number): string | undefined => (i < 0 || i >= n ? undefined : code.slice(starts[i]!, ends[i]!));
  /** Does token `i` start with the character `c`? (A cheap test before slicing its text.) */
  const startsWith = (i: number, c: string): boolean => code.charCodeAt(starts[i]!) === c.charCodeAt(0);
  const closer = matchBrackets(kinds);
  const text = (from: number, to: number): string => code.slice(starts[from]!, ends[to - 1]!);
  const flat = (from: number, to: number): string => {
    let s = '';
    for (let i = from, end = Math.min(to, n); i < end; i++) s += txt(i)!;
    return s;
  };
  /** Does token `i` spell `value`, compared in place (no slice)? */
  const spellsToken = (i: number, value: string): boolean => ends[i]! - starts[i]! === value.length && code.startsWith(value, starts[i]!);
  const is = (i: number, kind: Kind, value?: string): boolean => kinds[i] === kind && (value === undefined || spellsToken(i, value));
  /** Do tokens [from, to) spell `expected`, without the whitespace between them? Compared in place. */
  const spells = (from: number, to: number, expected: string): boolean => {
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
  };

  // Module-level constants (schemaN, patternN, wrapperN): params that refer only to them are constant.
  const moduleConsts = new Set<string>();
  const schemaDecls: [number, number][] = [];
  for (let i = 0, depth = 0; i < n; i++) {
    const k = kinds[i];
    if (k === K.OpenBraceToken || k === K.OpenParenToken || k === K.OpenBracketToken) depth++;
    else if (k === K.CloseBraceToken || k === K.CloseParenToken || k === K.CloseBracketToken) depth--;
    else if (depth === 0 && k === K.ConstKeyword && is(i + 1, K.Identifier)) {
      moduleConsts.add(txt(i + 1)!);
      if (/^schema\d+$/.test(txt(i + 1)!)) {
        let end = i + 2;
        while (end < n && !is(end, K.SemicolonToken)) end = closer[end]! >= 0 ? closer[end]! + 1 : end + 1;
        schemaDecls.push([i, end + 1]);
      }
    }
  }

  /** Comma-separated parts of the bracketed list opening at `open`, as token ranges. */
  const parts = (open: number): [number, number][] => {
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
  };

  /**
   * Ajv's most frequent names, shortened (a sixth of the code): validateN → vN, data → d,
   * dataN → dN, keyN → kN, missingN → mN; each family only when no name of its short form is taken.
   */
  const SHORT: readonly (readonly [RegExp, RegExp, string])[] = [
    [/^validate(\d+)$/, /^v\d+$/, 'v'],
    [/^data(\d*)$/, /^d\d*$/, 'd'],
    [/^key(\d+)$/, /^k\d+$/, 'k'],
    [/^missing(\d+)$/, /^m\d+$/, 'm'],
  ];
  const SHORT_INITIALS = new Set(['v', 'd', 'k', 'm'].map((c) => c.charCodeAt(0)));
  const families = SHORT.filter(([, short]) => ![...shortNames].some((name) => short.test(name)));
  const ren = (name: string): string => {
    for (const [long, , prefix] of families) {
      const m = long.exec(name);
      if (m) return prefix + m[1]!;
    }
    return name;
  };
  /** Whether token `j` is a variable's name (not a property after `.`, nor an object literal's key). */
  const isVariable = (j: number): boolean => kinds[j] === K.Identifier && !is(j - 1, K.DotToken) && !(is(j + 1, K.ColonToken) && (is(j - 1, K.OpenBraceToken) || is(j - 1, K.CommaToken)));
  /** The code of tokens [from, to), names shortened. */
  /**
   * `let dataN = expr;` whose name is read once in its function: the read becomes `expr` and the
   * declaration goes (Ajv's optimizer does the same; it is off for compile speed). By token:
   * the read's index to the declaration's, whose expression is tokens [decl + 3, end).
   */
  const inlinedAt = new Map<number, number>();
  // vSchemaN uses, counted per function (each function has its own vSchema0): by the index of its `function` token.
  const vSchemaUses = new Map<string, number>();
  const inlinedEnd = new Map<number, number>();
  {
    const uses = new Map<string, number[]>();
    for (let j = 0, fn = -1; j < n; j++) {
      if (kinds[j] === K.FunctionKeyword) fn = j;
      if (kinds[j] === K.Identifier && startsWith(j, 'v') && ends[j]! - starts[j]! > 7 && code.startsWith('vSchema', starts[j]!)) vSchemaUses.set(`${fn}:${txt(j)!}`, (vSchemaUses.get(`${fn}:${txt(j)!}`) ?? 0) + 1);
      if (kinds[j] === K.Identifier && startsWith(j, 'd') && ends[j]! - starts[j]! > 4 && code.startsWith('data', starts[j]!) && isVariable(j) && /^data\d+$/.test(txt(j)!)) {
        const key = `${fn}:${txt(j)!}`;
        const list = uses.get(key);
        if (list) list.push(j);
        else uses.set(key, [j]);
      }
    }
    for (const list of uses.values()) {
      if (list.length !== 2) continue;
      const [decl, use] = list as [number, number];
      if (kinds[decl - 1] !== K.LetKeyword || !is(decl + 1, K.EqualsToken) || is(use + 1, K.EqualsToken)) continue;
      let end = decl + 2;
      while (end < n && kinds[end] !== K.SemicolonToken) end = closer[end]! >= 0 ? closer[end]! + 1 : end + 1;
      inlinedAt.set(use, decl);
      inlinedEnd.set(decl, end);
    }
  }
  /** The code for the name at token `j`: shortened, or the expression it stood for. */
  const nameAt = (j: number): string => {
    const decl = inlinedAt.get(j);
    return decl === undefined ? ren(txt(j)!) : renamed(decl + 2, inlinedEnd.get(decl)!);
  };
  const renamed = (from: number, to: number): string => {
    let out = '';
    let at = starts[from]!;
    for (let j = from; j < to; j++) {
      if (SHORT_INITIALS.has(code.charCodeAt(starts[j]!)) && isVariable(j)) {
        const short = nameAt(j);
        if (short !== txt(j)!) {
          out += code.slice(at, starts[j]!) + short;
          at = ends[j]!;
        }
      }
    }
    return out + code.slice(at, ends[to - 1]!);
  };

  /** An instance path expression made relative: `instancePath` is '' and `instancePath+x` is x. */
  const relative = (from: number, to: number): string => {
    if (to - from === 1 && is(from, K.Identifier, 'instancePath')) return '""';
    if (is(from, K.Identifier, 'instancePath') && is(from + 1, K.PlusToken) && to - from > 2) {
      for (let i = from + 2; i < to; i++) if (is(i, K.Identifier) && CONTEXT_NAMES.has(txt(i)!)) throw new Unsupported();
      return renamed(from + 2, to);
    }
    throw new Unsupported();
  };

  const sites = new Map<string, number>();
  const table: string[] = [];
  let siteCount = 0;
  const constantsUsed = new Map<string, number>();
  const countConstants = (from: number, to: number): void => {
    // Only schemaN constants are ever dropped, so only their uses are counted.
    for (let i = from; i < to; i++) {
      if (kinds[i] === K.Identifier && startsWith(i, 's') && code.startsWith('schema', starts[i]!) && !is(i - 1, K.DotToken) && moduleConsts.has(txt(i)!)) constantsUsed.set(txt(i)!, (constantsUsed.get(txt(i)!) ?? 0) + 1);
    }
  };

  /**
   * Constant params as text, with `schemaN.properties.kind.enum` (Ajv's enum params) replaced by
   * the JSON it names: then the schema constant, a copy of the whole schema, is no longer needed.
   */
  const schemaValues = new Map<string, unknown>();
  for (const [from, to] of schemaDecls) {
    try {
      schemaValues.set(txt(from + 1)!, JSON.parse(text(from + 3, to - 1)));
    } catch {
      // Not JSON: the params keep referring to the constant.
    }
  }
  const constantParams = (from: number, to: number): string => {
    let out = '';
    for (let i = from; i < to; i++) {
      if (is(i, K.Identifier) && !is(i - 1, K.DotToken) && schemaValues.has(txt(i)!)) {
        let value = schemaValues.get(txt(i)!);
        let end = i + 1;
        for (;;) {
          const key = is(end, K.DotToken) && /^[A-Za-z_$][\w$]*$/.test(txt(end + 1) ?? '') ? txt(end + 1)! : is(end, K.OpenBracketToken) && is(end + 1, K.StringLiteral) && is(end + 2, K.CloseBracketToken) ? (JSON.parse(txt(end + 1)!) as string) : undefined;
          if (key === undefined || typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) break;
          value = (value as Record<string, unknown>)[key];
          end += is(end, K.DotToken) ? 2 : 3;
        }
        if (end < to && (is(end, K.DotToken) || is(end, K.OpenBracketToken))) {
          countConstants(i, i + 1);
          out += txt(i)!;
          continue;
        }
        out += JSON.stringify(value);
        i = end - 1;
        continue;
      }
      countConstants(i, i + 1);
      out += (/\w$/.test(out) && /^\w/.test(txt(i)!) ? ' ' : '') + txt(i)!;
    }
    return out;
  };

  /** `{instancePath…,keyword:"k",params:{…},schemaPath…,message…}` at `open`, as the helper's arguments after the first. */
  const errorArguments = (open: number): string => {
    let path: string | undefined;
    let keyword: string | undefined;
    let params: [number, number] | undefined;
    for (const [from, to] of parts(open)) {
      if (kinds[from] !== K.Identifier) throw new Unsupported();
      const name = { text: txt(from)! };
      if (to === from + 1 && name.text === 'instancePath') path = '""';
      else if (!is(from + 1, K.ColonToken)) throw new Unsupported();
      else if (name.text === 'instancePath') path = relative(from + 2, to);
      else if (name.text === 'keyword' && to === from + 3 && is(from + 2, K.StringLiteral)) keyword = txt(from + 2)!;
      else if (name.text === 'params' && is(from + 2, K.OpenBraceToken) && closer[from + 2] === to - 1) params = [from + 2, to];
      else if (name.text === 'schemaPath' || name.text === 'message') {
        for (let i = from + 2; i < to; i++) if (is(i, K.Identifier) && CONTEXT_NAMES.has(txt(i)!)) throw new Unsupported();
      } else throw new Unsupported();
    }
    if (path === undefined || keyword === undefined || params === undefined) throw new Unsupported();
    // Params that name only constants go into the table; others (a missing property's name, say) stay at the site.
    let constant = true;
    for (let i = params[0]; i < params[1]; i++) {
      if (is(i, K.Identifier) && !is(i + 1, K.ColonToken) && !is(i - 1, K.DotToken) && !moduleConsts.has(txt(i)!)) constant = false;
      if (is(i, K.Identifier) && CONTEXT_NAMES.has(txt(i)!)) throw new Unsupported();
    }
    // One param whose value varies (`{missingProperty: missing0}`): the table names it, the site gives the value.
    const single = !constant && params[1] - params[0] === 5 && is(params[0] + 1, K.Identifier) && is(params[0] + 2, K.ColonToken) && is(params[0] + 3, K.Identifier);
    const entry = constant ? `[${keyword},${constantParams(params[0], params[1])}]` : single ? `[${keyword},${JSON.stringify(txt(params[0] + 1)!)}]` : `[${keyword}]`;
    let site = sites.get(entry);
    if (site === undefined) {
      site = table.length;
      sites.set(entry, site);
      table.push(entry);
    }
    siteCount++;
    return `${path},${site}${constant ? '' : `,${single ? nameAt(params[0] + 3) : renamed(params[0], params[1])}`}`;
  };

  /** `validate12` or `wrapper0.validate` before the call's `(`, as text, or undefined. */
  const calleeBefore = (open: number): string | undefined => {
    if (kinds[open - 1] !== K.Identifier) return undefined;
    if (kinds[open - 2] === K.DotToken && kinds[open - 3] === K.Identifier) return `${txt(open - 3)!}.${txt(open - 1)!}`;
    return txt(open - 1);
  };

  const edits: { from: number; to: number; text: string }[] = [];
  const kept: [number, number][] = [];
  let keptFrom = 0;
  const edit = (from: number, to: number, replacement: string): void => {
    kept.push([keptFrom, from]);
    edits.push({ from, to, text: replacement });
    keptFrom = to;
  };

  /** Closing braces of blocks whose opening brace was dropped. */
  const unwrapped = new Set<number>();
  /** Does the block opening at `open` declare nothing (let, const, function, class) directly in it? */
  const declaresNothing = (open: number): boolean => {
    for (let j = open + 1, end = closer[open]!; j < end; j++) {
      const k = kinds[j];
      if (k === K.ConstKeyword || k === K.LetKeyword || k === K.FunctionKeyword || k === 'class') return false;
      if (closer[j]! >= 0) j = closer[j]!;
    }
    return true;
  };
  /** In a simple function: the end of a bookkeeping construct at `i` that was dropped, or undefined. */
  const foldBookkeeping = (i: number): number | undefined => {
    const k = kinds[i];
    if (k !== K.LetKeyword && k !== K.ConstKeyword && k !== K.VarKeyword && k !== K.IfKeyword && k !== K.ElseKeyword && !(k === K.Identifier && txt(i)! === self)) return undefined;
    const drop = (to: number): number => {
      edit(i, to, '');
      return to - 1;
    };
    // let vErrors = null;  let errors = 0;  const _errsN = errors;
    if (spells(i, i + 5, 'letvErrors=null;') || spells(i, i + 5, 'leterrors=0;')) return drop(i + 5);
    if (is(i, K.ConstKeyword) && /^_errs\d+$/.test(txt(i + 1) ?? '') && spells(i + 2, i + 5, '=errors;')) return drop(i + 5);
    // var validN = …;  (always true here)
    if (is(i, K.VarKeyword) && /^_?valid\d+$/.test(txt(i + 1) ?? '')) {
      let end = i;
      while (!is(end, K.SemicolonToken)) end++;
      return drop(end + 1);
    }
    // if(errors === _errsN) / if(_errsN === errors) / if(errors === 0) / if(validN)  →  the block alone
    if (is(i, K.IfKeyword) && is(i + 1, K.OpenParenToken)) {
      const close = closer[i + 1]!;
      const cond = close - i <= 5 ? flat(i + 2, close) : '';
      if (/^(?:errors===(?:_errs\d+|0)|_errs\d+===errors|_?valid\d+)$/.test(cond) && is(close + 1, K.OpenBraceToken)) {
        const end = closer[close + 1]!;
        if (end === close + 2) return drop(close + 3);
        // The block goes too unless it declares a name of its own (it would then clash with its surroundings).
        if (declaresNothing(close + 1)) {
          unwrapped.add(end);
          return drop(close + 2);
        }
        return drop(close + 1);
      }
      // if(!validN){break;}
      if (/^!_?valid\d+$/.test(cond) && spells(close + 1, close + 5, '{break;}')) return drop(close + 5);
    }
    // else { var validN = true; }  (nothing left once the var goes)
    if (is(i, K.ElseKeyword) && is(i + 1, K.OpenBraceToken) && is(i + 2, K.VarKeyword) && closer[i + 1] === i + 7 && spells(i + 4, i + 7, '=true;')) return drop(i + 8);
    // validateN.errors = vErrors; return errors === 0;  →  return true;  (a failure returned already)
    if (spells(i, i + 11, `${self}.errors=vErrors;returnerrors===0;`)) {
      edit(i, i + 11, 'return true;');
      return i + 10;
    }
    return undefined;
  };

  /**
   * A function is simple when no composite rule (oneOf, anyOf, not, if, contains) collects errors
   * in it: its only change to `errors` is taking a failed callee's errors. Ajv runs no check after
   * a failure outside a composite rule (allErrors is off), so a simple function may return the
   * callee's errors at once, `errors` then stays 0, and Ajv's bookkeeping of it folds away:
   * `const _errsN = errors;` and `var validN = …;` go, `if(errors === _errsN)` and `if(validN)`
   * keep only their block.
   */
  const simpleUntil = new Map<number, number>();
  const isSimple = (from: number, to: number): boolean => {
    for (let i = from; i < to; i++) {
      // (`let vErrors = null; let errors = 0;` open every function.)
      // Only names of the bookkeeping matter here (errors, vErrors, _errsN, validN): sliced only when they may be one.
      const name =
        kinds[i] === K.Identifier && (startsWith(i, 'e') || startsWith(i, 'v') || startsWith(i, '_')) && !is(i - 1, K.DotToken) && !is(i - 1, K.LetKeyword) ? txt(i)! : undefined;
      if (name === 'errors' && is(i + 1, K.PlusPlusToken)) return false;
      if (name === 'errors' && is(i + 1, K.EqualsToken)) {
        if (!spells(i + 2, i + 6, 'vErrors.length;')) return false;
        i += 5;
        continue;
      }
      if (name === 'vErrors' && spells(i, i + 6, 'vErrors=vErrors===null?')) {
        // A callee's errors taken: checked where it is rewritten.
        while (!is(i, K.SemicolonToken)) i++;
        continue;
      }
      if (name === 'vErrors' && is(i + 1, K.DotToken)) return false;
      if (name === 'vErrors' && is(i + 1, K.EqualsToken) && !is(i + 2, K.Identifier, 'vErrors')) return false;
      if (name !== undefined && /^_?valid\d+$/.test(name)) {
        // validN is only ever set to true here: `= _errsN === errors` or `= true`, read by `if(validN)` or `if(!validN){break;}`.
        const set = is(i - 1, K.VarKeyword) && is(i + 1, K.EqualsToken);
        if (set && !(spells(i + 2, i + 4, 'true;') || (/^_errs\d+$/.test(txt(i + 2)!) && spells(i + 3, i + 6, '===errors;')))) return false;
        if (!set && !(is(i - 2, K.IfKeyword) && is(i - 1, K.OpenParenToken) && is(i + 1, K.CloseParenToken)) && !spells(i - 3, i + 6, `if(!${name}){break;}`)) return false;
      }
    }
    return true;
  };
  for (let i = 0; i < n; i++) {
    if (is(i, K.FunctionKeyword) && is(i + 1, K.Identifier) && is(i + 2, K.OpenParenToken) && is(closer[i + 2]! + 1, K.OpenBraceToken)) {
      const body = closer[i + 2]! + 1;
      if (isSimple(body, closer[body]!)) simpleUntil.set(i, closer[body]!);
      i = closer[body]!;
    }
  }
  // `const vSchemaN = schemaM.….enum;` that nothing reads (Ajv's optimizer, off for compile speed, would drop it).
  let functionAt = -1;
  const unusedDeclarationEnd = (i: number): number | undefined => {
    if (kinds[i] !== K.ConstKeyword || !is(i + 2, K.EqualsToken) || !startsWith(i + 1, 'v') || vSchemaUses.get(`${functionAt}:${txt(i + 1) ?? ''}`) !== 1) return undefined;
    let end = i + 3;
    while (end < n && kinds[end] !== K.SemicolonToken) end = closer[end]! >= 0 ? closer[end]! + 1 : end + 1;
    return end + 1;
  };
  let simpleEnd = -1;
  let self = '';

  for (let i = 0; i < n; i++) {
    const kind = kinds[i];
    // function validateN(data, {instancePath="", …}={}) → function validateN(data)
    if (kind === K.FunctionKeyword && is(i + 1, K.Identifier) && is(i + 2, K.OpenParenToken)) {
      const close = closer[i + 2]!;
      if (!spells(i + 2, close + 1, AJV_PARAMS)) throw new Unsupported();
      simpleEnd = simpleUntil.get(i) ?? -1;
      functionAt = i;
      self = txt(i + 1)!;
      edit(i + 2, close + 1, `(${ren('data')})`);
      i = close;
      continue;
    }
    if (kind === K.CloseBraceToken && unwrapped.has(i)) {
      edit(i, i + 1, '');
      continue;
    }
    // An empty block where a statement goes, or an empty else (Ajv's optimizer would drop them too).
    if (kind === K.OpenBraceToken && kinds[i + 1] === K.CloseBraceToken && (kinds[i - 1] === K.SemicolonToken || kinds[i - 1] === K.OpenBraceToken || kinds[i - 1] === K.CloseBraceToken)) {
      edit(i, i + 2, '');
      i++;
      continue;
    }
    if (kind === K.ElseKeyword && kinds[i + 1] === K.OpenBraceToken && kinds[i + 2] === K.CloseBraceToken) {
      edit(i, i + 3, '');
      i += 2;
      continue;
    }
    if (kind === K.LetKeyword && inlinedEnd.has(i + 1)) {
      const end = inlinedEnd.get(i + 1)! + 1;
      edit(i, end, '');
      i = end - 1;
      continue;
    }
    if (kind === K.ConstKeyword) {
      const end = unusedDeclarationEnd(i);
      if (end !== undefined) {
        edit(i, end, '');
        i = end - 1;
        continue;
      }
    }
    if (i < simpleEnd && (kind === K.LetKeyword || kind === K.ConstKeyword || kind === K.VarKeyword || kind === K.IfKeyword || kind === K.ElseKeyword || kind === K.Identifier)) {
      const skip = foldBookkeeping(i);
      if (skip !== undefined) {
        i = skip;
        continue;
      }
    }
    // export const rawX = validateN;  →  export const rawX = $x(vN);  (the one place a function keeps its errors, see runtime/ajv-errors.ts)
    if (kind === 'export' && is(i + 1, K.ConstKeyword) && is(i + 2, K.Identifier) && is(i + 3, K.EqualsToken) && is(i + 4, K.Identifier) && is(i + 5, K.SemicolonToken)) {
      edit(i + 4, i + 5, `${LEAN_HELPERS.exported}(${ren(txt(i + 4)!)})`);
      i += 5;
      continue;
    }
    // A function that collected errors (a composite rule) returns with them:
    // validateN.errors = vErrors; return errors === 0;  →  return errors === 0 || $v(vErrors);
    if (kind === K.Identifier && i >= simpleEnd && spells(i, i + 11, `${self}.errors=vErrors;returnerrors===0;`)) {
      edit(i, i + 11, `return errors === 0 || ${LEAN_HELPERS.collected}(vErrors);`);
      i += 10;
      continue;
    }
    // validateN.errors = vErrors; return false;  →  return $v(vErrors);
    if (kind === K.Identifier && i >= simpleEnd && spells(i, i + 9, `${self}.errors=vErrors;returnfalse;`)) {
      edit(i, i + 9, `return ${LEAN_HELPERS.collected}(vErrors);`);
      i += 8;
      continue;
    }
    // validateN.errors = [{…}]; return false;  →  return $f(path, site);
    if (kind === K.Identifier && is(i + 1, K.DotToken) && is(i + 2, K.Identifier, 'errors')) {
      const obj = i + 5;
      const end = closer[obj]!;
      if (txt(i) === self && is(i + 3, K.EqualsToken) && is(i + 4, K.OpenBracketToken) && is(obj, K.OpenBraceToken) && closer[i + 4] === end + 1 && is(end + 2, K.SemicolonToken) && is(end + 3, K.ReturnKeyword) && is(end + 4, K.FalseKeyword) && is(end + 5, K.SemicolonToken)) {
        if (is(i - 1, K.DotToken)) throw new Unsupported();
        // Ajv's `break;` after the return never runs.
        const to = spells(end + 6, end + 8, 'break;') ? end + 8 : end + 6;
        edit(i, to, `return ${LEAN_HELPERS.fail}(${errorArguments(obj)});`);
        i = to - 1;
        continue;
      }
      // Errors are kept by the helpers, not on the functions: any other use of them is not understood.
      throw new Unsupported();
    }
    // const errN = {instancePath…};  →  const errN = $e(path, site);
    if (kind === K.ConstKeyword && is(i + 1, K.Identifier) && is(i + 2, K.EqualsToken) && is(i + 3, K.OpenBraceToken) && is(i + 4, K.Identifier, 'instancePath')) {
      const end = closer[i + 3]!;
      edit(i + 3, end + 1, `${LEAN_HELPERS.error}(${errorArguments(i + 3)})`);
      i = end;
      continue;
    }
    // f(x, {instancePath:…, parentData…, rootData}) → f(x), and its errors prefixed where they are taken.
    if (kind === K.OpenParenToken && closer[i]! >= 0 && is(i - 1, K.Identifier) && is(closer[i]! - 1, K.CloseBraceToken)) {
      const args = parts(i);
      const options = args[1];
      if (args.length === 2 && options && is(options[0], K.OpenBraceToken) && is(options[0] + 1, K.Identifier, 'instancePath') && closer[options[0]] === options[1] - 1) {
        const callee = calleeBefore(i);
        let prefix: string | undefined;
        for (const [from, to] of parts(options[0])) {
          const name = txt(from)!;
          if (name === 'instancePath') prefix = to === from + 1 ? '""' : is(from + 1, K.ColonToken) ? relative(from + 2, to) : undefined;
          else if (name === 'rootData' && to === from + 1) continue;
          else if ((name === 'parentData' || name === 'parentDataProperty') && is(from + 1, K.ColonToken)) continue;
          else throw new Unsupported();
        }
        if (prefix === undefined || !callee) throw new Unsupported();
        // if(!(f(x, …))){ vErrors = vErrors === null ? f.errors : vErrors.concat(f.errors);
        const close = closer[i]!;
        const take = close + 4;
        const expected = `vErrors=vErrors===null?${callee}.errors:vErrors.concat(${callee}.errors);`;
        let takeEnd = take;
        while (takeEnd < n && !is(takeEnd, K.SemicolonToken)) takeEnd++;
        if (!(is(close + 1, K.CloseParenToken) && is(close + 2, K.CloseParenToken) && is(close + 3, K.OpenBraceToken)) || !spells(take, takeEnd + 1, expected)) throw new Unsupported();
        // if(!(f(x))) → if(!f(x)): Ajv's parentheses around a call go with the options.
        const bare = kinds[i - 2] === K.OpenParenToken && kinds[i - 3] === K.ExclamationToken && kinds[i - 1] === K.Identifier && closer[i - 2] === close + 1 && keptFrom <= i - 2;
        if (bare) edit(i - 2, i - 1, '');
        edit(options[0] - 1, options[1], '');
        if (bare) edit(close + 1, close + 2, '');
        if (i < simpleEnd) {
          // …; errors = vErrors.length;  →  return $r(prefix);  (the callee's errors are the last ones made), or return false; when it has no prefix
          if (!spells(takeEnd + 1, takeEnd + 7, 'errors=vErrors.length;')) throw new Unsupported();
          kept.push([keptFrom, take]);
          edits.push({ from: take, to: takeEnd + 7, text: prefix === '""' ? 'return false;' : `return ${LEAN_HELPERS.rethrow}(${prefix});` });
          keptFrom = takeEnd + 7;
          i = takeEnd + 6;
          continue;
        }
        kept.push([keptFrom, take]);
        edits.push({ from: take, to: takeEnd + 1, text: `vErrors = ${LEAN_HELPERS.nest}(vErrors, ${prefix});` });
        keptFrom = takeEnd + 1;
        i = takeEnd;
        continue;
      }
    }
    if (kind === K.Identifier && !is(i - 1, K.DotToken) && (CONTEXT_INITIALS.has(code.charCodeAt(starts[i]!)) || (i < simpleEnd && (startsWith(i, 'e') || startsWith(i, 'v') || startsWith(i, '_'))))) {
      const name = txt(i)!;
      if (CONTEXT_NAMES.has(name)) throw new Unsupported();
      // In a simple function every use of the bookkeeping is folded above; one left would now be undeclared.
      if (i < simpleEnd && (name === 'errors' || name === 'vErrors' || ((name.startsWith('_') || name.startsWith('valid')) && /^(?:_errs\d+|_?valid\d+)$/.test(name)))) throw new Unsupported();
    }
  }
  kept.push([keptFrom, n]);
  for (const [from, to] of kept) countConstants(from, to);
  // A schema constant only the rewritten error sites used (its declaration is its one mention left) goes too.
  for (const [from, to] of schemaDecls) if ((constantsUsed.get(txt(from + 1)!) ?? 0) <= 1) edits.push({ from, to, text: '' });
  edits.sort((a, b) => a.from - b.from);

  // Assemble: untouched tokens keep their text and the whitespace before them.
  let out = '';
  let at = 0;
  const copy = (to: number): void => {
    // Untouched code, names shortened.
    for (let j = keptIndex; j < to; j++) {
      if (!SHORT_INITIALS.has(code.charCodeAt(starts[j]!)) || !isVariable(j)) continue;
      const short = nameAt(j);
      if (short !== txt(j)!) {
        out += code.slice(at, starts[j]!) + short;
        at = ends[j]!;
      }
    }
  };
  let keptIndex = 0;
  for (const e of edits) {
    copy(e.from);
    out += code.slice(at, starts[e.from]!) + e.text;
    at = ends[e.to - 1]!;
    keptIndex = e.to;
    // A statement removed whole takes its line with it.
    if (e.text === '' && code[at] === '\n' && (starts[e.from]! === 0 || code[starts[e.from]! - 1] === '\n')) at++;
  }
  copy(n);
  out += code.slice(at);
  return { code: `${out.trimEnd()}\n\n// Error sites: [keyword, params] (params given at the site when they are not constant; a name: the one param, its value given at the site).\nconst ${LEAN_HELPERS.sites} = [\n${table.join(',\n')}\n];\nconst { fail: ${LEAN_HELPERS.fail}, error: ${LEAN_HELPERS.error} } = createErrorHelpers(${LEAN_HELPERS.sites});\n`, sites: siteCount, entries: table.length };
}

/** Index of the closing bracket of every opening one, -1 for other tokens. */
function matchBrackets(kinds: readonly Kind[]): Int32Array {
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
