/**
 * The structural JSON Schema comparison under the schema diff: walks an OLD and a NEW schema side
 * by side (through local $refs, with a guard so recursive schemas terminate) and says, for each
 * difference, whether NEW accepts more instances than OLD, fewer, different ones, or the same
 * ones (an annotation). It knows nothing about directions: schema-diff.ts turns an effect into
 * breaking / additive / doc-only for the side that validates.
 */
import { isSchemaObject, type Schema } from '../schema-walk.js';
import { sameJson } from './change.js';
import { compareAnnotations, compareCounts, compareNumbers, compareStrings, compareTypes, compareUnknown } from './schema-keywords.js';
import { compareArrays, compareCombinators, compareObjects } from './schema-structure.js';
import { at, resolve, type Pair, type SchemaFact, type View } from './schema-view.js';

export type { Effect, SchemaFact } from './schema-view.js';

/** The comparers, in the order their facts are reported, each keyed by what it looks at. */
const COMPARERS: readonly { readonly what: string; compare(p: Pair): void }[] = [
  { what: 'annotations: documentation only', compare: compareAnnotations },
  { what: 'type, const, enum', compare: compareTypes },
  { what: 'numbers: bounds and multipleOf', compare: compareNumbers },
  { what: 'lengths and counts', compare: compareCounts },
  { what: 'strings: pattern, format; uniqueItems', compare: compareStrings },
  { what: 'objects: properties, required, additional and pattern properties', compare: compareObjects },
  { what: 'arrays: items, contains, prefixItems', compare: compareArrays },
  { what: 'combinators: allOf, anyOf, oneOf, not, if/then/else', compare: compareCombinators },
  { what: 'anything else: contractgen cannot judge it, so it is not called compatible', compare: compareUnknown },
];

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
  const child = (root: Schema, v: View, tokens: readonly (string | number)[]): View =>
    resolve(root, tokens.reduce<unknown>((node, t) => (isSchemaObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[t] : undefined), v.schema), at(v, ...tokens));
  const p: Pair = {
    o,
    n,
    os: o.schema,
    ns: n.schema,
    flip,
    fact(effect, code, where, what, why) {
      const e = flip && effect === 'wider' ? 'narrower' : flip && effect === 'narrower' ? 'wider' : effect;
      w.facts.push({ code, effect: e, pointer: where.pointer, side: where.side, what, ...(why && !flip ? { why } : {}) });
    },
    place: (k, ...rest) => (k in n.schema ? { view: n, side: 'new', pointer: at(n, k, ...rest) } : { view: o, side: 'old', pointer: at(o, k, ...rest) }),
    oldChild: (...tokens) => child(w.oldRoot, o, tokens),
    newChild: (...tokens) => child(w.newRoot, n, tokens),
    recurse: (oc, nc, inverted = flip) => walk(w, oc, nc, inverted),
  };

  if (o.unresolved || n.unresolved) {
    if (!sameJson(o.schema, n.schema) || o.unresolved !== n.unresolved) {
      p.fact('incompatible', 'ref-unresolved', { view: n, side: 'new', pointer: at(n, '$ref') }, `$ref ${o.unresolved ?? n.unresolved} does not resolve inside the document, so contractgen cannot compare what it points at`);
    }
    return;
  }
  if (o.isFalse || n.isFalse) {
    if (o.isFalse && !n.isFalse) p.fact('wider', 'schema-false-removed', { view: n, side: 'new', pointer: n.origin('') }, 'the schema was false (nothing allowed) and now allows values');
    if (!o.isFalse && n.isFalse) p.fact('narrower', 'schema-false', { view: n, side: 'new', pointer: n.origin('') }, 'the schema is now false: nothing is allowed');
    return;
  }
  for (const c of COMPARERS) c.compare(p);
}
