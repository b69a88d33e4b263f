/**
 * What Ajv's names become in the lean code (generator/lean-ajv-code.ts): the most frequent ones
 * shortened, a data variable read once replaced by what it holds, and the uses of each function's
 * `vSchemaN` constants counted (one use is its declaration: nothing reads it).
 */
import { K, type TokenView } from './tokens.js';

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

export interface Names {
  /** A name shortened (or as it is). */
  ren(name: string): string;
  /** Whether token `j` is a variable's name (not a property after `.`, nor an object literal's key). */
  isVariable(j: number): boolean;
  /** The code for the name at token `j`: shortened, or the expression it stood for. */
  nameAt(j: number): string;
  /** The code of tokens [from, to), names shortened and inlined. */
  renamed(from: number, to: number): string;
  /** The code token `j` becomes when it is a name that changes, else undefined (a cheap test first). */
  changed(j: number): string | undefined;
  /** `let dataN = expr;` read once: by the index of its name, the index of its `;`. */
  readonly inlinedDeclarations: ReadonlyMap<number, number>;
  /** How often each function's vSchemaN appears, by `<index of its function token>:<name>`. */
  readonly vSchemaUses: ReadonlyMap<string, number>;
}

export function createNames(view: TokenView, shortNames: ReadonlySet<string>): Names {
  const { code, n, kinds, starts, ends, closer, txt, startsWith, is } = view;
  const families = SHORT.filter(([, short]) => ![...shortNames].some((name) => short.test(name)));
  const ren = (name: string): string => {
    for (const [long, , prefix] of families) {
      const m = long.exec(name);
      if (m) return prefix + m[1]!;
    }
    return name;
  };
  const isVariable = (j: number): boolean => kinds[j] === K.Identifier && !is(j - 1, K.DotToken) && !(is(j + 1, K.ColonToken) && (is(j - 1, K.OpenBraceToken) || is(j - 1, K.CommaToken)));

  /**
   * `let dataN = expr;` whose name is read once in its function: the read becomes `expr` and the
   * declaration goes (Ajv's optimizer does the same; it is off for compile speed). By token:
   * the read's index to the declaration's, whose expression is tokens [decl + 2, end).
   */
  const inlinedAt = new Map<number, number>();
  const inlinedEnd = new Map<number, number>();
  // vSchemaN uses, counted per function (each function has its own vSchema0): by the index of its `function` token.
  const vSchemaUses = new Map<string, number>();
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

  const nameAt = (j: number): string => {
    const decl = inlinedAt.get(j);
    return decl === undefined ? ren(txt(j)!) : renamed(decl + 2, inlinedEnd.get(decl)!);
  };
  const changed = (j: number): string | undefined => {
    if (!SHORT_INITIALS.has(code.charCodeAt(starts[j]!)) || !isVariable(j)) return undefined;
    const short = nameAt(j);
    return short === txt(j)! ? undefined : short;
  };
  const renamed = (from: number, to: number): string => {
    let out = '';
    let at = starts[from]!;
    for (let j = from; j < to; j++) {
      const short = changed(j);
      if (short !== undefined) {
        out += code.slice(at, starts[j]!) + short;
        at = ends[j]!;
      }
    }
    return out + code.slice(at, ends[to - 1]!);
  };
  return { ren, isVariable, nameAt, renamed, changed, inlinedDeclarations: inlinedEnd, vSchemaUses };
}
