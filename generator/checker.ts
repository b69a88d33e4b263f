/**
 * Stage 2 — check: validate the spec against JSON Schema 2020-12 extended by the contractgen
 * vocabulary (spec/contract-vocabulary.schema.json), then run the lint rules of DESIGN.md.
 * Every finding carries the JSON pointer, its line and column, and how to fix it.
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { vocabularyPath } from './paths.js';
import { sortFindings, type Finding } from './diagnostics.js';
import type { LoadedSpec } from './loader.js';
import { closest } from './naming.js';
import { ajvMessage } from '../runtime/validation.js';
import { rules } from './rules/index.js';
import { contractBlock, messagesOf, type ContractBlock } from './model/contract-block.js';
import type { RuleContext } from './rules/rule.js';
import { compiledSchemas, SYNTHETIC_ID, type CompiledSchemas } from './compiled-schemas.js';
import { isSchemaObject, type Schema } from './schema-walk.js';
import { vocabularyLabel, vocabularyValidator } from './vocabulary-validator.js';

const VOCABULARY_KEYWORDS = ['x-contract', 'x-message'];

/**
 * Run every check; returns findings sorted errors first. The meta-schema and the lint rules run
 * in one pass, so a spec shows all it can in one run: a rule that reads x-contract is skipped only
 * while x-contract itself is invalid, and messages whose x-message is invalid are left out of the
 * rules (the meta-schema has said what is wrong with them).
 */
export interface CheckOptions {
  /**
   * Called once the spec's schemas are compiled (compiled-schemas.ts), before the lint rules run,
   * with whether the vocabulary meta-schema passed them: a build starts its validators from that
   * compile while the rules run (pipeline.ts). Not called when the schemas do not compile.
   */
  readonly afterCompile?: (metaSchemaChecked: boolean) => void;
}

export function check(spec: LoadedSpec, options: CheckOptions = {}): Finding[] {
  const place = (f: Omit<Finding, 'file' | 'line' | 'column'>): Finding => {
    // A kernel definition taken by $ref is reported where it is written: in the shipped kernel file.
    const at = spec.locate(f.pointer);
    return { ...f, file: at?.file ?? spec.file, ...(at ? { line: at.line, column: at.column } : {}), ...(at?.pointer !== undefined ? { pointer: at.pointer } : {}) };
  };
  const loaded = spec.findings ?? [];

  // The recursive meta-schema cannot say "only at the root", so the root block is checked here;
  // without it the rules that read it are skipped and the others still run.
  const hasContract = isSchemaObject(spec.json['x-contract']);
  const missing: Finding[] = [];
  if (!hasContract) {
    missing.push(place({ severity: 'error', code: 'missing-x-contract', pointer: '', message: 'the spec has no "x-contract" block, so its protocol semantics are unknown', hint: `add "x-contract": { "name", "version", "protocolVersions", "sequencing", "session", "replayWindow", "heartbeatMs", "maxFrameBytes", "transports" } (README: "Writing a contract"; \`contractgen init\` writes a complete one)` }));
  }
  const meta = vocabularyValidator();
  const metaErrors = meta(spec.json) ? [] : (meta.errors ?? []);
  const findings: Finding[] = [...loaded, ...missing, ...metaFindings(metaErrors).map(place)];
  const contractValid = hasContract && !metaErrors.some((e) => e.instancePath === '/x-contract' || e.instancePath.startsWith('/x-contract/'));
  const invalidDefs = new Set(metaErrors.map((e) => /^\/\$defs\/([^/]+)\/x-message(\/|$)/.exec(e.instancePath)?.[1]).filter((n): n is string => n !== undefined));

  const root = spec.json as Schema;
  const defs = createDefValidator(spec, root, metaErrors.length === 0);
  if (!defs.compileError) options.afterCompile?.(metaErrors.length === 0);
  const ctx: RuleContext = {
    root,
    get contract(): ContractBlock {
      if (!contractValid) throw new SkippedRule();
      return contractBlock(root);
    },
    messages: messagesOf(root).filter((m) => !invalidDefs.has(m.defName)),
    ...(defs.compileError ? { compileError: defs.compileError } : {}),
    validateDef: defs.validate,
  };
  const fallbacks: Finding[] = [];
  for (const rule of rules) {
    let hits: ReturnType<typeof rule.check>;
    try {
      hits = rule.check(ctx);
    } catch (error) {
      // Rules may assume what the meta-schema guarantees; while it reports errors, a rule that trips over them is skipped.
      if (error instanceof SkippedRule || metaErrors.length > 0 || !hasContract) continue;
      throw error;
    }
    for (const hit of hits) {
      (rule.fallback ? fallbacks : findings).push(place({ severity: hit.severity ?? 'error', code: rule.id, ...(rule.rule ? { rule: rule.rule } : {}), pointer: hit.pointer, message: hit.message, hint: hit.hint }));
    }
  }
  const related = (a: string, b: string): boolean => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  const explained = (f: Finding): boolean => findings.some((g) => g.severity === 'error' && g.file === f.file && related(g.pointer, f.pointer));
  return sortFindings(dedupe([...findings, ...fallbacks.filter((f) => !explained(f))]));
}

