/**
 * `npm run build:cli` runs this after tsc: it precompiles the docs templates into
 * dist/templates/docs.compiled.js, which doc-templates.ts loads instead of compiling the .hbs
 * files on every build (while the hash matches them), and the vocabulary meta-schema validator
 * (vocabulary-validator.ts, the same way).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import Handlebars from 'handlebars';
import { COMPILE_OPTIONS, precompiledPath, readTemplateSources, templateAst } from './doc-templates.js';
import { precompiledVocabularyModule, precompiledVocabularyPath } from './vocabulary-validator.js';

export function precompiledModule(): string {
  const sources = readTemplateSources(Handlebars.VERSION);
  const entries = (set: Readonly<Record<string, string>>, prefix: string): string =>
    Object.entries(set)
      .map(([name, text]) => `  ${JSON.stringify(name)}: ${Handlebars.precompile(templateAst(Handlebars, `${prefix}${name}`, text), COMPILE_OPTIONS)},`)
      .join('\n');
  return [
    '// Precompiled Handlebars templates of the docs, written by `npm run build:cli` (generator/precompile.ts).',
    '// Used only while `hash` matches templates/docs/**/*.hbs; do not edit.',
    `export const hash = ${JSON.stringify(sources.hash)};`,
    `export const templates = {\n${entries(sources.templates, '')}\n};`,
    `export const partials = {\n${entries(sources.partials, 'partials/')}\n};`,
    '',
  ].join('\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  mkdirSync(dirname(precompiledPath), { recursive: true });
  writeFileSync(precompiledPath, precompiledModule());
  mkdirSync(dirname(precompiledVocabularyPath), { recursive: true });
  writeFileSync(precompiledVocabularyPath, precompiledVocabularyModule());
}
