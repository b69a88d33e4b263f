/**
 * Model stage — fields: the declared properties of an object schema (through `$ref` and `allOf`),
 * the branches of a `oneOf`/`anyOf` payload, and a short human label for a schema's type.
 */
import { applicable, deref, isSchemaObject, propertySchema, requiresProperty, type Schema } from '../schema-walk.js';

export interface FieldModel {
  readonly name: string;
  readonly required: boolean;
  /** Short human type, e.g. `integer >= 1`, `SessionId`, `"click" | "submit"`. */
  readonly typeLabel: string;
  /** The `$defs` entry the field is declared as (`"$ref": "#/$defs/SessionId"`), if it is one. */
  readonly typeName?: string;
  readonly description?: string;
  /** The schema as declared (a `$ref` as written), for the exports to point at the named schema. */
  readonly schema: Schema;
}

/** One branch of a payload's `oneOf`/`anyOf`: a label and its own fields. */
export interface VariantModel {
  /** The branch's title, else its discriminating `const` field (`kind = "text"`), else `variant N`. */
  readonly label: string;
  readonly fields: readonly FieldModel[];
}

/** The declared properties of an object schema, through its $ref and allOf members, in order. */
export function fieldsOf(root: Schema, schema: Schema, pointer: string): FieldModel[] {
  const props: Record<string, Schema> = {};
  for (const r of applicable(root, schema, pointer)) {
    if (isSchemaObject(r.schema.properties)) for (const [name, p] of Object.entries(r.schema.properties)) if (!(name in props) && isSchemaObject(p)) props[name] = p;
  }
  return Object.keys(props).map((name) => {
    const declared = props[name] as Schema;
    const resolved = propertySchema(root, schema, pointer, name);
    const description = typeof declared.description === 'string' ? declared.description : typeof resolved?.schema.description === 'string' ? resolved.schema.description : undefined;
    const typeName = defName(root, declared.$ref);
    return { name, required: requiresProperty(root, schema, pointer, name), typeLabel: typeLabel(declared), ...(typeName ? { typeName } : {}), ...(description ? { description } : {}), schema: declared };
  });
}

/** `#/$defs/Name` → `Name` when that entry exists. */
export function defName(root: Schema, ref: unknown): string | undefined {
  if (typeof ref !== 'string' || !ref.startsWith('#/$defs/')) return undefined;
  const name = ref.slice('#/$defs/'.length);
  return !name.includes('/') && isSchemaObject(root.$defs) && Object.hasOwn(root.$defs, name) ? name : undefined;
}

/** The branches of a `oneOf`/`anyOf` payload, each with its fields (docs show every one, not "none"). */
export function variantsOf(root: Schema, schema: Schema, pointer: string): VariantModel[] {
  for (const r of applicable(root, schema, pointer)) {
    const key = Array.isArray(r.schema.oneOf) ? 'oneOf' : Array.isArray(r.schema.anyOf) ? 'anyOf' : undefined;
    if (!key) continue;
    return (r.schema[key] as unknown[]).flatMap((branch, i) => {
      if (!isSchemaObject(branch)) return [];
      const at = deref(root, branch, `${r.pointer}/${key}/${i}`) ?? { schema: branch, pointer: `${r.pointer}/${key}/${i}` };
      const fields = fieldsOf(root, at.schema, at.pointer);
      return [{ label: variantLabel(root, at.schema, at.pointer, fields, i), fields }];
    });
  }
  return [];
}

function variantLabel(root: Schema, schema: Schema, pointer: string, fields: readonly FieldModel[], index: number): string {
  if (typeof schema.title === 'string' && schema.title.trim() !== '') return schema.title.trim();
  for (const f of fields) {
    const s = propertySchema(root, schema, pointer, f.name)?.schema;
    if (s && 'const' in s) return `${f.name} = ${JSON.stringify(s.const)}`;
  }
  return typeof schema.$ref === 'string' ? schema.$ref.split('/').pop()! : `variant ${index + 1}`;
}

/** A short human label for a schema, used in docs and error text. */
export function typeLabel(s: Schema): string {
  if (typeof s.$ref === 'string') return s.$ref.split('/').pop()!;
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (s.type === 'array') {
    const items = isSchemaObject(s.items) ? typeLabel(s.items) : 'any';
    return `${items}[]`;
  }
  if (s.type === 'integer' || s.type === 'number') {
    const bounds = [typeof s.minimum === 'number' ? `>= ${s.minimum}` : '', typeof s.maximum === 'number' && s.maximum < Number.MAX_SAFE_INTEGER ? `<= ${s.maximum}` : ''].filter(Boolean);
    return [s.type, ...bounds].join(' ');
  }
  if (typeof s.type === 'string') return s.type;
  if (Array.isArray(s.type)) return s.type.join(' | ');
  if (isSchemaObject(s.properties)) return 'object';
  return 'any JSON';
}

/** First sentence of a description, on one line (one-line JSDoc, table summaries). */
export function firstSentence(text: string): string {
  return (text.split(/(?<=\.)\s/)[0] ?? '').replace(/\s+/g, ' ').trim();
}
