/**
 * The structural JSON Schema comparison under the schema diff: walks an OLD and a NEW schema side
 * by side (through local $refs, with a guard so recursive schemas terminate) and says, for each
 * difference, whether NEW accepts more instances than OLD, fewer, different ones, or the same
 * ones (an annotation). It knows nothing about directions: schema-diff.ts turns an effect into
 * breaking / additive / doc-only for the side that validates.
 */
import { pointerOf } from '../diagnostics.js';
import { getAt, isSchemaObject, type Schema } from '../schema-walk.js';
import { canonicalJson, compareText, sameJson, type Direction } from './change.js';

/**
 * What a difference does to the set of instances the schema accepts.
 * - `wider`: NEW accepts everything OLD accepted, and more.
 * - `narrower`: NEW rejects some instances OLD accepted, and accepts nothing new.
 * - `incompatible`: both at once, or contractgen cannot tell (a changed pattern).
 * - `neutral`: strictly a change, but no real peer is affected (a new optional property in an
 *   open schema: nobody sent it before). Additive in both directions.
 * - `annotation`: validation is unchanged (description, title, examples, …).
 */
export type Effect = 'wider' | 'narrower' | 'incompatible' | 'neutral' | 'annotation';

export interface SchemaFact {
  readonly code: string;
  readonly effect: Effect;
  readonly pointer: string;
  readonly side: 'old' | 'new';
  /** What changed, e.g. `enum value "x" added`. */
  readonly what: string;
  /** Why it matters, per direction, where the generic consequence would be vague. `{n}` is message, request or response. */
  readonly why?: Partial<Record<Direction, string>>;
}

/** Keywords validators ignore: a change to them is documentation only. */
const ANNOTATIONS = ['title', 'description', 'examples', '$comment', 'default', 'deprecated', 'readOnly', 'writeOnly', 'contentEncoding', 'contentMediaType', 'contentSchema'];
/** Keywords that are containers or identifiers, not constraints on an instance. */
const IGNORED = ['$defs', 'definitions', '$id', '$anchor', '$dynamicAnchor', '$schema', '$vocabulary', 'x-message'];
const LOWER_COUNTS: readonly [string, number][] = [['minLength', 0], ['minItems', 0], ['minProperties', 0], ['minContains', 1]];
const UPPER_COUNTS = ['maxLength', 'maxItems', 'maxProperties', 'maxContains'];
const HANDLED = new Set([
  ...ANNOTATIONS,
  ...IGNORED,
  'type', 'const', 'enum', 'minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum', 'multipleOf',
  ...LOWER_COUNTS.map(([k]) => k), ...UPPER_COUNTS, 'pattern', 'format', 'uniqueItems',
  'properties', 'required', 'additionalProperties', 'unevaluatedProperties', 'patternProperties', 'propertyNames',
  'dependentRequired', 'dependentSchemas', 'items', 'prefixItems', 'contains', 'unevaluatedItems',
  'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else',
]);

/** A schema as seen after following its $ref, with where each keyword was written. */
interface View {
  readonly schema: Schema;
  /** `false`: nothing is valid. */
  readonly isFalse: boolean;
  /** Identity for the recursion guard: the same pair of identities is compared once. */
  readonly id: string;
  /** Pointer of the object that holds `key` (a $ref's sibling, or the target). */
  origin(key: string): string;
  /** A $ref that does not resolve inside the document. */
  readonly unresolved?: string;
}

function plainView(schema: Schema, pointer: string, isFalse = false): View {
  return { schema, isFalse, id: pointer, origin: () => pointer };
}

/**
 * Follows local $refs. Keywords next to a $ref apply too (2020-12), so they are laid over the
 * target's; each keyword keeps the pointer where it was written.
 */
