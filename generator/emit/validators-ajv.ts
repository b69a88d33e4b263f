/**
 * Emitter — `validators.ajv.ts`: Ajv standalone code compiled at build time, so a service never
 * compiles a schema when it starts. Plain JavaScript; `validators.ts` gives it types.
 */
import { createRequire } from 'node:module';
import { compiledSchemas } from '../compiled-schemas.js';
import { leanAjvCode, leanHelpersImport } from '../lean-ajv-code.js';
import type { ContractModel } from '../model.js';
import { tsString } from '../escape.js';
import { banner, type AjvStandalone, type GeneratedFile } from '../files.js';

const require = createRequire(import.meta.url);

/**
 * Ajv standalone code imports a few helpers from Ajv's own package; generated code must work
 * without Ajv, so each is mapped to a runtime module with the same behaviour.
 */
const AJV_RUNTIME: Readonly<Record<string, { module: string; name: string }>> = {
  equal: { module: './runtime/json-equal.js', name: 'jsonEqual' },
  ucs2length: { module: './runtime/ucs2length.js', name: 'ucs2length' },
};

/**
 * Ajv's standalone code for the model, before the lean rewrite: the part that needs the
 * compiled schemas (so the thread that compiled them). Memoized with them, by the exports asked for.
 */
export function ajvStandalone(model: ContractModel): AjvStandalone {
  // Emitters run on a spec the check passed, vocabulary meta-schema first: the checker's compile.
  const { ajv, id, pointerOf, standalone: made } = compiledSchemas(model.specHash, model.schemaId, model.defs, { metaSchemaChecked: true });
  const exports: Record<string, string> = {};
  for (const v of model.validated) exports[v.raw] = `${id}#${pointerOf(v.pointer)}`;
  // Data payloads on their own: the outbox builds the envelope (type, session_id, seq) itself,
  // so checking the payload is the whole check, without re-matching a header it just made.
  for (const m of model.messages) if (m.payloadValidator) exports[m.payloadValidator.raw] = `${id}#${pointerOf(m.payloadValidator.pointer)}`;
  const key = JSON.stringify(exports);
  const known = made.get(key);
  if (known !== undefined) return known;
  const standalone = require('ajv/dist/standalone/index.js') as typeof import('ajv/dist/standalone/index.js').default;
  let code = standalone(ajv, exports);
  const imports: string[] = [];
  code = code.replace(/const (\w+) = require\("ajv\/dist\/runtime\/(\w+)"\)\.default;/g, (_all: string, local: string, helper: string) => {
    const target = AJV_RUNTIME[helper];
    if (!target) throw new Error(`validators emitter: Ajv needs its runtime helper "${helper}", which generated code does not provide; simplify the schema keyword that needs it`);
    imports.push(`import { ${target.name} as ${local} } from ${tsString(target.module)};`);
    return '';
  });
  if (/\brequire\(/.test(code)) throw new Error('validators emitter: Ajv standalone output still contains require(); generated code must be plain ESM');
  const result = { imports, code: code.replace(/^"use strict";/, '').trim() };
  made.set(key, result);
  return result;
}

/** The last few rewrites, by Ajv's code: a watch session rebuilds the same code after a documentation change. */
const leanMade = new Map<string, string>();

/**
 * The module text of Ajv's standalone code made lean (lean-ajv-code.ts), with its imports. Needs
 * no compiled schema, so the finish stage runs it on whichever thread is free then (emitters.ts
 * `finishesAjvOnCompilerThread`): a fifth of a large build's main thread.
 */
export function finishAjvStandalone({ imports, code }: AjvStandalone): string {
  const known = leanMade.get(code);
  if (known !== undefined) return known;
  const lean = leanAjvCode(code);
  const all = [...imports];
  let body = code;
  if (lean) {
    all.push(leanHelpersImport(tsString('./runtime/ajv-errors.js')));
    body = lean.code.trimEnd();
  }
  const result = [...all.sort(), body].join('\n');
  leanMade.set(code, result);
  while (leanMade.size > 4) leanMade.delete(leanMade.keys().next().value as string);
  return result;
}

/** The validators module's code (what validators.ajv.ts holds below its banner). */
export function standaloneCode(model: ContractModel): string {
  return finishAjvStandalone(ajvStandalone(model));
}

/** validators.ajv.ts, its code still Ajv's: the finish stage (emitters.ts `finishFiles`) makes it lean. */
export function emitAjvValidators(model: ContractModel): GeneratedFile[] {
  const head =
    banner(model, 'Ajv standalone validators compiled at build time. Use validators.ts instead.', 'line') +
    '// Plain JavaScript from Ajv: validators.ts gives it types, so type checking is off here.\n// @ts-nocheck\n';
  return [{ path: 'validators.ajv.ts', content: head, ajv: ajvStandalone(model) }];
}
