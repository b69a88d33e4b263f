/**
 * The spec's $defs compiled once by Ajv (2020-12) with code generation on. The checker uses it
 * to validate examples and the validators emitter turns the same compiled functions into
 * standalone code, so a build compiles the schemas once.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { PROTOTYPE_NAMES } from './escape.js';
import type { AjvStandalone } from './files.js';
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

/**
 * The defs in name order, each after the defs it refers to. Ajv keeps one compiled function per
 * def only when the def was asked for (getSchema) before a `$ref` to it compiles; asked for after,
 * it is compiled twice and standalone code carries both copies. (In a `$ref` cycle one def of the
 * cycle still compiles twice.)
 */
function dependenciesFirst(defs: Readonly<Record<string, unknown>>): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const refsOf = (value: unknown, out: Set<string>): Set<string> => {
    if (Array.isArray(value)) for (const v of value) refsOf(v, out);
    else if (isSchemaObject(value)) {
      for (const [k, v] of Object.entries(value)) {
        if (k === '$ref' && typeof v === 'string') {
          const m = /^#\/\$defs\/([^/]+)$/.exec(v);
          if (m) out.add(m[1]!.replace(/~1/g, '/').replace(/~0/g, '~'));
        } else refsOf(v, out);
      }
    }
    return out;
  };
  const visit = (name: string): void => {
    if (seen.has(name) || !Object.hasOwn(defs, name)) return;
    seen.add(name);
    for (const dep of [...refsOf(defs[name], new Set())].sort()) visit(dep);
    order.push(name);
  };
  for (const name of Object.keys(defs).sort()) visit(name);
  return order;
}

const DYNAMIC_KEYWORDS = ['$dynamicRef', '$dynamicAnchor', '$recursiveRef', '$recursiveAnchor'];
const UNEVALUATED_KEYWORDS = ['unevaluatedProperties', 'unevaluatedItems'];

/** Every key that appears anywhere in the value (a superset of the keywords used: property names count too). */
function keywordsUsed(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keywordsUsed(v, out);
  else if (isSchemaObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      out.add(k);
      keywordsUsed(v, out);
    }
  }
  return out;
}

/** Used when a spec has no $id; the checker and the model agree on it. */
export const SYNTHETIC_ID = 'https://contractgen.invalid/spec.schema.json';

export interface CompiledSchemas {
  readonly ajv: InstanceType<typeof import('ajv/dist/2020.js').default>;
  /** `$id` under which the defs were added; refer to a def as `${id}#/$defs/Name`. */
  readonly id: string;
  /**
   * Where a schema of the spec was compiled, by its pointer in the spec: a message's inline
   * payload is compiled as a definition of its own (see `hoistPayloads`), so look a pointer up
   * here before asking Ajv for it.
   */
  pointerOf(specPointer: string): string;
  /** Standalone code already made from these schemas, by the exports asked for (validators-ajv.ts). */
  readonly standalone: Map<string, AjvStandalone>;
}

/** The key a message's hoisted payload gets in `$defs`: not a valid def name (def-names), so it never clashes with one. */
const payloadKey = (defName: string): string => `${defName}.payload`;

const escapePointerToken = (token: string): string => token.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Every message's inline payload becomes a definition of its own, and the message refers to it:
 * the payload validator of a data message (Q3) and the message validator then share one compiled
 * function instead of each inlining the payload. Verdicts and instance paths are unchanged (a
 * `$ref` keeps the instance location); only Ajv's `schemaPath`, which no issue reports, differs.
 */
function hoistPayloads(defs: Record<string, unknown>, messages: ReadonlySet<string>): Map<string, string> {
  const moved = new Map<string, string>();
  for (const name of messages) {
    const def = defs[name];
    if (!isSchemaObject(def) || !isSchemaObject(def.properties)) continue;
    const payload = def.properties.payload;
    if (!isSchemaObject(payload) || Object.hasOwn(defs, payloadKey(name))) continue;
    defs[payloadKey(name)] = payload;
    defs[name] = { ...def, properties: { ...def.properties, payload: { $ref: `#/$defs/${escapePointerToken(payloadKey(name))}` } } };
    moved.set(`/$defs/${escapePointerToken(name)}/properties/payload`, `/$defs/${escapePointerToken(payloadKey(name))}`);
  }
  return moved;
}