/** Thrown by the rule context when a rule reads x-contract while the meta-schema rejects it. */
class SkippedRule extends Error {}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.code}|${f.file}|${f.pointer}|${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A validator per $defs entry (compiled once per spec and shared with the validators emitter). */
function createDefValidator(spec: LoadedSpec, root: Schema, metaSchemaChecked: boolean): { validate: RuleContext['validateDef']; compileError?: string } {
  const id = typeof root.$id === 'string' ? root.$id : SYNTHETIC_ID;
  let compiled: CompiledSchemas | undefined;
  let compileError: string | undefined;
  try {
    compiled = compiledSchemas(spec.hash, id, isSchemaObject(root.$defs) ? root.$defs : {}, { metaSchemaChecked });
  } catch (err) {
    compiled = undefined; // the rules report why it does not compile (schemas-compile as the last resort)
    compileError = (err as Error).message;
  }
  const validate: RuleContext['validateDef'] = (defName, value) => {
    let validate: ValidateFunction | undefined;
    try {
      validate = compiled?.ajv.getSchema(`${id}#/$defs/${defName}`);
    } catch {
      return { ok: true };
    }
    if (!validate || validate(value)) return { ok: true };
    const e = validate.errors![0]!;
    const path = e.keyword === 'required' ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}` : e.instancePath;
    return { ok: false, path, message: describeAjvError(e) };
  };
  return compileError === undefined ? { validate } : { validate, compileError };
}

/** Human wording for one Ajv error (without the path). */
export function describeAjvError(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `is missing (required)`;
    case 'additionalProperties':
      return `has an unknown property "${String(p.additionalProperty)}"`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    default:
      // The spec's compiled validators make no messages (compiled-schemas.ts): worded as Ajv words them.
      return e.message ?? ajvMessage(e.keyword, e.params as Record<string, unknown>);
  }
}

const COMBINATORS = new Set(['anyOf', 'oneOf', 'allOf', 'not', 'if', '$dynamicRef', '$ref']);

function metaFindings(errors: ErrorObject[]): Omit<Finding, 'file' | 'line' | 'column'>[] {
  const out: Omit<Finding, 'file' | 'line' | 'column'>[] = [];
  const specific = new Set(errors.filter((e) => !COMBINATORS.has(e.keyword)).map((e) => e.instancePath));
  for (const e of errors) {
    const p = e.params as Record<string, unknown>;
    if (e.keyword === 'not' && e.schemaPath.includes('/propertyNames/')) continue;
    if (COMBINATORS.has(e.keyword) && specific.has(e.instancePath)) continue;
    const at = e.instancePath;
    if (e.keyword === 'propertyNames') {
      const name = String(p.propertyName);
      const guess = closest(name, VOCABULARY_KEYWORDS);
      out.push({ severity: 'error', code: 'unknown-vocabulary-keyword', pointer: `${at}/${name}`, message: `"${name}" is not a keyword of the contractgen vocabulary`, hint: guess ? `did you mean "${guess}"?` : `the vocabulary defines ${VOCABULARY_KEYWORDS.join(' and ')}` });
      continue;
    }
    if (e.keyword === 'additionalProperties') {
      const name = String(p.additionalProperty);
      const allowed = isSchemaObject(e.parentSchema) && isSchemaObject(e.parentSchema.properties) ? Object.keys(e.parentSchema.properties) : [];
      const guess = closest(name, allowed);
      out.push({ severity: 'error', code: 'vocabulary', pointer: `${at}/${name}`, message: `unknown property "${name}"`, hint: guess ? `did you mean "${guess}"?` : allowed.length ? `allowed here: ${allowed.join(', ')}` : 'remove it' });
      continue;
    }
    if (e.keyword === 'required') {
      const name = String(p.missingProperty);
      out.push({ severity: 'error', code: 'vocabulary', pointer: at, message: `"${name}" is required here`, hint: `add "${name}"${at === '' && name === 'x-contract' ? ' (the protocol parameters block)' : ''}` });
      continue;
    }
    const description = isSchemaObject(e.parentSchema) && typeof e.parentSchema.description === 'string' ? ` (${e.parentSchema.description})` : '';
    out.push({ severity: 'error', code: 'vocabulary', pointer: at, message: `${JSON.stringify(e.data)} ${describeAjvError(e)}${description}`, hint: allowedHint(e) });
  }
  return out;
}

/**
 * Where to read what is allowed: the schema that holds the failed keyword, by its pointer in the
 * vocabulary file the package ships (`#/$defs/contract/properties/heartbeatMs`), or JSON Schema
 * 2020-12 itself for its own keywords. Ajv's schemaPath restarts at every $ref, so the schema is
 * found by its content.
 */
function allowedHint(e: ErrorObject): string {
  if (!e.schemaPath.startsWith('#')) return `this is a JSON Schema 2020-12 keyword; see ${e.schemaPath.replace(/#.*$/, '')}`;
  const suffix = e.schemaPath.slice(1).replace(/\/[^/]+$/, ''); // the path below the last $ref
  const candidates = vocabularyPointers().get(JSON.stringify(e.parentSchema)) ?? [];
  const pointer = candidates.find((p) => p.endsWith(suffix)) ?? candidates[0];
  return `see what is allowed here in ${vocabularyLabel()}${pointer !== undefined ? ` at #${pointer}` : ''} (README: "Writing a contract")`;
}

let pointers: Map<string, string[]> | undefined;

/** Every object of the vocabulary file by its JSON text → the pointers where it appears, outermost first. */
function vocabularyPointers(): Map<string, string[]> {
  if (pointers) return pointers;
  const map = new Map<string, string[]>();
  const walk = (node: unknown, pointer: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${pointer}/${i}`));
    if (!isSchemaObject(node)) return;
    const key = JSON.stringify(node);
    map.set(key, [...(map.get(key) ?? []), pointer]);
    for (const [k, v] of Object.entries(node)) walk(v, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  };
  walk(JSON.parse(readFileSync(vocabularyPath, 'utf8')), '');
  return (pointers = map);
}
