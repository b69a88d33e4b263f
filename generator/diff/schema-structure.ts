/**
 * Schema-diff comparers for the keywords that shape a value: object properties, required names,
 * additional and pattern properties, array items and prefixes, and the combinators (allOf, anyOf,
 * oneOf, not, if/then/else). Each takes the pair being compared, records facts on it and recurses
 * into subschemas through it (schema-compare.ts runs them in order).
 */
import { sameJson } from './change.js';
import { at, type Effect, type Pair, type View } from './schema-view.js';
import { isSchemaObject, type Schema } from '../schema-walk.js';

export function compareObjects(p: Pair): void {
  compareProperties(p);
  compareAdditional(p, 'additionalProperties');
  compareAdditional(p, 'unevaluatedProperties');
  compareSchemaMap(p, 'patternProperties');
  compareSchemaMap(p, 'dependentSchemas');
  compareSlot(p, 'propertyNames');
  compareDependentRequired(p);
}

function compareProperties(p: Pair): void {
  const op = isSchemaObject(p.os.properties) ? p.os.properties : {};
  const np = isSchemaObject(p.ns.properties) ? p.ns.properties : {};
  const oreq = stringSet(p.os.required);
  const nreq = stringSet(p.ns.required);
  const oClosed = closed(p.os);
  const nClosed = closed(p.ns);
  for (const name of Object.keys(np)) {
    const where = { view: p.n, side: 'new' as const, pointer: at(p.n, 'properties', name) };
    if (!(name in op)) {
      propertyAdded(p, name, nreq.has(name), oClosed, where);
      continue;
    }
    p.recurse(p.oldChild('properties', name), p.newChild('properties', name));
    if (oreq.has(name) && !nreq.has(name)) {
      p.fact('wider', 'property-now-optional', where, `property "${name}" is no longer required`, {
        'client-to-server': 'clients may now omit it; old clients always send it',
        'server-to-client': 'old clients require it and reject a {n} without it',
      });
    } else if (!oreq.has(name) && nreq.has(name)) {
      p.fact('narrower', 'property-now-required', where, `property "${name}" is now required`, {
        'client-to-server': 'old clients that omit it are now rejected',
        'server-to-client': 'the server now always sends it; old clients accept that',
      });
    }
  }
  for (const name of Object.keys(op)) {
    if (!(name in np)) propertyRemoved(p, name, oreq.has(name), nClosed, { view: p.o, side: 'old', pointer: at(p.o, 'properties', name) });
  }
  // Required names that no `properties` declares (an open object requiring an undeclared key).
  [...nreq].forEach((name) => {
    if (!oreq.has(name) && !(name in np) && !(name in op)) p.fact('narrower', 'required-added', { view: p.n, side: 'new', pointer: at(p.n, 'required') }, `"${name}" is now required`);
  });
  [...oreq].forEach((name) => {
    if (!nreq.has(name) && !(name in np) && !(name in op)) p.fact('wider', 'required-removed', { view: p.o, side: 'old', pointer: at(p.o, 'required') }, `"${name}" is no longer required`);
  });
}

function propertyAdded(p: Pair, name: string, required: boolean, oldClosed: boolean, where: { view: View; side: 'new'; pointer: string }): void {
  const what = `new ${required ? 'required' : 'optional'} property "${name}"`;
  const c2s = required ? 'a {n} from an old client lacks it and is rejected' : 'old clients never send it, and their {n}s are still accepted';
  const s2c = oldClosed
    ? 'old clients validate with additionalProperties: false and reject a {n} that carries it'
    : `old clients' schema allows extra properties, so they accept and ignore it`;
  const effect: Effect = required ? (oldClosed ? 'incompatible' : 'narrower') : oldClosed ? 'wider' : 'neutral';
  p.fact(effect, 'property-added', where, what, { 'client-to-server': c2s, 'server-to-client': s2c });
}

function propertyRemoved(p: Pair, name: string, wasRequired: boolean, newClosed: boolean, where: { view: View; side: 'old'; pointer: string }): void {
  const what = `${wasRequired ? 'required' : 'optional'} property "${name}" removed`;
  const c2s = newClosed
    ? 'the schema is closed (additionalProperties: false), so a {n} from an old client that sends it is rejected'
    : 'the schema allows extra properties, so old clients that still send it are accepted';
  const s2c = wasRequired ? 'old clients require it and reject a {n} without it' : 'the server no longer sends it; old clients treat it as optional';
  const effect: Effect = newClosed ? (wasRequired ? 'incompatible' : 'narrower') : wasRequired ? 'wider' : 'neutral';
  p.fact(effect, 'property-removed', where, what, { 'client-to-server': c2s, 'server-to-client': s2c });
}

function compareAdditional(p: Pair, k: 'additionalProperties' | 'unevaluatedProperties'): void {
  const a = slot(p.os[k]);
  const b = slot(p.ns[k]);
  if (a === 'any' && b === 'none') {
    return p.fact('narrower', `${k}-closed`, p.place(k), `${k} set to false`, {
      'client-to-server': 'a {n} from an old client that carries undeclared properties is now rejected',
      'server-to-client': 'the server may no longer send undeclared properties; old clients accept that',
    });
  }
  if (a === 'none' && b === 'any') {
    return p.fact('wider', `${k}-opened`, p.place(k), `${k} no longer false`, {
      'client-to-server': 'the server now accepts undeclared properties',
      'server-to-client': 'the server may now send undeclared properties, which old clients reject (their schema has additionalProperties: false)',
    });
  }
  compareSlot(p, k);
}

