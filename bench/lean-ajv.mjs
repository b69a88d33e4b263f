#!/usr/bin/env node
/**
 * The lean rewrite of Ajv's standalone code (generator/lean-ajv-code.ts) on its own: the exact
 * code a build of the 212-message synthetic spec (bench/synthetic-spec.mjs) hands `leanAjvCode`,
 * timed in fresh processes. A build calls it once, cold (its module just loaded, nothing
 * optimized), so the first call is the figure that counts; warm calls show the steady state.
 * The processes run with the V8 flags the command line sets (generator/v8-tuning.ts: a tier-up
 * budget that leaves most of a build's code unoptimized), so the first call is timed as a build
 * makes it.
 *
 *   node bench/lean-ajv.mjs [--rounds N] [--warm N] [--peer ROOT] [--v8-flags FLAGS]
 *                           (needs `npm run build:cli` first; --v8-flags "" for V8's defaults)
 *
 * --peer ROOT times another checkout's `dist/` (a worktree of main after its `npm run build:cli`, say) on the same input,
 * alternating with ours round by round (the machine is shared: paired runs, medians and spread),
 * and checks that both make the same code.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { syntheticSpec } from './synthetic-spec.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

// A child: load lean-ajv-code.js from `dist`, time the first call and `warm` more, print JSON.
if (args[0] === '--child') {
  const [, dist, input, warm, out] = args;
  const code = readFileSync(input, 'utf8');
  const { leanAjvCode } = await import(pathToFileURL(join(dist, 'generator', 'lean-ajv-code.js')).href);
  const time = () => {
    const start = process.hrtime.bigint();
    const lean = leanAjvCode(code);
    return [Number(process.hrtime.bigint() - start) / 1e6, lean];
  };
  const [first, lean] = time();
  if (!lean) throw new Error('lean-ajv bench: leanAjvCode returned undefined on the synthetic spec');
  const times = [];
  for (let r = 0; r < Number(warm); r++) times.push(time()[0]);
  if (out) writeFileSync(out, lean.code);
  process.stdout.write(JSON.stringify({ first, warm: times }));
  process.exit(0);
}

const { values } = parseArgs({ args, options: { rounds: { type: 'string', default: '7' }, warm: { type: 'string', default: '20' }, peer: { type: 'string' }, 'v8-flags': { type: 'string' } } });
const rounds = Number(values.rounds);
const warm = Number(values.warm);
const peer = values.peer;
const { CLI_INTERRUPT_BUDGET } = await import(pathToFileURL(join(root, 'dist', 'generator', 'v8-tuning.js')).href);
const v8Flags = (values['v8-flags'] ?? `--interrupt-budget=${CLI_INTERRUPT_BUDGET}`).split(/\s+/).filter(Boolean);
const work = mkdtempSync(join(tmpdir(), 'contractgen-lean-ajv-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// The input, exactly as the build makes it (emitAjvValidators → finishAjvStandalone → leanAjvCode).
const dist = (path) => import(join(root, 'dist', 'generator', path));
const { loadText } = await dist('loader.js');
const { buildModel } = await dist('model.js');
const { emitAjvValidators } = await dist('emit/validators-ajv.js');
const canonical = JSON.parse(readFileSync(join(root, 'spec', 'protocol.schema.json'), 'utf8'));
const model = buildModel(loadText('spec.json', JSON.stringify(syntheticSpec(canonical, 200))), 'spec.json');
const input = join(work, 'ajv-standalone.js');
writeFileSync(input, emitAjvValidators(model)[0].ajv.code);

const run = (which, out = '') => {
  const r = spawnSync(process.execPath, [...v8Flags, fileURLToPath(import.meta.url), '--child', which, input, String(warm), out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`lean-ajv bench: the child for ${which} failed\n${r.stderr}`);
  return JSON.parse(r.stdout);
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const spread = (xs) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
const sides = peer ? [['ours', root], ['peer', resolve(peer)]] : [['ours', root]];
const figures = Object.fromEntries(sides.map(([label]) => [label, { first: [], warm: [] }]));
for (let r = 0; r < rounds; r++) {
  for (const [label, at] of r % 2 ? [...sides].reverse() : sides) {
    const { first, warm: times } = run(join(at, 'dist'));
    figures[label].first.push(first);
    figures[label].warm.push(median(times));
  }
}
const lines = [`leanAjvCode on the 212-message synthetic spec's Ajv code (${readFileSync(input).length} B), ${rounds} fresh processes${peer ? ', alternating ours/peer' : ''}, V8 flags: ${v8Flags.join(' ') || '(defaults)'}:`];
for (const [label] of sides) {
  const f = figures[label];
  lines.push(`  ${label.padEnd(5)} first call ${median(f.first).toFixed(1).padStart(6)} ms (${spread(f.first)})   warm ${median(f.warm).toFixed(1).padStart(6)} ms (${spread(f.warm)}, median of ${warm} per process)`);
}
if (peer) {
  lines.push(`  ratio ours/peer: first ${(median(figures.ours.first) / median(figures.peer.first)).toFixed(2)}x, warm ${(median(figures.ours.warm) / median(figures.peer.warm)).toFixed(2)}x`);
  run(join(root, 'dist'), join(work, 'ours.js'));
  run(join(resolve(peer), 'dist'), join(work, 'peer.js'));
  const same = readFileSync(join(work, 'ours.js'), 'utf8') === readFileSync(join(work, 'peer.js'), 'utf8');
  lines.push(`  output: ${same ? 'byte-identical' : 'DIFFERENT'}`);
  if (!same) process.exitCode = 1;
}
process.stdout.write(`${lines.join('\n')}\n`);
