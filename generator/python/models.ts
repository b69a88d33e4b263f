/**
 * JSON Schema → Python types for the Python target's `models.py`: a TypedDict per object schema
 * (a $def, or an inline object named after where it sits: `UiRenderPayload`), `NotRequired` for
 * optional keys, `Literal` for const and string enums, type aliases for everything else, and a
 * union per direction discriminated by the `type` literal. TypedDicts, not Pydantic models: the
 * frames stay the plain dicts the wire and the validators work on (no copy per message), mypy
 * checks handler and emit payloads statically, and validation stays the Ajv-equivalent checks of
 * validators.py rather than Pydantic's own rules (see the README's "Python target").
 */
import { ContractError } from '../diagnostics.js';
import { isSchemaObject, type Schema } from '../schema-walk.js';
import { isPyFieldName, isPyIdentifier, py, pyBlock, PyCode, pyDocstring, pyIdentifier, pyString } from './escape.js';

export interface PyModels {
  /** Definitions in dependency-free order (every reference is a quoted forward reference). */
  readonly definitions: readonly PyCode[];
  /** The Python type name of a def. */
  typeOf(defName: string): PyCode;
  /** The Python type of the schema at a pointer (e.g. a message's payload). */
  typeAt(pointer: string): PyCode;
}

const pascal = (text: string): string =>
  text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

export function buildModels(root: Schema, defNames: readonly string[]): PyModels {
  const definitions: PyCode[] = [];
  const named = new Map<string, string>(); // pointer → class name
  const taken = new Set<string>(defNames);
  const typeExprs = new Map<string, string>();

  const resolve = (pointer: string): unknown => {
    let node: unknown = root;
    for (const token of pointer.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))) node = (node as Record<string, unknown> | undefined)?.[token];
    return node;
  };

  const defClassName = (defName: string): string => {
    if (!isPyIdentifier(defName)) {
      throw new ContractError([
        {
          severity: 'error',
          code: 'python-def-name',
          pointer: `/$defs/${defName}`,
          message: `the $defs name "${defName}" is not a Python identifier (or is a Python keyword or builtin), so it cannot name a Python type`,
          hint: 'rename it (PascalCase letters and digits that are not a Python keyword, e.g. "UiRender"), or build this spec for the TypeScript target only',
        },
      ]);
    }
    return defName;
  };

  const quote = (name: string): string => pyString(name).text;

  /** A Python type expression for the schema at `pointer`; `hint` names an inline object. */
  const typeExpr = (pointer: string, hint: string): string => {
    const cached = typeExprs.get(pointer);
    if (cached) return cached;
    const s = resolve(pointer);
    let out: string;
    if (s === true || s === undefined) out = 'Json';
    else if (s === false) out = 't.NoReturn';
    else if (!isSchemaObject(s)) out = 'Json';
    else if (typeof s.$ref === 'string' && s.$ref.startsWith('#/$defs/')) out = quote(defClassName(decodeURIComponent(s.$ref.slice('#/$defs/'.length))));
    else if ('const' in s) out = literalType([s.const]) ?? 'Json';
    else if (Array.isArray(s.enum)) out = literalType(s.enum) ?? 'Json';
    else if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
      const list = (s.anyOf ?? s.oneOf) as unknown[];
      const key = Array.isArray(s.anyOf) ? 'anyOf' : 'oneOf';
      out = `t.Union[${list.map((_, i) => typeExpr(`${pointer}/${key}/${i}`, `${hint}Option${i + 1}`)).join(', ')}]`;
    } else {
      const types = typeof s.type === 'string' ? [s.type] : Array.isArray(s.type) ? (s.type as string[]) : [];
      const parts = (types.length ? types : [isSchemaObject(s.properties) ? 'object' : 'any']).map((t) => {
        switch (t) {
          case 'string':
            return 'str';
          case 'integer':
            return 'int';
          case 'number':
            return 'float';
          case 'boolean':
            return 'bool';
          case 'null':
            return 'None';
          case 'array':
            return isSchemaObject(s.items) || s.items === true ? `list[${typeExpr(`${pointer}/items`, `${hint}Item`)}]` : 'list[Json]';
          case 'object':
            return isSchemaObject(s.properties) ? quote(typedDict(pointer, s, hint)) : 'dict[str, Json]';
          default:
            return 'Json';
        }
      });
      out = parts.length === 1 ? parts[0]! : `t.Union[${parts.join(', ')}]`;
    }
    typeExprs.set(pointer, out);
    return out;
  };

  const literalType = (values: readonly unknown[]): string | undefined => {
    if (!values.every((v) => typeof v === 'string' || typeof v === 'boolean' || v === null || (typeof v === 'number' && Number.isInteger(v)))) return undefined;
    return `t.Literal[${values.map((v) => (v === null ? 'None' : py`${v}`.text)).join(', ')}]`;
  };

  const uniqueName = (hint: string): string => {
    let name = isPyIdentifier(hint) ? hint : `Model${taken.size}`;
    for (let i = 2; taken.has(name); i++) name = `${hint}${i}`;
    taken.add(name);
    return name;
  };

  const typedDict = (pointer: string, s: Schema, hint: string): string => {
    const known = named.get(pointer);
    if (known) return known;
    const defName = /^\/\$defs\/([^/]+)$/.exec(pointer)?.[1];
    const name = defName ? defClassName(defName) : uniqueName(hint);
    named.set(pointer, name);
    const props = isSchemaObject(s.properties) ? s.properties : {};
    const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
    const fields = Object.keys(props).map((key) => {
      const ptr = `${pointer}/properties/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      const type = typeExpr(ptr, `${name}${pascal(key)}`);
      return { key, type: required.has(key) ? type : `t.NotRequired[${type}]` };
    });
    const description = typeof s.description === 'string' ? s.description : `The object at ${pointer} of the spec.`;
    const cls = pyIdentifier(name);
    if (fields.every((f) => isPyFieldName(f.key))) {
      const lines = [py`"""${pyDocstring(description)}"""`, ...fields.map((f) => new PyCode(`${f.key}: ${f.type}`))];
      definitions.push(py`class ${cls}(t.TypedDict):\n${pyBlock(lines.length > 1 ? lines : [...lines, py`pass`], 1)}`);
    } else {
      const body = fields.map((f) => `${pyString(f.key).text}: ${f.type}`).join(', ');
      definitions.push(new PyCode(`${cls.text} = t.TypedDict(${pyString(name).text}, {${body}})`));
    }
    return name;
  };

  const aliases: PyCode[] = [];
  for (const def of defNames) {
    const pointer = `/$defs/${def.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const s = resolve(pointer);
    if (isSchemaObject(s) && (s.type === 'object' || (s.type === undefined && isSchemaObject(s.properties))) && isSchemaObject(s.properties)) typedDict(pointer, s, def);
    else aliases.push(new PyCode(`${pyIdentifier(defClassName(def)).text}: t.TypeAlias = ${typeExpr(pointer, def)}`));
  }
  return {
    definitions: [...definitions, ...aliases],
    typeOf: (def) => new PyCode(defClassName(def)),
    typeAt: (pointer) => new PyCode(typeExpr(pointer, pascal(pointer.split('/').slice(2).join(' ')))),
  };
}
