/**
 * JSON Schema → Python check functions for the Python target's `validators.py`. Each check
 * returns the first issue or None, visiting keywords in the order of the TypeScript target's Ajv
 * code (compiled with allErrors off): an up-front type check when the type has no keyword group,
 * then `$ref`, `const`, `enum`, `not`, `anyOf`, `oneOf`, `allOf`, then the number, string, array
 * and object keywords, each group in Ajv's vocabulary order. So both targets refuse the same
 * values and name the same JSON pointer and keyword (the differential test holds them to it).
 * Keywords the Python target cannot check alike are refused at build time with a finding.
 */
import { ContractError, type Finding } from '../diagnostics.js';
import { isSchemaObject, type Schema } from '../schema-walk.js';
import { py, pyBlock, PyCode, pyIdentifier, pyString } from './escape.js';

/** Keywords that carry no validation (annotations, our vocabulary, formats: Ajv runs with validateFormats off). */
const IGNORED = new Set(['$schema', '$id', '$comment', '$defs', 'definitions', 'title', 'description', 'examples', 'default', 'deprecated', 'readOnly', 'writeOnly', 'format', 'contentMediaType', 'contentEncoding', 'x-message', 'x-contract']);
const SUPPORTED = new Set([
  'type', 'const', 'enum', '$ref', 'not', 'anyOf', 'oneOf', 'allOf',
  'maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum', 'multipleOf',
  'maxLength', 'minLength', 'pattern',
  'maxItems', 'minItems', 'uniqueItems', 'prefixItems', 'items',
  'maxProperties', 'minProperties', 'required', 'additionalProperties', 'properties',
]);
const GROUP_KEYWORDS: Readonly<Record<'number' | 'string' | 'array' | 'object', readonly string[]>> = {
  number: ['maximum', 'minimum', 'exclusiveMaximum', 'exclusiveMinimum', 'multipleOf'],
  string: ['maxLength', 'minLength', 'pattern'],
  array: ['maxItems', 'minItems', 'uniqueItems', 'prefixItems', 'items'],
  object: ['maxProperties', 'minProperties', 'required', 'additionalProperties', 'properties'],
};
const TYPE_TEST: Readonly<Record<string, (v: PyCode) => PyCode>> = {
  number: (v) => py`_v.is_number(${v})`,
  integer: (v) => py`_v.is_integer(${v})`,
  string: (v) => py`isinstance(${v}, str)`,
  boolean: (v) => py`isinstance(${v}, bool)`,
  null: (v) => py`${v} is None`,
  array: (v) => py`isinstance(${v}, list)`,
  object: (v) => py`isinstance(${v}, dict)`,
};

/** A number as JavaScript prints it, for Ajv's messages (`must be <= 9007199254740991`). */
const jsNumber = (n: unknown): string => String(n);

export interface CompiledChecks {
  /** Module-level Python function definitions, in a stable order. */
  readonly functions: readonly PyCode[];
  /** Module-level constants (compiled patterns, enum sets), in a stable order. */
  readonly constants: readonly PyCode[];
  /** The check function of a def, by def name. */
  checkOf(defName: string): PyCode;
  /** The check function of a schema reached by a pointer below a def (e.g. a payload). */
  checkAt(pointer: string): PyCode;
}

/**
 * Compiles the checks for the given roots (pointers like `/$defs/UiRender` or
 * `/$defs/UiRender/properties/payload`) and every def they reach.
 */
