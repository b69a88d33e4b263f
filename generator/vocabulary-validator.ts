/**
 * The validator of the vocabulary meta-schema (spec/contract-vocabulary.schema.json, JSON Schema
 * 2020-12 extended by x-contract and x-message). Compiling it costs ~60 ms of every build, so
 * `npm run build:cli` also writes it to dist/ as Ajv standalone code; that module is used while
 * its hash matches the vocabulary and the Ajv version, and the meta-schema is compiled now
 * otherwise (tests that run from sources, an edited vocabulary). Both give the same errors.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { packageRoot, vocabularyPath } from './paths.js';

const require = createRequire(import.meta.url);
// Ajv is CommonJS; load the 2020-12 flavour explicitly.
const Ajv2020 = require('ajv/dist/2020.js').default as typeof import('ajv/dist/2020.js').default;

/** verbose: the findings quote the offending value and its schema's description. */
const AJV_OPTIONS = { allErrors: true, strict: false, verbose: true } as const;

export const precompiledVocabularyPath = join(packageRoot, 'dist', 'vocabulary-validator.compiled.cjs');

function hashOf(text: string): string {
  const ajvVersion = (require('ajv/package.json') as { version: string }).version;
  return createHash('sha256').update(`ajv ${ajvVersion}\n${text}`).digest('hex');
}

function compile(text: string, source: boolean) {
  const ajv = new Ajv2020({ ...AJV_OPTIONS, code: { source } });
  const meta = JSON.parse(text) as { $id: string };
  ajv.addMetaSchema(meta);
  const validate = ajv.getSchema(meta.$id);
  if (!validate) throw new Error('the vocabulary meta-schema did not compile');
  return { ajv, validate };
}

/** The CommonJS module `build:cli` writes: Ajv standalone code plus the hash it was made from. */
export function precompiledVocabularyModule(): string {
  const text = readFileSync(vocabularyPath, 'utf8');
  const { ajv, validate } = compile(text, true);
  const standalone = require('ajv/dist/standalone/index.js').default as typeof import('ajv/dist/standalone/index.js').default;
  return [
    '// The vocabulary meta-schema validator, written by `npm run build:cli` (generator/vocabulary-validator.ts).',
    '// Used only while `hash` matches spec/contract-vocabulary.schema.json and the Ajv version; do not edit.',
    standalone(ajv, validate),
    `module.exports.hash = ${JSON.stringify(hashOf(text))};`,
    '',
  ].join('\n');
}

/** The vocabulary meta-schema's $id (what a spec's $schema may name). */
export function vocabularyId(): string {
  return (JSON.parse(readFileSync(vocabularyPath, 'utf8')) as { $id: string }).$id;
}

/** The shipped vocabulary file as the user sees it (relative to the working directory): hints name it. */
export function vocabularyLabel(): string {
  return relative(process.cwd(), vocabularyPath).split(sep).join('/');
}

let cached: ValidateFunction | undefined;

/** The precompiled validator when it matches the sources, else one compiled now. */
export function vocabularyValidator(precompiledFile = precompiledVocabularyPath): ValidateFunction {
  if (cached && precompiledFile === precompiledVocabularyPath) return cached;
  const text = readFileSync(vocabularyPath, 'utf8');
  let validate: ValidateFunction | undefined;
  if (existsSync(precompiledFile)) {
    try {
      const mod = require(precompiledFile) as ValidateFunction & { hash?: string };
      if (mod.hash === hashOf(text)) validate = mod;
    } catch {
      /* unreadable: compile the meta-schema instead */
    }
  }
  validate ??= compile(text, false).validate;
  if (precompiledFile === precompiledVocabularyPath) cached = validate;
  return validate;
}

/** Compiled now, never precompiled (for the test that compares the two). */
export function compiledVocabularyValidator(): ValidateFunction {
  return compile(readFileSync(vocabularyPath, 'utf8'), false).validate;
}
