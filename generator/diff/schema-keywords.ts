/**
 * Schema-diff comparers for the keywords that constrain a value: annotations (documentation
 * only), type, const and enum, numeric bounds, lengths and counts, pattern and format. Each takes
 * the pair being compared and records facts on it (schema-compare.ts runs them in order).
 */
import { canonicalJson, compareText, sameJson } from './change.js';
import { ANNOTATIONS, HANDLED, IGNORED, LOWER_COUNTS, UPPER_COUNTS, at, show, type Pair } from './schema-view.js';
import type { Schema } from '../schema-walk.js';

export function compareAnnotations(p: Pair): void {
  for (const k of ANNOTATIONS) {
    if (sameJson(p.os[k], p.ns[k])) continue;
    const change = !(k in p.os) ? 'added' : !(k in p.ns) ? 'removed' : 'changed';
    p.fact('annotation', `${k === '$comment' ? 'comment' : k}-${change}`, p.place(k), `${k} ${change}`);
  }
  for (const k of new Set([...Object.keys(p.os), ...Object.keys(p.ns)])) {
    if (k.startsWith('x-') && !IGNORED.includes(k) && !sameJson(p.os[k], p.ns[k])) p.fact('annotation', 'extension-changed', p.place(k), `${k} changed (an x- keyword; validators ignore it)`);
  }
}

export function compareTypes(p: Pair): void {
  const ot = typeSet(p.os);
  const nt = typeSet(p.ns);
  if (!sameTypes(ot, nt)) {
    const wider = typesSubset(ot, nt);
    const narrower = typesSubset(nt, ot);
    if (wider !== narrower || !wider) {
      p.fact(wider ? 'wider' : narrower ? 'narrower' : 'incompatible', 'type-changed', p.place('type'), `type changed from ${typeLabel(ot)} to ${typeLabel(nt)}`);
    }
  }
  if ('const' in p.os || 'const' in p.ns) {
    if (!('const' in p.os)) p.fact('narrower', 'const-added', p.place('const'), `const ${show(p.ns.const)} added`);
    else if (!('const' in p.ns)) p.fact('wider', 'const-removed', p.place('const'), `const ${show(p.os.const)} removed`);
    else if (!sameJson(p.os.const, p.ns.const)) p.fact('incompatible', 'const-changed', p.place('const'), `const changed from ${show(p.os.const)} to ${show(p.ns.const)}`);
  }
  compareEnum(p);
}

function compareEnum(p: Pair): void {
  const a = p.os.enum;
  const b = p.ns.enum;
  if (sameJson(a, b)) return;
  if (!Array.isArray(a) && !Array.isArray(b)) return;
  if (!Array.isArray(a)) return p.fact('narrower', 'enum-added', p.place('enum'), `enum ${show(b)} added: only these values are allowed now`);
  if (!Array.isArray(b)) return p.fact('wider', 'enum-removed', p.place('enum'), `enum ${show(a)} removed: any value of the type is allowed now`);
  const before = new Set(a.map(canonicalJson));
  const after = new Set(b.map(canonicalJson));
  b.forEach((v, i) => {
    if (before.has(canonicalJson(v))) return;
    p.fact('wider', 'enum-value-added', { view: p.n, side: 'new', pointer: at(p.n, 'enum', i) }, `enum value ${show(v)} added`, {
      'client-to-server': 'new clients may send it and the server accepts it; old clients never send it',
      'server-to-client': 'old clients reject it as invalid (and may not handle it)',
    });
  });
  a.forEach((v, i) => {
    if (after.has(canonicalJson(v))) return;
    p.fact('narrower', 'enum-value-removed', { view: p.o, side: 'old', pointer: at(p.o, 'enum', i) }, `enum value ${show(v)} removed`, {
      'client-to-server': 'a {n} from an old client that sends it is now rejected',
      'server-to-client': 'the server no longer sends it; old clients still accept every value it sends',
    });
  });
}

export function compareNumbers(p: Pair): void {
  compareBound(p, 'lower');
  compareBound(p, 'upper');
  if (!sameJson(p.os.multipleOf, p.ns.multipleOf)) {
    const a = p.os.multipleOf;
    const b = p.ns.multipleOf;
    if (typeof a !== 'number') p.fact('narrower', 'multipleOf-added', p.place('multipleOf'), `multipleOf ${show(b)} added`);
    else if (typeof b !== 'number') p.fact('wider', 'multipleOf-removed', p.place('multipleOf'), `multipleOf ${a} removed`);
    else p.fact(Number.isInteger(b / a) ? 'narrower' : Number.isInteger(a / b) ? 'wider' : 'incompatible', 'multipleOf-changed', p.place('multipleOf'), `multipleOf changed from ${a} to ${b}`);
  }
}

