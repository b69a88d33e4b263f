/**
 * Stage 2 — check: validate the spec against JSON Schema 2020-12 extended by the contractgen
 * vocabulary (spec/contract-vocabulary.schema.json), then run the lint rules of DESIGN.md.
 * Every finding carries the JSON pointer, its line and column, and how to fix it.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { sortFindings, type Finding } from './diagnostics.js';
import type { LoadedSpec } from './loader.js';
import { closest } from './naming.js';
import { rules } from './rules/index.js';
import { messagesOf, type ContractBlock, type RuleContext } from './rules/rule.js';
import { compiledSchemas, SYNTHETIC_ID, type CompiledSchemas } from './compiled-schemas.js';
import { isSchemaObject, type Schema } from './schema-walk.js';
import { vocabularyValidator } from './vocabulary-validator.js';

const VOCABULARY_KEYWORDS = ['x-contract', 'x-message'];

/** Run every check; returns findings sorted errors first. */
export function check(spec: LoadedSpec): Finding[] {
  const place = (f: Omit<Finding, 'file' | 'line' | 'column'>): Finding => ({ ...f, file: spec.file, ...spec.locate(f.pointer) });

  // The recursive meta-schema cannot say "only at the root", so the root block is checked here.
  if (!isSchemaObject(spec.json['x-contract'])) {
    return [place({ severity: 'error', code: 'missing-x-contract', pointer: '', message: 'the spec has no "x-contract" block, so its protocol semantics are unknown', hint: 'add "x-contract": { "name", "version", "protocolVersions", "sequencing", "session", "replayWindow", "heartbeatMs", "maxFrameBytes", "transports" }' })];
  }
  const meta = vocabularyValidator();
  if (!meta(spec.json)) return sortFindings(metaFindings(meta.errors ?? []).map(place));

  const root = spec.json as Schema;
  const defs = createDefValidator(spec, root);
  const ctx: RuleContext = {
    root,
    contract: root['x-contract'] as unknown as ContractBlock,
    messages: messagesOf(root),
    ...(defs.compileError ? { compileError: defs.compileError } : {}),
    validateDef: defs.validate,
  };
  const findings: Finding[] = [];
  for (const rule of rules) {
    for (const hit of rule.check(ctx)) {
      findings.push(place({ severity: hit.severity ?? 'error', code: rule.id, ...(rule.rule ? { rule: rule.rule } : {}), pointer: hit.pointer, message: hit.message, hint: hit.hint }));
    }
  }
  return sortFindings(dedupe(findings));
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.code}|${f.pointer}|${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A validator per $defs entry (compiled once per spec and shared with the validators emitter). */
function createDefValidator(spec: LoadedSpec, root: Schema): { validate: RuleContext['validateDef']; compileError?: string } {
  const id = typeof root.$id === 'string' ? root.$id : SYNTHETIC_ID;
  let compiled: CompiledSchemas | undefined;
  let compileError: string | undefined;
  try {
    compiled = compiledSchemas(spec.hash, id, isSchemaObject(root.$defs) ? root.$defs : {});
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
      return e.message ?? e.keyword;
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
    out.push({ severity: 'error', code: 'vocabulary', pointer: at, message: `${JSON.stringify(e.data)} ${describeAjvError(e)}${description}`, hint: 'see spec/contract-vocabulary.schema.json for what is allowed here' });
  }
  return out;
}
