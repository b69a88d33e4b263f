/**
 * What Ajv's names become in the lean code (generator/lean-ajv-code.ts): the most frequent ones
 * shortened, a data variable read once replaced by what it holds, and the uses of each function's
 * `vSchemaN` constants counted (one use is its declaration: nothing reads it).
 */
import type { TokenView } from './token-view.js';
import { K } from './tokens.js';

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
  /** Does any token of [from, to) read a variable that is inlined (its code depends on its place)? */
  inlinedIn(from: number, to: number): boolean;
  /** By name id (tokens.ts): 1 where a token of that name may change (shortened, or inlined), 0 where it never does. */
  readonly mayChange: Uint8Array;
  /** The tokens that are names that may change, in order: a sixth of the names, all the code made needs to look at. */
  readonly changing: Int32Array;
  /** `let dataN = expr;` read once: by the index of its name, the index of its `;`. */
  readonly inlinedDeclarations: ReadonlyMap<number, number>;
  /** How often each function's vSchemaN appears, by `<index of its function token>:<name>`. */
  readonly vSchemaUses: ReadonlyMap<string, number>;
}

export function createNames(view: TokenView, shortNames: ReadonlySet<string>): Names {
  const { n, kinds, ids, names, words, closer, txt, is, nameFlags } = view;
  const families = SHORT.filter(([, short]) => ![...shortNames].some((name) => short.test(name)));
  const ren = (name: string): string => {
    // Every long form starts with v, d, k or m: other names are told by their first character.
    const c = name.charCodeAt(0);
    if (c !== 118 && c !== 100 && c !== 107 && c !== 109) return name;
    for (const [long, , prefix] of families) {
      const m = long.exec(name);
      if (m) return prefix + m[1]!;
    }
    return name;
  };
  // Per name id, not per token: 1 500 names against 100 000 name tokens.
  const shortById = names.map(ren);
  const short = (id: number): string => shortById[id]!;
  const isDataN = nameFlags((name) => /^data\d+$/.test(name));
  const isVSchema = nameFlags((name) => name.length > 7 && name.startsWith('vSchema'));
  const mayChange = isDataN.map((dataN, id) => (dataN === 1 || shortById[id] !== names[id] ? 1 : 0));
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
  const changing = new Int32Array(words.length);
  let changingCount = 0;
  {
    // dataN variables of the current function, by name id: how often each is used, and where first and second.
    const count = new Int32Array(names.length);
    const first = new Int32Array(names.length);
    const second = new Int32Array(names.length);
    const used: number[] = [];
    const inline = (): void => {
      for (const id of used) {
        if (count[id] === 2) {
          const decl = first[id]!;
          const use = second[id]!;
          if (kinds[decl - 1] === K.LetKeyword && is(decl + 1, K.EqualsToken) && !is(use + 1, K.EqualsToken)) {
            let end = decl + 2;
            while (end < n && kinds[end] !== K.SemicolonToken) end = closer[end]! >= 0 ? closer[end]! + 1 : end + 1;
            inlinedAt.set(use, decl);
            inlinedEnd.set(decl, end);
          }
        }
        count[id] = 0;
      }
      used.length = 0;
    };
    // Names and keywords only (a third of the tokens): `function` starts each function's count.
    for (let w = 0, fn = -1; w < words.length; w++) {
      const j = words[w]!;
      const kind = kinds[j];
      if (kind === K.FunctionKeyword) {
        inline();
        fn = j;
      }
      if (kind !== K.Identifier) continue;
      const id = ids[j]!;
      if (mayChange[id] === 1) changing[changingCount++] = j;
      if (isVSchema[id] === 1) vSchemaUses.set(`${fn}:${names[id]!}`, (vSchemaUses.get(`${fn}:${names[id]!}`) ?? 0) + 1);
      if (isDataN[id] === 1 && isVariable(j)) {
        const c = ++count[id]!;
        if (c === 1) {
          first[id] = j;
          used.push(id);
        } else if (c === 2) second[id] = j;
      }
    }
    inline();
  }

  /** The position in `changing` of the first token at `i` or after. */
  const changingFrom = (i: number): number => {
    let lo = 0;
    let hi = changingCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (changing[mid]! < i) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const nameAt = (j: number): string => {
    // Only a dataN read may be inlined: other names are not looked up.
    const decl = ids[j]! >= 0 && isDataN[ids[j]!] === 0 ? undefined : inlinedAt.get(j);
    return decl === undefined ? (ids[j]! >= 0 ? short(ids[j]!) : ren(txt(j)!)) : renamed(decl + 2, inlinedEnd.get(decl)!);
  };
  const changed = (j: number): string | undefined => {
    const id = ids[j]!;
    if (id < 0 || mayChange[id] === 0 || !isVariable(j)) return undefined;
    const name = nameAt(j);
    return name === names[id] ? undefined : name;
  };
  const renamed = (from: number, to: number): string => {
    let out = '';
    let at = view.starts[from]!;
    for (let c = changingFrom(from); c < changingCount && changing[c]! < to; c++) {
      const j = changing[c]!;
      const name = changed(j);
      if (name !== undefined) {
        out += view.code.slice(at, view.starts[j]!) + name;
        at = view.ends[j]!;
      }
    }
    return out + view.code.slice(at, view.ends[to - 1]!);
  };
  const inlinedIn = (from: number, to: number): boolean => {
    for (let j = from; j < to; j++) if (ids[j]! >= 0 && isDataN[ids[j]!] === 1 && inlinedAt.has(j)) return true;
    return false;
  };
  return { ren, isVariable, nameAt, renamed, changed, inlinedIn, mayChange, changing: changing.subarray(0, changingCount), inlinedDeclarations: inlinedEnd, vSchemaUses };
}