export function compileChecks(root: Schema, roots: readonly string[]): CompiledChecks {
  const functions: PyCode[] = [];
  const constants: PyCode[] = [];
  const names = new Map<string, PyCode>(); // pointer → function name
  const findings: Finding[] = [];
  let counter = 0;
  let constCounter = 0;

  const constant = (value: PyCode): PyCode => {
    const name = new PyCode(`_K${constCounter++}`);
    constants.push(py`${name} = ${value}`);
    return name;
  };

  const unsupported = (pointer: string, keyword: string): void => {
    findings.push({
      severity: 'error',
      code: 'python-unsupported-keyword',
      pointer: `${pointer}/${keyword}`,
      message: `the Python target cannot check "${keyword}" the way the TypeScript validators do`,
      hint: 'build this spec for the TypeScript target only, or express the constraint with the keywords both targets check (type, const, enum, properties, required, items, pattern, bounds, anyOf/oneOf/allOf/not)',
    });
  };

  const resolve = (pointer: string): unknown => {
    let node: unknown = root;
    for (const token of pointer.split('/').slice(1).map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))) {
      node = isSchemaObject(node) || Array.isArray(node) ? (node as Record<string, unknown>)[token] : undefined;
    }
    return node;
  };

  /** The function checking the schema at `pointer`; undefined when it accepts everything. */
  const fnFor = (pointer: string): PyCode | undefined => {
    const schema = resolve(pointer);
    if (schema === true || (isSchemaObject(schema) && Object.keys(schema).every((k) => IGNORED.has(k) || k.startsWith('x-')))) return undefined;
    // A bare $ref is its target's function.
    if (isSchemaObject(schema) && typeof schema.$ref === 'string' && Object.keys(schema).every((k) => k === '$ref' || IGNORED.has(k) || k.startsWith('x-'))) {
      return fnFor(refPointer(schema.$ref, pointer));
    }
    const known = names.get(pointer);
    if (known) return known;
    const defName = /^\/\$defs\/([^/]+)$/.exec(pointer)?.[1];
    const name = new PyCode(defName && /^[A-Za-z0-9_]+$/.test(defName) ? `_check_${defName}` : `_check_${counter++}`);
    names.set(pointer, name);
    const body = compileSchema(schema, pointer);
    functions.push(py`def ${name}(v: object, at: str) -> _v.ValidationIssue | None:\n${pyBlock([new PyCode(`# ${pointer.replace(/[^\x20-\x7e]/g, '?')}`), ...body, py`return None`], 1)}`);
    return name;
  };

  const refPointer = (ref: string, from: string): string => {
    if (!ref.startsWith('#')) {
      unsupported(from, '$ref');
      return '';
    }
    return decodeURIComponent(ref.slice(1));
  };

  const issue = (at: PyCode, message: string, keyword: string): PyCode => py`return _v.ValidationIssue(${at}, ${message}, ${keyword})`;

  /** Calls the check of a subschema; returns its issue if any. */
  const sub = (pointer: string, value: PyCode, at: PyCode): PyCode[] => {
    const fn = fnFor(pointer);
    if (!fn) return [];
    return [py`e = ${fn}(${value}, ${at})`, py`if e is not None:\n    return e`];
  };

  function compileSchema(schema: unknown, pointer: string): PyCode[] {
    const v = new PyCode('v');
    const at = new PyCode('at');
    if (schema === false) return [issue(at, 'boolean schema is false', 'false schema')];
    if (!isSchemaObject(schema)) return [];
    for (const key of Object.keys(schema)) if (!SUPPORTED.has(key) && !IGNORED.has(key) && !key.startsWith('x-')) unsupported(pointer, key);
    const out: PyCode[] = [];
    const types = typeof schema.type === 'string' ? [schema.type] : Array.isArray(schema.type) ? (schema.type as string[]) : [];
    const groupHasRules = (g: keyof typeof GROUP_KEYWORDS): boolean => GROUP_KEYWORDS[g].some((k) => k in schema);
    const inGroupType = types.length === 1 && types[0]! in GROUP_KEYWORDS && groupHasRules(types[0] as keyof typeof GROUP_KEYWORDS);
    // Ajv checks the type first unless it is one type whose keyword group the schema uses (then the group reports it).
    if (types.length > 0 && !inGroupType) {
      const test = types.map((t) => TYPE_TEST[t]?.(v) ?? new PyCode('False')).map((c) => c.text).join(' or ');
      out.push(py`if not (${new PyCode(test)}):\n    ${issue(at, `must be ${types.join(',')}`, 'type')}`);
    }
    // Group 0: keywords for any type.
    if (typeof schema.$ref === 'string') out.push(...sub(refPointer(schema.$ref, pointer), v, at));
    if ('const' in schema) out.push(py`if not _v.json_equal(v, ${schema.const}):\n    ${issue(at, `must be ${JSON.stringify(schema.const)}`, 'const')}`);
    if (Array.isArray(schema.enum)) {
      const message = `must be one of ${schema.enum.map((x) => JSON.stringify(x)).join(', ')}`;
      if (schema.enum.every((x) => typeof x === 'string')) {
        const set = constant(new PyCode(`frozenset((${schema.enum.map((x) => pyString(x as string).text).join(', ')},))`));
        out.push(py`if not (isinstance(v, str) and v in ${set}):\n    ${issue(at, message, 'enum')}`);
      } else {
        const list = constant(py`${schema.enum}`);
        out.push(py`if not any(_v.json_equal(v, x) for x in ${list}):\n    ${issue(at, message, 'enum')}`);
      }
    }
    if ('not' in schema) {
      const fn = fnFor(`${pointer}/not`);
      out.push(fn ? py`if ${fn}(v, at) is None:\n    ${issue(at, 'must NOT be valid', 'not')}` : issue(at, 'must NOT be valid', 'not'));
    }
    if (Array.isArray(schema.anyOf)) {
      const fns = schema.anyOf.map((_, i) => fnFor(`${pointer}/anyOf/${i}`));
      if (!fns.some((f) => f === undefined)) {
        out.push(py`first = ${fns[0]!}(v, at)`);
        const rest = fns.slice(1).map((f) => py` and ${f!}(v, at) is not None`.text).join('');
        out.push(py`if first is not None${new PyCode(rest)}:\n    return first`);
      }
    }
    if (Array.isArray(schema.oneOf)) {
      const fns = schema.oneOf.map((_, i) => fnFor(`${pointer}/oneOf/${i}`));
      const calls = fns.map((f) => (f ? py`${f}(v, at)` : new PyCode('None'))).map((c) => c.text);
      out.push(new PyCode(`results = [${calls.join(', ')}]`));
      out.push(
        py`if sum(r is None for r in results) != 1:\n    failed = [r for r in results if r is not None]\n    return failed[0] if failed else _v.ValidationIssue(at, ${'must match exactly one schema in oneOf'}, ${'oneOf'})`,
      );
    }
    if (Array.isArray(schema.allOf)) schema.allOf.forEach((_, i) => out.push(...sub(`${pointer}/allOf/${i}`, v, at)));

    for (const group of ['number', 'string', 'array', 'object'] as const) {
      if (!groupHasRules(group)) continue;
      const body = groupBody(group, schema, pointer);
      const test = group === 'number' ? py`_v.is_number(v)` : TYPE_TEST[group]!(v);
      const reportType = inGroupType && types[0] === group;
      out.push(py`if ${test}:\n${pyBlock(body.length ? body : [py`pass`], 1)}${reportType ? py`\nelse:\n    ${issue(at, `must be ${group}`, 'type')}` : new PyCode('')}`);
    }
    return out;
  }

  function groupBody(group: keyof typeof GROUP_KEYWORDS, s: Schema, pointer: string): PyCode[] {
    const at = new PyCode('at');
    const out: PyCode[] = [];
    const num = (k: string): number | undefined => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
    switch (group) {
      case 'number': {
        const bound = (k: string, op: string, verb: string): void => {
          const n = num(k);
          if (n !== undefined) out.push(py`if not (v ${new PyCode(op)} ${n}):\n    ${issue(at, `must be ${verb} ${jsNumber(n)}`, k)}`);
        };
        bound('maximum', '<=', '<=');
        bound('minimum', '>=', '>=');
        bound('exclusiveMaximum', '<', '<');
        bound('exclusiveMinimum', '>', '>');
        const m = num('multipleOf');
        if (m !== undefined) out.push(py`if not _v.is_multiple(v, ${m}):\n    ${issue(at, `must be multiple of ${jsNumber(m)}`, 'multipleOf')}`);
        break;
      }
      case 'string': {
        const max = num('maxLength');
        if (max !== undefined) out.push(py`if len(v) > ${max}:\n    ${issue(at, `must NOT have more than ${jsNumber(max)} characters`, 'maxLength')}`);
        const min = num('minLength');
        if (min !== undefined) out.push(py`if len(v) < ${min}:\n    ${issue(at, `must NOT have fewer than ${jsNumber(min)} characters`, 'minLength')}`);
        if (typeof s.pattern === 'string') {
          const re = constant(py`_v.ecma_pattern(${s.pattern})`);
          out.push(py`if ${re}.search(v) is None:\n    ${issue(at, `must match pattern "${s.pattern}"`, 'pattern')}`);
        }
        break;
      }
      case 'array': {
        const max = num('maxItems');
        if (max !== undefined) out.push(py`if len(v) > ${max}:\n    ${issue(at, `must NOT have more than ${jsNumber(max)} items`, 'maxItems')}`);
        const min = num('minItems');
        if (min !== undefined) out.push(py`if len(v) < ${min}:\n    ${issue(at, `must NOT have fewer than ${jsNumber(min)} items`, 'minItems')}`);
        if (s.uniqueItems === true) {
          out.push(py`dup = _v.unique_violation(v)\nif dup is not None:\n    return _v.ValidationIssue(at, f"must NOT have duplicate items (items ## {dup[0]} and {dup[1]} are identical)", "uniqueItems")`);
        }
        const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : [];
        prefix.forEach((_, i) => {
          const fn = fnFor(`${pointer}/prefixItems/${i}`);
          if (fn) out.push(py`if len(v) > ${i}:\n    e = ${fn}(v[${i}], at + ${`/${i}`})\n    if e is not None:\n        return e`);
        });
        if ('items' in s && s.items !== undefined) {
          const fn = fnFor(`${pointer}/items`);
          if (s.items === false) out.push(py`if len(v) > ${prefix.length}:\n    ${issue(at, `must NOT have more than ${prefix.length} items`, 'items')}`);
          else if (fn) out.push(py`for i in range(${prefix.length}, len(v)):\n    e = ${fn}(v[i], at + "/" + str(i))\n    if e is not None:\n        return e`);
        }
        break;
      }
      case 'object': {
        const max = num('maxProperties');
        if (max !== undefined) out.push(py`if len(v) > ${max}:\n    ${issue(at, `must NOT have more than ${jsNumber(max)} properties`, 'maxProperties')}`);
        const min = num('minProperties');
        if (min !== undefined) out.push(py`if len(v) < ${min}:\n    ${issue(at, `must NOT have fewer than ${jsNumber(min)} properties`, 'minProperties')}`);
        const props = isSchemaObject(s.properties) ? Object.keys(s.properties) : [];
        if (Array.isArray(s.required)) {
          for (const name of s.required as string[]) out.push(py`if ${name} not in v:\n    ${issue(py`at + ${pointerToken(name)}`, 'is required', 'required')}`);
        }
        if (s.additionalProperties === false) {
          const known = constant(new PyCode(`frozenset((${props.map((p) => pyString(p).text).join(', ')}${props.length ? ',' : ''}))`));
          out.push(py`for key in _v.js_keys(v):\n    if key not in ${known}:\n        return _v.ValidationIssue(at + _v.pointer(key), "is not allowed here", "additionalProperties")`);
        } else if (isSchemaObject(s.additionalProperties)) {
          const fn = fnFor(`${pointer}/additionalProperties`);
          const known = constant(new PyCode(`frozenset((${props.map((p) => pyString(p).text).join(', ')}${props.length ? ',' : ''}))`));
          if (fn) out.push(py`for key in _v.js_keys(v):\n    if key not in ${known}:\n        e = ${fn}(v[key], at + _v.pointer(key))\n        if e is not None:\n            return e`);
        }
        for (const name of props) {
          const fn = fnFor(`${pointer}/properties/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
          if (fn) out.push(py`if ${name} in v:\n    e = ${fn}(v[${name}], at + ${pointerToken(name)})\n    if e is not None:\n        return e`);
        }
        break;
      }
    }
    return out;
  }

  const fns = new Map<string, PyCode>();
  for (const r of roots) fns.set(r, fnFor(r) ?? new PyCode('_v.accept'));
  if (findings.length > 0) throw new ContractError(findings);
  return {
    functions,
    constants,
    checkOf: (defName) => fns.get(`/$defs/${defName}`) ?? fnFor(`/$defs/${defName}`) ?? new PyCode('_v.accept'),
    checkAt: (pointer) => fns.get(pointer) ?? fnFor(pointer) ?? new PyCode('_v.accept'),
  };
}

function pointerToken(name: string): string {
  return `/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

export { pyIdentifier };