/** A keyword holding one subschema; absent (or true, or {}) means "anything". */

function compareSlot(p: Pair, k: string, inverted = false): void {
  const a = slot(p.os[k]);
  const b = slot(p.ns[k]);
  if (a === 'any' && b === 'any') return;
  if (a === 'none' && b === 'none') return;
  const polarity = (e: 'wider' | 'narrower'): Effect => (inverted ? (e === 'wider' ? 'narrower' : 'wider') : e);
  if (a === 'any') return p.fact(polarity('narrower'), `${k}-added`, p.place(k), `${k} ${b === 'none' ? 'set to false' : 'constraint added'}`);
  if (b === 'any') return p.fact(polarity('wider'), `${k}-removed`, p.place(k), `${k} constraint removed`);
  if (a === 'none') return p.fact(polarity('wider'), `${k}-changed`, p.place(k), `${k} was false and now allows values`);
  if (b === 'none') return p.fact(polarity('narrower'), `${k}-changed`, p.place(k), `${k} is now false`);
  p.recurse(p.oldChild(k), p.newChild(k), inverted ? !p.flip : p.flip);
}

function compareSchemaMap(p: Pair, k: 'patternProperties' | 'dependentSchemas'): void {
  const a = isSchemaObject(p.os[k]) ? p.os[k] : {};
  const b = isSchemaObject(p.ns[k]) ? p.ns[k] : {};
  for (const name of Object.keys(b)) {
    if (name in a) p.recurse(p.oldChild(k, name), p.newChild(k, name));
    else if (k === 'patternProperties' && closed(p.os)) p.fact('wider', `${k}-added`, p.place(k, name), `${k} /${name}/ added: matching properties, rejected before, are allowed now`);
    else p.fact('narrower', `${k}-added`, p.place(k, name), `${k} ${JSON.stringify(name)} added`);
  }
  for (const name of Object.keys(a)) {
    if (name in b) continue;
    const where = { view: p.o, side: 'old' as const, pointer: at(p.o, k, name) };
    if (k === 'patternProperties' && closed(p.ns)) p.fact('narrower', `${k}-removed`, where, `${k} /${name}/ removed: matching properties are rejected now`);
    else p.fact('wider', `${k}-removed`, where, `${k} ${JSON.stringify(name)} removed`);
  }
}

function compareDependentRequired(p: Pair): void {
  const a = isSchemaObject(p.os.dependentRequired) ? p.os.dependentRequired : {};
  const b = isSchemaObject(p.ns.dependentRequired) ? p.ns.dependentRequired : {};
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = stringSet(a[name]);
    const y = stringSet(b[name]);
    const added = [...y].some((v) => !x.has(v));
    const removed = [...x].some((v) => !y.has(v));
    if (!added && !removed) continue;
    p.fact(added && removed ? 'incompatible' : added ? 'narrower' : 'wider', 'dependentRequired-changed', p.place('dependentRequired', name), `dependentRequired of "${name}" changed`);
  }
}

export function compareArrays(p: Pair): void {
  compareSlot(p, 'items');
  compareSlot(p, 'unevaluatedItems');
  compareSlot(p, 'contains');
  comparePrefixItems(p);
}

function comparePrefixItems(p: Pair): void {
  const a = Array.isArray(p.os.prefixItems) ? p.os.prefixItems : [];
  const b = Array.isArray(p.ns.prefixItems) ? p.ns.prefixItems : [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) p.recurse(p.oldChild('prefixItems', i), p.newChild('prefixItems', i));
  if (b.length > a.length) p.fact('narrower', 'prefixItems-added', p.place('prefixItems', a.length), `prefixItems constrain ${b.length - a.length} more position(s)`);
  if (a.length > b.length) p.fact('wider', 'prefixItems-removed', { view: p.o, side: 'old', pointer: at(p.o, 'prefixItems', b.length) }, `prefixItems constrain ${a.length - b.length} fewer position(s)`);
}

/** allOf / anyOf / oneOf: pair equal members first, then the rest by position. */

export function compareCombinators(p: Pair): void {
  compareList(p, 'allOf');
  compareList(p, 'anyOf');
  compareList(p, 'oneOf');
  compareSlot(p, 'not', true);
  if (!sameJson(p.os.if, p.ns.if)) {
    p.fact('incompatible', 'if-changed', p.place('if'), 'the if/then/else condition changed; contractgen cannot compare conditionals');
  } else {
    compareSlot(p, 'then');
    compareSlot(p, 'else');
  }
}

function compareList(p: Pair, k: 'allOf' | 'anyOf' | 'oneOf'): void {
  const a = Array.isArray(p.os[k]) ? (p.os[k] as unknown[]) : [];
  const b = Array.isArray(p.ns[k]) ? (p.ns[k] as unknown[]) : [];
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
  for (const [i, j] of pairs) p.recurse(p.oldChild(k, i), p.newChild(k, j));
  const adds: Effect = k === 'allOf' ? 'narrower' : 'wider';
  const removes: Effect = k === 'allOf' ? 'wider' : 'narrower';
  for (const j of leftB) p.fact(adds, `${k}-member-added`, { view: p.n, side: 'new', pointer: at(p.n, k, j) }, `${k} member added`);
  for (const i of leftA) p.fact(removes, `${k}-member-removed`, { view: p.o, side: 'old', pointer: at(p.o, k, i) }, `${k} member removed`);
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