function resolve(root: Schema, node: unknown, pointer: string, depth = 0): View {
  if (node === false) return plainView({}, pointer, true);
  if (!isSchemaObject(node)) return plainView({}, pointer);
  const ref = node.$ref;
  if (typeof ref !== 'string') return plainView(node, pointer);
  const target = ref.startsWith('#') && depth < 64 ? getAt(root, ref) : undefined;
  if (target === undefined || (target !== true && target !== false && !isSchemaObject(target))) {
    return { ...plainView(node, pointer), unresolved: ref };
  }
  const t = resolve(root, target, ref.slice(1), depth + 1);
  const siblings = Object.keys(node).filter((k) => k !== '$ref');
  if (siblings.length === 0) return t;
  const schema: Record<string, unknown> = { ...t.schema };
  for (const k of siblings) schema[k] = node[k];
  return {
    schema,
    isFalse: t.isFalse,
    id: `${pointer}&${t.id}`,
    origin: (k) => (siblings.includes(k) ? pointer : t.origin(k)),
    ...(t.unresolved ? { unresolved: t.unresolved } : {}),
  };
}

const at = (v: View, ...tokens: (string | number)[]): string => `${v.origin(String(tokens[0]))}${pointerOf(...tokens)}`;
const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : canonicalJson(value));

export interface SchemaComparer {
  /**
   * Facts about every difference between two schemas of the two documents. Pass the same
   * `visited` set to several calls to report a shared subschema once.
   */
  compare(oldNode: unknown, oldPointer: string, newNode: unknown, newPointer: string, visited?: Set<string>): SchemaFact[];
}

export function createSchemaComparer(oldRoot: Schema, newRoot: Schema): SchemaComparer {
  return {
    compare(oldNode, oldPointer, newNode, newPointer, visited = new Set()) {
      const facts: SchemaFact[] = [];
      walk({ oldRoot, newRoot, facts, visited }, resolve(oldRoot, oldNode, oldPointer), resolve(newRoot, newNode, newPointer), false);
      return facts;
    },
  };
}

interface Walk {
  readonly oldRoot: Schema;
  readonly newRoot: Schema;
  readonly facts: SchemaFact[];
  readonly visited: Set<string>;
}

