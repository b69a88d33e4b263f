/**
 * What the schema diff compares: a schema as seen after following its local `$ref`s (keywords
 * next to a `$ref` laid over the target's, each remembering where it was written), the keyword
 * lists the comparers share, and `Pair`, one OLD/NEW pair being compared, on which comparers
 * record facts and recurse.
 */
import { pointerOf } from '../diagnostics.js';
import { getAt, isSchemaObject, type Schema } from '../schema-walk.js';
import { canonicalJson, type Direction } from './change.js';

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
export const ANNOTATIONS = ['title', 'description', 'examples', '$comment', 'default', 'deprecated', 'readOnly', 'writeOnly', 'contentEncoding', 'contentMediaType', 'contentSchema'];
/** Keywords that are containers or identifiers, not constraints on an instance. */
export const IGNORED = ['$defs', 'definitions', '$id', '$anchor', '$dynamicAnchor', '$schema', '$vocabulary', 'x-message'];
export const LOWER_COUNTS: readonly [string, number][] = [['minLength', 0], ['minItems', 0], ['minProperties', 0], ['minContains', 1]];
export const UPPER_COUNTS = ['maxLength', 'maxItems', 'maxProperties', 'maxContains'];
export const HANDLED = new Set([
  ...ANNOTATIONS,
  ...IGNORED,
  'type', 'const', 'enum', 'minimum', 'exclusiveMinimum', 'maximum', 'exclusiveMaximum', 'multipleOf',
  ...LOWER_COUNTS.map(([k]) => k), ...UPPER_COUNTS, 'pattern', 'format', 'uniqueItems',
  'properties', 'required', 'additionalProperties', 'unevaluatedProperties', 'patternProperties', 'propertyNames',
  'dependentRequired', 'dependentSchemas', 'items', 'prefixItems', 'contains', 'unevaluatedItems',
  'allOf', 'anyOf', 'oneOf', 'not', 'if', 'then', 'else',
]);

/** A schema as seen after following its $ref, with where each keyword was written. */
export interface View {
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
export function resolve(root: Schema, node: unknown, pointer: string, depth = 0): View {
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

export const at = (v: View, ...tokens: (string | number)[]): string => `${v.origin(String(tokens[0]))}${pointerOf(...tokens)}`;
export const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : canonicalJson(value));

/** One OLD/NEW pair of (resolved) schemas being compared. */
export interface Pair {
  readonly o: View;
  readonly n: View;
  readonly os: Schema;
  readonly ns: Schema;
  /** Under `not`: the polarity of every fact is inverted. */
  readonly flip: boolean;
  /** Records a fact. Under `not` the polarity is inverted and direction-specific wording dropped. */
  fact(effect: Effect, code: string, where: { view: View; side: 'old' | 'new'; pointer: string }, what: string, why?: SchemaFact['why']): void;
  /** Where a change to keyword k is reported: in NEW when NEW has it, else in OLD. */
  place(k: string, ...rest: (string | number)[]): { view: View; side: 'old' | 'new'; pointer: string };
  /** The subschema of OLD (or NEW) at the tokens, resolved. */
  oldChild(...tokens: (string | number)[]): View;
  newChild(...tokens: (string | number)[]): View;
  /** Compares two subschemas (inverted: under `not`). */
  recurse(oc: View, nc: View, inverted?: boolean): void;
}
