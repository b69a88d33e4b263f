/**
 * The spec's $defs compiled once by Ajv (2020-12) with code generation on. The checker uses it
 * to validate examples and the validators emitter turns the same compiled functions into
 * standalone code, so a build compiles the schemas once.
 */
import { createRequire } from 'node:module';
import { PROTOTYPE_NAMES } from './escape.js';
import { isSchemaObject, withoutKeywords, type Schema } from './schema-walk.js';

const require = createRequire(import.meta.url);

/** Keys Ajv does not need: documentation and our vocabulary. Dropping them keeps generated code small. */
const DOC_KEYS = new Set(['description', 'examples', 'title', '$comment', 'x-message', 'x-contract', 'deprecated', 'readOnly', 'writeOnly']);
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'dependentSchemas']);

const DATA_KEYS = new Set(['enum', 'const', 'default']);

/**
 * Does a schema name a property every object inherits (`constructor`, `toString`, …)? Ajv checks
 * `data.name !== undefined` unless told to check own properties, and for such a name that finds
 * the prototype's member: a missing required `constructor` would pass, an optional one would fail.
 */
export function namesPrototypeMembers(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(namesPrototypeMembers);
  if (!isSchemaObject(value)) return false;
  for (const key of ['properties', 'dependentRequired', 'dependentSchemas']) {
    if (isSchemaObject(value[key]) && Object.keys(value[key]).some((k) => PROTOTYPE_NAMES.has(k))) return true;
  }
  if (Array.isArray(value.required) && value.required.some((k) => PROTOTYPE_NAMES.has(String(k)))) return true;
  if (isSchemaObject(value.dependentRequired) && Object.values(value.dependentRequired).some((l) => Array.isArray(l) && l.some((k) => PROTOTYPE_NAMES.has(String(k))))) return true;
  return Object.entries(value).some(([k, v]) => k !== 'enum' && k !== 'const' && k !== 'examples' && k !== 'default' && namesPrototypeMembers(v));
}

/** Used when a spec has no $id; the checker and the model agree on it. */
export const SYNTHETIC_ID = 'https://contractgen.invalid/spec.schema.json';

export interface CompiledSchemas {
  readonly ajv: InstanceType<typeof import('ajv/dist/2020.js').default>;
  /** `$id` under which the defs were added; refer to a def as `${id}#/$defs/Name`. */
  readonly id: string;
}

const cache = new Map<string, CompiledSchemas>();

/**
 * Compiles `defs` (memoized by spec hash). Throws Ajv's error when a schema cannot compile;
 * the checker's rules explain such cases with a pointer first.
 */
export function compiledSchemas(specHash: string, id: string, defs: Readonly<Record<string, unknown>>): CompiledSchemas {
  const key = `${specHash}|${id}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const Ajv2020 = require('ajv/dist/2020.js').default as typeof import('ajv/dist/2020.js').default;
  const ajv = new Ajv2020({
    code: { source: true, esm: true, lines: true, optimize: true },
    // Shared $defs stay shared functions instead of being inlined into every message.
    inlineRefs: false,
    allErrors: false,
    messages: true,
    strict: false,
    logger: false,
    validateFormats: false,
    // Only when needed: it costs a hasOwnProperty call per property check in every validator.
    ownProperties: namesPrototypeMembers(defs),
  });
  ajv.addSchema({ $id: id, $defs: withoutKeywords(defs, DOC_KEYS, { maps: SCHEMA_MAPS, data: DATA_KEYS }, true) } as Schema);
  // Compile every def now, in name order: Ajv numbers functions in compile order, so standalone
  // output must not depend on which def a caller (the checker, say) happened to ask for first.
  for (const name of Object.keys(defs).sort()) ajv.getSchema(`${id}#/$defs/${name}`);
  const compiled = { ajv, id };
  cache.set(key, compiled);
  return compiled;
}