function compareBound(p: Pair, which: 'lower' | 'upper'): void {
  const a = bound(p.os, which, sameTypes(typeSet(p.os), new Set(['integer'])));
  const b = bound(p.ns, which, sameTypes(typeSet(p.ns), new Set(['integer'])));
  if (!a && !b) return;
  const where = b ? p.place(b.key) : p.place(a!.key);
  const label = (x: Bound) => `${which === 'lower' ? '>' : '<'}${x.exclusive ? '' : '='} ${x.value}`;
  const name = which === 'lower' ? 'lower bound' : 'upper bound';
  const code = which === 'lower' ? 'minimum' : 'maximum';
  if (!a) return p.fact('narrower', `${code}-added`, where, `${name} ${label(b!)} added`);
  if (!b) return p.fact('wider', `${code}-removed`, where, `${name} ${label(a)} removed`);
  if (a.value === b.value && a.exclusive === b.exclusive) return;
  const tighter = (x: Bound, y: Bound): boolean =>
    which === 'lower' ? x.value > y.value || (x.value === y.value && x.exclusive && !y.exclusive) : x.value < y.value || (x.value === y.value && x.exclusive && !y.exclusive);
  const narrower = tighter(b, a);
  p.fact(narrower ? 'narrower' : 'wider', `${code}-${narrower === (which === 'lower') ? 'raised' : 'lowered'}`, where, `${name} changed from ${label(a)} to ${label(b)}`);
}

export function compareCounts(p: Pair): void {
  for (const [k, absent] of LOWER_COUNTS) compareCount(p, k, absent, 'lower');
  for (const k of UPPER_COUNTS) compareCount(p, k, Infinity, 'upper');
}

function compareCount(p: Pair, k: string, absent: number, which: 'lower' | 'upper'): void {
  const a = typeof p.os[k] === 'number' ? (p.os[k] as number) : undefined;
  const b = typeof p.ns[k] === 'number' ? (p.ns[k] as number) : undefined;
  const av = a ?? absent;
  const bv = b ?? absent;
  if (av === bv) return;
  const narrower = which === 'lower' ? bv > av : bv < av;
  const what = a === undefined ? `${k} ${b} added` : b === undefined ? `${k} ${a} removed` : `${k} ${bv > av ? 'raised' : 'lowered'} from ${a} to ${b}`;
  p.fact(narrower ? 'narrower' : 'wider', `${k}-${a === undefined ? 'added' : b === undefined ? 'removed' : bv > av ? 'raised' : 'lowered'}`, p.place(k), what);
}

export function compareStrings(p: Pair): void {
  for (const k of ['pattern', 'format']) {
    if (sameJson(p.os[k], p.ns[k])) continue;
    if (!(k in p.os)) p.fact('narrower', `${k}-added`, p.place(k), `${k} ${show(p.ns[k])} added`);
    else if (!(k in p.ns)) p.fact('wider', `${k}-removed`, p.place(k), `${k} ${show(p.os[k])} removed`);
    else p.fact('incompatible', `${k}-changed`, p.place(k), `${k} changed from ${show(p.os[k])} to ${show(p.ns[k])} (a changed ${k} cannot be proved compatible)`);
  }
  if (Boolean(p.os.uniqueItems) !== Boolean(p.ns.uniqueItems)) {
    p.fact(p.ns.uniqueItems ? 'narrower' : 'wider', p.ns.uniqueItems ? 'uniqueItems-added' : 'uniqueItems-removed', p.place('uniqueItems'), p.ns.uniqueItems ? 'items must now be unique (uniqueItems: true)' : 'items no longer have to be unique');
  }
}

export function compareUnknown(p: Pair): void {
  for (const k of [...new Set([...Object.keys(p.os), ...Object.keys(p.ns)])].sort(compareText)) {
    if (HANDLED.has(k) || k.startsWith('x-') || k === '$ref' || sameJson(p.os[k], p.ns[k])) continue;
    p.fact('incompatible', 'keyword-changed', p.place(k), `keyword ${k} changed; contractgen cannot judge it, so it is treated as incompatible`);
  }
}

interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
  readonly key: string;
}

/** The effective lower/upper bound; for integers `> x` is written as `>= floor(x) + 1`. */
function bound(s: Schema, which: 'lower' | 'upper', integer: boolean): Bound | undefined {
  const lower = which === 'lower';
  const [inc, exc] = lower ? ['minimum', 'exclusiveMinimum'] : ['maximum', 'exclusiveMaximum'];
  const found: Bound[] = [];
  const i = s[inc];
  const x = s[exc];
  if (typeof i === 'number') found.push({ value: integer ? (lower ? Math.ceil(i) : Math.floor(i)) : i, exclusive: false, key: inc });
  if (typeof x === 'number') found.push(integer ? { value: lower ? Math.floor(x) + 1 : Math.ceil(x) - 1, exclusive: false, key: exc } : { value: x, exclusive: true, key: exc });
  // When both are given, the tightest one applies.
  return found.sort((a, b) => (lower ? b.value - a.value : a.value - b.value) || Number(b.exclusive) - Number(a.exclusive))[0];
}

/** The JSON types a schema allows; undefined = any. */
function typeSet(s: Schema): Set<string> | undefined {
  if (typeof s.type === 'string') return new Set([s.type]);
  if (Array.isArray(s.type)) return new Set(s.type.filter((t): t is string => typeof t === 'string'));
  return undefined;
}

function sameTypes(a: Set<string> | undefined, b: Set<string> | undefined): boolean {
  if (!a || !b) return a === b;
  return a.size === b.size && [...a].every((t) => b.has(t));
}

/** Is every value of type set a allowed by type set b? (integer is a number) */
function typesSubset(a: Set<string> | undefined, b: Set<string> | undefined): boolean {
  if (!b) return true;
  if (!a) return false;
  return [...a].every((t) => b.has(t) || (t === 'integer' && b.has('number')));
}

function typeLabel(t: Set<string> | undefined): string {
  return t ? [...t].sort(compareText).join(' | ') : 'any';
}