function walk(w: Walk, o: View, n: View, flip: boolean): void {
  const key = `${flip ? '!' : ''}${o.id}|${n.id}`;
  if (w.visited.has(key)) return; // recursive schemas: this pair is being (or has been) compared
  w.visited.add(key);

  /** Records a fact. Under `not` the polarity is inverted and direction-specific wording dropped. */
  const fact = (effect: Effect, code: string, where: { view: View; side: 'old' | 'new'; pointer: string }, what: string, why?: SchemaFact['why']): void => {
    const e = flip && effect === 'wider' ? 'narrower' : flip && effect === 'narrower' ? 'wider' : effect;
    w.facts.push({ code, effect: e, pointer: where.pointer, side: where.side, what, ...(why && !flip ? { why } : {}) });
  };
  /** Where a change to keyword k is reported: in NEW when NEW has it, else in OLD. */
  const place = (k: string, ...rest: (string | number)[]) =>
    k in n.schema ? { view: n, side: 'new' as const, pointer: at(n, k, ...rest) } : { view: o, side: 'old' as const, pointer: at(o, k, ...rest) };
  const child = (root: Schema, v: View, ...tokens: (string | number)[]): View => resolve(root, tokens.reduce<unknown>((node, t) => (isSchemaObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[t] : undefined), v.schema), at(v, ...tokens));
  const recurse = (oc: View, nc: View, inverted = flip): void => walk(w, oc, nc, inverted);

  if (o.unresolved || n.unresolved) {
    if (!sameJson(o.schema, n.schema) || o.unresolved !== n.unresolved) {
      fact('incompatible', 'ref-unresolved', { view: n, side: 'new', pointer: at(n, '$ref') }, `$ref ${o.unresolved ?? n.unresolved} does not resolve inside the document, so contractgen cannot compare what it points at`);
    }
    return;
  }
  if (o.isFalse || n.isFalse) {
    if (o.isFalse && !n.isFalse) fact('wider', 'schema-false-removed', { view: n, side: 'new', pointer: n.origin('') }, 'the schema was false (nothing allowed) and now allows values');
    if (!o.isFalse && n.isFalse) fact('narrower', 'schema-false', { view: n, side: 'new', pointer: n.origin('') }, 'the schema is now false: nothing is allowed');
    return;
  }
  const os = o.schema;
  const ns = n.schema;

  // ── annotations: documentation only ────────────────────────────────────────────────────────
  for (const k of ANNOTATIONS) {
    if (sameJson(os[k], ns[k])) continue;
    const change = !(k in os) ? 'added' : !(k in ns) ? 'removed' : 'changed';
    fact('annotation', `${k === '$comment' ? 'comment' : k}-${change}`, place(k), `${k} ${change}`);
  }
  for (const k of new Set([...Object.keys(os), ...Object.keys(ns)])) {
    if (k.startsWith('x-') && !IGNORED.includes(k) && !sameJson(os[k], ns[k])) fact('annotation', 'extension-changed', place(k), `${k} changed (an x- keyword; validators ignore it)`);
  }

  // ── type, const, enum ──────────────────────────────────────────────────────────────────────
  const ot = typeSet(os);
  const nt = typeSet(ns);
  if (!sameTypes(ot, nt)) {
    const wider = typesSubset(ot, nt);
    const narrower = typesSubset(nt, ot);
    if (wider !== narrower || !wider) {
      fact(wider ? 'wider' : narrower ? 'narrower' : 'incompatible', 'type-changed', place('type'), `type changed from ${typeLabel(ot)} to ${typeLabel(nt)}`);
    }
  }
  if ('const' in os || 'const' in ns) {
    if (!('const' in os)) fact('narrower', 'const-added', place('const'), `const ${show(ns.const)} added`);
    else if (!('const' in ns)) fact('wider', 'const-removed', place('const'), `const ${show(os.const)} removed`);
    else if (!sameJson(os.const, ns.const)) fact('incompatible', 'const-changed', place('const'), `const changed from ${show(os.const)} to ${show(ns.const)}`);
  }
  compareEnum();

  // ── numbers ────────────────────────────────────────────────────────────────────────────────
  compareBound('lower');
  compareBound('upper');
  if (!sameJson(os.multipleOf, ns.multipleOf)) {
    const a = os.multipleOf;
    const b = ns.multipleOf;
    if (typeof a !== 'number') fact('narrower', 'multipleOf-added', place('multipleOf'), `multipleOf ${show(b)} added`);
    else if (typeof b !== 'number') fact('wider', 'multipleOf-removed', place('multipleOf'), `multipleOf ${a} removed`);
    else fact(Number.isInteger(b / a) ? 'narrower' : Number.isInteger(a / b) ? 'wider' : 'incompatible', 'multipleOf-changed', place('multipleOf'), `multipleOf changed from ${a} to ${b}`);
  }

  // ── lengths and counts ─────────────────────────────────────────────────────────────────────
  for (const [k, absent] of LOWER_COUNTS) compareCount(k, absent, 'lower');
  for (const k of UPPER_COUNTS) compareCount(k, Infinity, 'upper');

  // ── strings ────────────────────────────────────────────────────────────────────────────────
  for (const k of ['pattern', 'format']) {
    if (sameJson(os[k], ns[k])) continue;
    if (!(k in os)) fact('narrower', `${k}-added`, place(k), `${k} ${show(ns[k])} added`);
    else if (!(k in ns)) fact('wider', `${k}-removed`, place(k), `${k} ${show(os[k])} removed`);
    else fact('incompatible', `${k}-changed`, place(k), `${k} changed from ${show(os[k])} to ${show(ns[k])} (a changed ${k} cannot be proved compatible)`);
  }
  if (Boolean(os.uniqueItems) !== Boolean(ns.uniqueItems)) {
    fact(ns.uniqueItems ? 'narrower' : 'wider', ns.uniqueItems ? 'uniqueItems-added' : 'uniqueItems-removed', place('uniqueItems'), ns.uniqueItems ? 'items must now be unique (uniqueItems: true)' : 'items no longer have to be unique');
  }

  // ── objects ────────────────────────────────────────────────────────────────────────────────
  compareProperties();
  compareAdditional('additionalProperties');
  compareAdditional('unevaluatedProperties');
  compareSchemaMap('patternProperties');
  compareSchemaMap('dependentSchemas');
  compareSlot('propertyNames');
  compareDependentRequired();

  // ── arrays ─────────────────────────────────────────────────────────────────────────────────
  compareSlot('items');
  compareSlot('unevaluatedItems');
  compareSlot('contains');
  comparePrefixItems();

  // ── combinators ────────────────────────────────────────────────────────────────────────────
  compareList('allOf');
  compareList('anyOf');
  compareList('oneOf');
  compareSlot('not', true);
  if (!sameJson(os.if, ns.if)) {
    fact('incompatible', 'if-changed', place('if'), 'the if/then/else condition changed; contractgen cannot compare conditionals');
  } else {
    compareSlot('then');
    compareSlot('else');
  }

  // ── anything else: contractgen cannot judge it, so it is not called compatible ────────────
  for (const k of [...new Set([...Object.keys(os), ...Object.keys(ns)])].sort(compareText)) {
    if (HANDLED.has(k) || k.startsWith('x-') || k === '$ref' || sameJson(os[k], ns[k])) continue;
    fact('incompatible', 'keyword-changed', place(k), `keyword ${k} changed; contractgen cannot judge it, so it is treated as incompatible`);
  }

  function compareEnum(): void {
    const a = os.enum;
    const b = ns.enum;
    if (sameJson(a, b)) return;
    if (!Array.isArray(a) && !Array.isArray(b)) return;
    if (!Array.isArray(a)) return fact('narrower', 'enum-added', place('enum'), `enum ${show(b)} added: only these values are allowed now`);
    if (!Array.isArray(b)) return fact('wider', 'enum-removed', place('enum'), `enum ${show(a)} removed: any value of the type is allowed now`);
    const before = new Set(a.map(canonicalJson));
    const after = new Set(b.map(canonicalJson));
    b.forEach((v, i) => {
      if (before.has(canonicalJson(v))) return;
      fact('wider', 'enum-value-added', { view: n, side: 'new', pointer: at(n, 'enum', i) }, `enum value ${show(v)} added`, {
        'client-to-server': 'new clients may send it and the server accepts it; old clients never send it',
        'server-to-client': 'old clients reject it as invalid (and may not handle it)',
      });
    });
    a.forEach((v, i) => {
      if (after.has(canonicalJson(v))) return;
      fact('narrower', 'enum-value-removed', { view: o, side: 'old', pointer: at(o, 'enum', i) }, `enum value ${show(v)} removed`, {
        'client-to-server': 'a {n} from an old client that sends it is now rejected',
        'server-to-client': 'the server no longer sends it; old clients still accept every value it sends',
      });
    });
  }

  function compareBound(which: 'lower' | 'upper'): void {
    const a = bound(os, which, sameTypes(ot, new Set(['integer'])));
    const b = bound(ns, which, sameTypes(nt, new Set(['integer'])));
    if (!a && !b) return;
    const where = b ? place(b.key) : place(a!.key);
    const label = (x: Bound) => `${which === 'lower' ? '>' : '<'}${x.exclusive ? '' : '='} ${x.value}`;
    const name = which === 'lower' ? 'lower bound' : 'upper bound';
    const code = which === 'lower' ? 'minimum' : 'maximum';
    if (!a) return fact('narrower', `${code}-added`, where, `${name} ${label(b!)} added`);
    if (!b) return fact('wider', `${code}-removed`, where, `${name} ${label(a)} removed`);
    if (a.value === b.value && a.exclusive === b.exclusive) return;
    const tighter = (x: Bound, y: Bound): boolean =>
      which === 'lower' ? x.value > y.value || (x.value === y.value && x.exclusive && !y.exclusive) : x.value < y.value || (x.value === y.value && x.exclusive && !y.exclusive);
    const narrower = tighter(b, a);
    fact(narrower ? 'narrower' : 'wider', `${code}-${narrower === (which === 'lower') ? 'raised' : 'lowered'}`, where, `${name} changed from ${label(a)} to ${label(b)}`);
  }

  function compareCount(k: string, absent: number, which: 'lower' | 'upper'): void {
    const a = typeof os[k] === 'number' ? (os[k] as number) : undefined;
    const b = typeof ns[k] === 'number' ? (ns[k] as number) : undefined;
    const av = a ?? absent;
    const bv = b ?? absent;
    if (av === bv) return;
    const narrower = which === 'lower' ? bv > av : bv < av;
    const what = a === undefined ? `${k} ${b} added` : b === undefined ? `${k} ${a} removed` : `${k} ${bv > av ? 'raised' : 'lowered'} from ${a} to ${b}`;
    fact(narrower ? 'narrower' : 'wider', `${k}-${a === undefined ? 'added' : b === undefined ? 'removed' : bv > av ? 'raised' : 'lowered'}`, place(k), what);
  }

  function compareProperties(): void {
    const op = isSchemaObject(os.properties) ? os.properties : {};
    const np = isSchemaObject(ns.properties) ? ns.properties : {};
    const oreq = stringSet(os.required);
    const nreq = stringSet(ns.required);
    const oClosed = closed(os);
    const nClosed = closed(ns);
    for (const name of Object.keys(np)) {
      const where = { view: n, side: 'new' as const, pointer: at(n, 'properties', name) };
      if (!(name in op)) {
        propertyAdded(name, nreq.has(name), oClosed, where);
        continue;
      }
      recurse(child(w.oldRoot, o, 'properties', name), child(w.newRoot, n, 'properties', name));
      if (oreq.has(name) && !nreq.has(name)) {
        fact('wider', 'property-now-optional', where, `property "${name}" is no longer required`, {
          'client-to-server': 'clients may now omit it; old clients always send it',
          'server-to-client': 'old clients require it and reject a {n} without it',
        });
      } else if (!oreq.has(name) && nreq.has(name)) {
        fact('narrower', 'property-now-required', where, `property "${name}" is now required`, {
          'client-to-server': 'old clients that omit it are now rejected',
          'server-to-client': 'the server now always sends it; old clients accept that',
        });
      }
    }
    for (const name of Object.keys(op)) {
      if (!(name in np)) propertyRemoved(name, oreq.has(name), nClosed, { view: o, side: 'old', pointer: at(o, 'properties', name) });
    }
    // Required names that no `properties` declares (an open object requiring an undeclared key).
    [...nreq].forEach((name) => {
      if (!oreq.has(name) && !(name in np) && !(name in op)) fact('narrower', 'required-added', { view: n, side: 'new', pointer: at(n, 'required') }, `"${name}" is now required`);
    });
    [...oreq].forEach((name) => {
      if (!nreq.has(name) && !(name in np) && !(name in op)) fact('wider', 'required-removed', { view: o, side: 'old', pointer: at(o, 'required') }, `"${name}" is no longer required`);
    });
  }

  function propertyAdded(name: string, required: boolean, oldClosed: boolean, where: { view: View; side: 'new'; pointer: string }): void {
    const what = `new ${required ? 'required' : 'optional'} property "${name}"`;
    const c2s = required ? 'a {n} from an old client lacks it and is rejected' : 'old clients never send it, and their {n}s are still accepted';
    const s2c = oldClosed
      ? 'old clients validate with additionalProperties: false and reject a {n} that carries it'
      : `old clients' schema allows extra properties, so they accept and ignore it`;
    const effect: Effect = required ? (oldClosed ? 'incompatible' : 'narrower') : oldClosed ? 'wider' : 'neutral';
    fact(effect, 'property-added', where, what, { 'client-to-server': c2s, 'server-to-client': s2c });
  }

  function propertyRemoved(name: string, wasRequired: boolean, newClosed: boolean, where: { view: View; side: 'old'; pointer: string }): void {
    const what = `${wasRequired ? 'required' : 'optional'} property "${name}" removed`;
    const c2s = newClosed
      ? 'the schema is closed (additionalProperties: false), so a {n} from an old client that sends it is rejected'
      : 'the schema allows extra properties, so old clients that still send it are accepted';
    const s2c = wasRequired ? 'old clients require it and reject a {n} without it' : 'the server no longer sends it; old clients treat it as optional';
    const effect: Effect = newClosed ? (wasRequired ? 'incompatible' : 'narrower') : wasRequired ? 'wider' : 'neutral';
    fact(effect, 'property-removed', where, what, { 'client-to-server': c2s, 'server-to-client': s2c });
  }

  function compareAdditional(k: 'additionalProperties' | 'unevaluatedProperties'): void {
    const a = slot(os[k]);
    const b = slot(ns[k]);
    if (a === 'any' && b === 'none') {
      return fact('narrower', `${k}-closed`, place(k), `${k} set to false`, {
        'client-to-server': 'a {n} from an old client that carries undeclared properties is now rejected',
        'server-to-client': 'the server may no longer send undeclared properties; old clients accept that',
      });
    }
    if (a === 'none' && b === 'any') {
      return fact('wider', `${k}-opened`, place(k), `${k} no longer false`, {
        'client-to-server': 'the server now accepts undeclared properties',
        'server-to-client': 'the server may now send undeclared properties, which old clients reject (their schema has additionalProperties: false)',
      });
    }
    compareSlot(k);
  }

  /** A keyword holding one subschema; absent (or true, or {}) means "anything". */
  function compareSlot(k: string, inverted = false): void {
    const a = slot(os[k]);
    const b = slot(ns[k]);
    if (a === 'any' && b === 'any') return;
    if (a === 'none' && b === 'none') return;
    const polarity = (e: 'wider' | 'narrower'): Effect => (inverted ? (e === 'wider' ? 'narrower' : 'wider') : e);
    if (a === 'any') return fact(polarity('narrower'), `${k}-added`, place(k), `${k} ${b === 'none' ? 'set to false' : 'constraint added'}`);
    if (b === 'any') return fact(polarity('wider'), `${k}-removed`, place(k), `${k} constraint removed`);
    if (a === 'none') return fact(polarity('wider'), `${k}-changed`, place(k), `${k} was false and now allows values`);
    if (b === 'none') return fact(polarity('narrower'), `${k}-changed`, place(k), `${k} is now false`);
    recurse(child(w.oldRoot, o, k), child(w.newRoot, n, k), inverted ? !flip : flip);
  }

  function compareSchemaMap(k: 'patternProperties' | 'dependentSchemas'): void {
    const a = isSchemaObject(os[k]) ? os[k] : {};
    const b = isSchemaObject(ns[k]) ? ns[k] : {};
    for (const name of Object.keys(b)) {
      if (name in a) recurse(child(w.oldRoot, o, k, name), child(w.newRoot, n, k, name));
      else if (k === 'patternProperties' && closed(os)) fact('wider', `${k}-added`, place(k, name), `${k} /${name}/ added: matching properties, rejected before, are allowed now`);
      else fact('narrower', `${k}-added`, place(k, name), `${k} ${JSON.stringify(name)} added`);
    }
    for (const name of Object.keys(a)) {
      if (name in b) continue;
      const where = { view: o, side: 'old' as const, pointer: at(o, k, name) };
      if (k === 'patternProperties' && closed(ns)) fact('narrower', `${k}-removed`, where, `${k} /${name}/ removed: matching properties are rejected now`);
      else fact('wider', `${k}-removed`, where, `${k} ${JSON.stringify(name)} removed`);
    }
  }

  function compareDependentRequired(): void {
    const a = isSchemaObject(os.dependentRequired) ? os.dependentRequired : {};
    const b = isSchemaObject(ns.dependentRequired) ? ns.dependentRequired : {};
    for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const x = stringSet(a[name]);
      const y = stringSet(b[name]);
      const added = [...y].some((v) => !x.has(v));
      const removed = [...x].some((v) => !y.has(v));
      if (!added && !removed) continue;
      fact(added && removed ? 'incompatible' : added ? 'narrower' : 'wider', 'dependentRequired-changed', place('dependentRequired', name), `dependentRequired of "${name}" changed`);
    }
  }

  function comparePrefixItems(): void {
    const a = Array.isArray(os.prefixItems) ? os.prefixItems : [];
    const b = Array.isArray(ns.prefixItems) ? ns.prefixItems : [];
    for (let i = 0; i < Math.min(a.length, b.length); i++) recurse(child(w.oldRoot, o, 'prefixItems', i), child(w.newRoot, n, 'prefixItems', i));
    if (b.length > a.length) fact('narrower', 'prefixItems-added', place('prefixItems', a.length), `prefixItems constrain ${b.length - a.length} more position(s)`);
    if (a.length > b.length) fact('wider', 'prefixItems-removed', { view: o, side: 'old', pointer: at(o, 'prefixItems', b.length) }, `prefixItems constrain ${a.length - b.length} fewer position(s)`);
  }

  /** allOf / anyOf / oneOf: pair equal members first, then the rest by position. */
  function compareList(k: 'allOf' | 'anyOf' | 'oneOf'): void {
    const a = Array.isArray(os[k]) ? (os[k] as unknown[]) : [];
    const b = Array.isArray(ns[k]) ? (ns[k] as unknown[]) : [];
    if (a.length === 0 && b.length === 0) return;
    const pairs: [number, number][] = [];
    const usedB = new Set<number>();
    const leftA: number[] = [];
    a.forEach((m, i) => {
      const j = b.findIndex((x, jj) => !usedB.has(jj) && sameJson(x, m));
      if (j >= 0) {
        usedB.add(j);
        pairs.push([i, j]);
      } else leftA.push(i);
    });
    const leftB = b.map((_, j) => j).filter((j) => !usedB.has(j));
    while (leftA.length > 0 && leftB.length > 0) pairs.push([leftA.shift()!, leftB.shift()!]);
    for (const [i, j] of pairs) recurse(child(w.oldRoot, o, k, i), child(w.newRoot, n, k, j));
    const adds: Effect = k === 'allOf' ? 'narrower' : 'wider';
    const removes: Effect = k === 'allOf' ? 'wider' : 'narrower';
    for (const j of leftB) fact(adds, `${k}-member-added`, { view: n, side: 'new', pointer: at(n, k, j) }, `${k} member added`);
    for (const i of leftA) fact(removes, `${k}-member-removed`, { view: o, side: 'old', pointer: at(o, k, i) }, `${k} member removed`);
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

function slot(value: unknown): 'any' | 'none' | Schema {
  if (value === undefined || value === true) return 'any';
  if (value === false) return 'none';
  if (isSchemaObject(value) && Object.keys(value).length === 0) return 'any';
  return isSchemaObject(value) ? value : 'any';
}

function closed(s: Schema): boolean {
  return s.additionalProperties === false || s.unevaluatedProperties === false;
}

function stringSet(value: unknown): Set<string> {
  return new Set(Array.isArray(value) ? value.filter((x): x is string => typeof x === 'string') : []);
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
