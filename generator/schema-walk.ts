/**
 * Small, dependency-free helpers to read a JSON Schema 2020-12 document: follow local `$ref`s,
 * visit every subschema with its JSON pointer, and ask what an object schema requires.
 */
import { escapePointerToken, parsePointer } from './diagnostics.js';

export type Schema = { readonly [key: string]: unknown };

export function isSchemaObject(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Value at a JSON pointer (`#/…` or `/…`), or undefined. Own members only: `#/$defs/toString` is not a schema. */
export function getAt(root: unknown, pointer: string): unknown {
  let node: unknown = root;
  for (const token of parsePointer(pointer)) {
    if (Array.isArray(node)) node = /^(0|[1-9]\d*)$/.test(token) ? node[Number(token)] : undefined;
    else if (isSchemaObject(node)) node = Object.hasOwn(node, token) ? node[token] : undefined;
    else return undefined;
  }
  return node;
}

export interface Resolved {
  readonly schema: Schema;
  readonly pointer: string;
  /** Where the schema was declared before following $ref (the place a fix usually goes). */
  readonly via?: string;
}

/**
 * Follows `$ref` chains that point inside the document. Returns the last schema reached and
 * its pointer; `undefined` when a reference does not resolve.
 */
export function deref(root: Schema, schema: Schema, pointer: string): Resolved | undefined {
  let current: Resolved = { schema, pointer };
  for (let hops = 0; hops < 32; hops++) {
    const ref = current.schema.$ref;
    if (typeof ref !== 'string') return current;
    if (!ref.startsWith('#')) return undefined;
    const target = getAt(root, ref);
    if (!isSchemaObject(target)) return undefined;
    current = { schema: target, pointer: ref.slice(1) };
  }
  return undefined;
}

/** The schemas that apply at one level (the schema itself, its $ref target, its allOf members). */
export function applicable(root: Schema, schema: Schema, pointer: string): Resolved[] {
  const out: Resolved[] = [];
  const visit = (s: Schema, p: string, depth: number): void => {
    if (depth > 16) return;
    out.push({ schema: s, pointer: p });
    if (typeof s.$ref === 'string') {
      const r = deref(root, { $ref: s.$ref }, p);
      if (r) visit(r.schema, r.pointer, depth + 1);
    }
    if (Array.isArray(s.allOf)) s.allOf.forEach((m, i) => isSchemaObject(m) && visit(m, `${p}/allOf/${i}`, depth + 1));
  };
  visit(schema, pointer, 0);
  return out;
}

/** Does an object schema (with its $ref/allOf) require the property? */
export function requiresProperty(root: Schema, schema: Schema, pointer: string, name: string): boolean {
  return applicable(root, schema, pointer).some((r) => Array.isArray(r.schema.required) && r.schema.required.includes(name));
}

/** The (first) schema declared for a property, resolved through $ref, with its pointer. */
export function propertySchema(root: Schema, schema: Schema, pointer: string, name: string): Resolved | undefined {
  for (const r of applicable(root, schema, pointer)) {
    const props = r.schema.properties;
    // Own properties only: a payload without "constructor" must not find Object's (G2).
    if (isSchemaObject(props) && Object.hasOwn(props, name) && isSchemaObject(props[name])) {
      const p = `${r.pointer}/properties/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const target = deref(root, props[name] as Schema, p);
      return target ? { ...target, via: p } : { schema: props[name] as Schema, pointer: p, via: p };
    }
  }
  return undefined;
}

/**
 * Can an object schema hold a property it does not declare? True unless some applicable schema
 * closes it with `additionalProperties: false` (or `unevaluatedProperties: false`).
 */
export function allowsUndeclared(root: Schema, schema: Schema, pointer: string): boolean {
  return !applicable(root, schema, pointer).some(
    (r) => r.schema.additionalProperties === false || r.schema.unevaluatedProperties === false,
  );
}

const SCHEMA_MAP_KEYS = ['$defs', 'definitions', 'properties', 'patternProperties', 'dependentSchemas'];
const SCHEMA_KEYS = ['additionalProperties', 'items', 'contains', 'not', 'if', 'then', 'else', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems', 'contentSchema'];
const SCHEMA_ARRAY_KEYS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];

/**
 * Visits every subschema of the document, depth first, with its pointer and the name of the
 * property it describes (when it sits under `properties`).
 */
export function walkSchemas(root: Schema, visit: (schema: Schema, pointer: string, propertyName?: string) => void): void {
  // The keywords' own pointer tokens need no escaping: `/${key}` is pointerOf(key).
  const walk = (s: unknown, pointer: string, propertyName?: string): void => {
    if (!isSchemaObject(s)) return;
    visit(s, pointer, propertyName);
    for (const key of SCHEMA_MAP_KEYS) {
      const map = s[key];
      if (isSchemaObject(map)) {
        const at = `${pointer}/${key}/`;
        for (const [name, sub] of Object.entries(map)) walk(sub, at + escapePointerToken(name), key === 'properties' ? name : undefined);
      }
    }
    for (const key of SCHEMA_KEYS) if (key in s) walk(s[key], `${pointer}/${key}`);
    for (const key of SCHEMA_ARRAY_KEYS) {
      const list = s[key];
      if (Array.isArray(list)) list.forEach((sub, i) => walk(sub, `${pointer}/${key}/${i}`));
    }
  };
  walk(root, '');
}

/**
 * A copy of a schema without some keywords, at every level but never inside a map of names
 * (`maps`: `properties`, `$defs`, …, whose keys are names, not keywords); `data` keywords
 * (`enum`, `const`, …) hold values and are copied as they are. `inMap`: `value` itself is such a map.
 */
export function withoutKeywords(value: unknown, drop: ReadonlySet<string>, kinds: { readonly maps: ReadonlySet<string>; readonly data?: ReadonlySet<string> }, inMap = false): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutKeywords(v, drop, kinds));
  if (!isSchemaObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (!inMap && drop.has(key)) continue;
    out[key] = !inMap && kinds.data?.has(key) ? v : withoutKeywords(v, drop, kinds, !inMap && kinds.maps.has(key));
  }
  return out;
}