/** By content (see below), and by spec hash to skip even computing that; a few entries: a watch session moves on. */
const cache = new Map<string, CompiledSchemas>();
const byHash = new Map<string, string>();
const CACHE_ENTRIES = 4;

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > CACHE_ENTRIES) map.delete(map.keys().next().value as K);
}

export interface CompileOptions {
  /**
   * The whole spec, these defs included, has passed the vocabulary meta-schema (the checker's
   * first step), which is the 2020-12 meta-schema applied to every nested schema: Ajv need not
   * check the defs against the same meta-schema again (a fifth of the compile on a large contract;
   * tests/meta-schema-coverage.test.ts holds the vocabulary check to Ajv's on hostile schemas).
   * The defs Ajv sees are the spec's with documentation dropped and payloads moved into defs of
   * their own, which keeps them valid. Unset, Ajv checks them (G2: the spec is untrusted).
   */
  readonly metaSchemaChecked?: boolean;
}

/**
 * Compiles `defs`, memoized by what Ajv sees: the defs without documentation. So a build after a
 * change of descriptions or examples only (build --watch) reuses the compiled schemas and their
 * standalone code. Throws Ajv's error when a schema cannot compile; the checker's rules explain
 * such cases with a pointer first. `metaSchemaChecked` is part of the memo: Ajv names its
 * functions in one scope with the meta-schema's, so the standalone code of a compile that checked
 * the defs is numbered differently, and a watch build must print what a cold build prints.
 */
export function compiledSchemas(specHash: string, id: string, defs: Readonly<Record<string, unknown>>, options: CompileOptions = {}): CompiledSchemas {
  const checked = options.metaSchemaChecked === true;
  const hashKey = `${specHash}|${id}|${checked}`;
  const known = byHash.get(hashKey);
  if (known !== undefined && cache.has(known)) return cache.get(known)!;
  const stripped = withoutKeywords(defs, DOC_KEYS, { maps: SCHEMA_MAPS, data: DATA_KEYS }, true) as Record<string, unknown>;
  const moved = hoistPayloads(stripped, new Set(Object.keys(defs).filter((name) => isSchemaObject(defs[name]) && (defs[name] as Schema)['x-message'] !== undefined)));
  const ownProperties = namesPrototypeMembers(defs);
  const key = createHash('sha256').update(JSON.stringify([id, ownProperties, checked, stripped])).digest('hex');
  remember(byHash, hashKey, key);
  const hit = cache.get(key);
  if (hit) return hit;
  const Ajv2020 = require('ajv/dist/2020.js').default as typeof import('ajv/dist/2020.js').default;
  const ajv = new Ajv2020({
    // No optimizer pass: it is a quarter of the compile, and generator/lean-ajv-code.ts folds what
    // it would (unused names, empty blocks) in generated code; the checker's validators run a few examples.
    code: { source: true, esm: true, lines: true, optimize: false },
    // Shared $defs stay shared functions instead of being inlined into every message; only
    // leaves of a few keywords (an id's pattern, seq's bounds) are inlined: a call costs more.
    inlineRefs: 6,
    allErrors: false,
    // Messages are worded when read (runtime/validation.ts ajvMessage): Ajv need not generate them.
    messages: false,
    strict: false,
    logger: false,
    validateFormats: false,
    validateSchema: !checked,
    // Only when needed: it costs a hasOwnProperty call per property check in every validator.
    ownProperties,
  });
  // Ajv2020 always generates the bookkeeping of dynamic scopes and evaluated properties, in every
  // function and every call; a spec that uses neither keyword family gets plain functions.
  const uses = keywordsUsed(stripped);
  const opts = ajv.opts as { dynamicRef?: boolean; unevaluated?: boolean };
  if (!DYNAMIC_KEYWORDS.some((k) => uses.has(k))) opts.dynamicRef = false;
  if (!UNEVALUATED_KEYWORDS.some((k) => uses.has(k))) opts.unevaluated = false;
  ajv.addSchema({ $id: id, $defs: stripped } as Schema);
  // Compile every def now, in a fixed order: Ajv numbers functions in compile order, so standalone
  // output must not depend on which def a caller (the checker, say) happened to ask for first.
  for (const name of dependenciesFirst(stripped)) ajv.getSchema(`${id}#/$defs/${escapePointerToken(name)}`);
  const compiled = { ajv, id, pointerOf: (pointer: string) => moved.get(pointer) ?? pointer, standalone: new Map<string, AjvStandalone>() };
  remember(cache, key, compiled);
  return compiled;
}
