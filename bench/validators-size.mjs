#!/usr/bin/env node
/**
 * Validator size benchmark (issue 18): `validators.ajv.ts` of the canonical spec and of the
 * 212-message synthetic one (bench/synthetic-spec.mjs), as Ajv's standalone code and as generated
 * (made lean by generator/lean-ajv-code.ts), raw and gzip -9, with what the lean rewrite costs
 * a build; then the canonical client's browser bundle next to socket.io-client's
 * (bench/bundle-size.mjs: esbuild, ESM, browser, minified). Every figure is from this run.
 *
 *   node bench/validators-size.mjs        (needs `npm run build:cli` first)
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleSizes } from './bundle-size.mjs';
import { syntheticSpec } from './synthetic-spec.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dist = (path) => import(join(root, 'dist', 'generator', path));
const { loadText } = await dist('loader.js');
const { buildModel } = await dist('model.js');
const { compiledSchemas } = await dist('compiled-schemas.js');
const { emitAjvValidators } = await dist('emit/validators-ajv.js');
const { finishFiles } = await dist('emitters.js');
const { leanAjvCode } = await dist('lean-ajv-code.js');
const standalone = require('ajv/dist/standalone/index.js').default;

const TARGET = 600_000;
const ROUNDS = 5;
const canonical = JSON.parse(readFileSync(join(root, 'spec', 'protocol.schema.json'), 'utf8'));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const ms = (f) => {
  const start = process.hrtime.bigint();
  const value = f();
  return [Number(process.hrtime.bigint() - start) / 1e6, value];
};
const size = (text) => ({ raw: Buffer.byteLength(text), gzip: gzipSync(text, { level: 9 }).length });
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const lines = [];
const say = (line = '') => lines.push(line);

say('validators.ajv.ts: Ajv standalone code, and as generated (lean); median of 5 rounds for times');
for (const [label, spec] of [
  ['canonical', canonical],
  ['+200 msgs (212)', syntheticSpec(canonical, 200)],
]) {
  const model = buildModel(loadText('spec.json', JSON.stringify(spec)), 'spec.json');
  const [compileMs, compiled] = ms(() => compiledSchemas(model.specHash, model.schemaId, model.defs, { metaSchemaChecked: true }));
  const exports = {};
  for (const v of model.validated) exports[v.raw] = `${compiled.id}#${compiled.pointerOf(v.pointer)}`;
  for (const m of model.messages) if (m.payloadValidator) exports[m.payloadValidator.raw] = `${compiled.id}#${compiled.pointerOf(m.payloadValidator.pointer)}`;
  const ajvTimes = [];
  const leanTimes = [];
  let ajvCode = '';
  for (let r = 0; r < ROUNDS; r++) {
    const [a, code] = ms(() => standalone(compiled.ajv, exports));
    ajvTimes.push(a);
    ajvCode = code;
    leanTimes.push(ms(() => leanAjvCode(code))[0]);
  }
  const generated = (await finishFiles(emitAjvValidators(model)))[0].content; // the file as written, banner included
  const before = size(ajvCode);
  const after = size(generated);
  const target = label.startsWith('+') ? `  (target <= 0.6 MB: ${after.raw <= TARGET ? 'met' : 'NOT met'})` : '';
  say(`  ${pad(label, 16)} Ajv standalone ${lpad(before.raw, 9)} B raw ${lpad(before.gzip, 7)} B gzip   generated ${lpad(after.raw, 8)} B raw ${lpad(after.gzip, 6)} B gzip   ${(after.raw / before.raw).toFixed(2)}x${target}`);
  say(`  ${pad('', 16)} Ajv compile ${compileMs.toFixed(0)} ms (first, cold), standalone code ${median(ajvTimes).toFixed(0)} ms, lean rewrite ${median(leanTimes).toFixed(0)} ms`);
}

const { factory, ours, peer } = await bundleSizes(join(root, 'generated'));
say();
say('browser bundle of the canonical client (esbuild: esm, browser, minify, tree-shaken):');
say(`  ${pad(factory, 28)} ${lpad(ours.min, 8)} B min ${lpad(ours.gzip, 7)} B gzip`);
say(`  ${pad('socket.io-client io', 28)} ${lpad(peer.min, 8)} B min ${lpad(peer.gzip, 7)} B gzip`);
say(`  ratio ${(ours.min / peer.min).toFixed(2)}x min, ${(ours.gzip / peer.gzip).toFixed(2)}x gzip`);
process.stdout.write(`${lines.join('\n')}\n`);
