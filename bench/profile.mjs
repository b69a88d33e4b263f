#!/usr/bin/env node
/**
 * Where a build spends its time, per thread: runs one `contractgen build` under `node --cpu-prof`
 * (the main thread and the ts-morph worker each write a profile) and prints, per thread, the
 * top functions by self time and the top packages/modules by inclusive time.
 *
 *   node bench/profile.mjs [SPEC] [--top N]      (needs `npm run build:cli` first)
 *   node bench/profile.mjs --synthetic 200       the canonical spec plus 200 messages (bench/synthetic-spec.mjs)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { syntheticSpec } from './synthetic-spec.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : fallback;
};
const top = Number(opt('--top', 12));
const synthetic = opt('--synthetic', undefined);
const work = mkdtempSync(join(tmpdir(), 'contractgen-profile-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

let spec = args[0] ? resolve(args[0]) : join(root, 'spec', 'protocol.schema.json');
if (synthetic) {
  spec = join(work, 'protocol.schema.json');
  writeFileSync(spec, `${JSON.stringify(syntheticSpec(JSON.parse(readFileSync(join(root, 'spec', 'protocol.schema.json'), 'utf8')), Number(synthetic)), null, 2)}\n`);
}
const profiles = join(work, 'profiles');
const start = process.hrtime.bigint();
const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', profiles, join(root, 'bin', 'contractgen.js'), 'build', '--quiet', '--spec', spec, '--out', join(work, 'out')], {
  encoding: 'utf8',
});
const wall = Number(process.hrtime.bigint() - start) / 1e6;
if (r.status !== 0) {
  process.stderr.write(`profile: the build failed (exit ${r.status})\n${r.stderr}`);
  process.exit(1);
}

/** Where a call frame's code lives: a package name, a file of ours, or a V8/Node bucket. */
function moduleOf(url) {
  if (!url) return '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node';
  const at = url.indexOf(root);
  return at >= 0 ? url.slice(at + root.length + 1) : url;
}

function summarize(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  for (const [id, ms] of dt) {
    const node = byId.get(id);
    const f = node.callFrame;
    total += ms;
    if (f.functionName === '(idle)' || f.functionName === '(program)') continue;
    const key = `${f.functionName || '(anonymous)'} ${moduleOf(f.url)}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + ms);
    // Inclusive per module: count each module once per sample stack.
    const seen = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const m = moduleOf(byId.get(n).callFrame.url);
      if (byId.get(n).callFrame.url && !seen.has(m)) {
        seen.add(m);
        inclusive.set(m, (inclusive.get(m) ?? 0) + ms);
      }
    }
  }
  const idle = [...dt].filter(([id]) => byId.get(id).callFrame.functionName === '(idle)').reduce((a, [, ms]) => a + ms, 0);
  return { total, idle, self, inclusive };
}

const files = readdirSync(profiles).sort();
process.stdout.write(`build of ${spec}: ${wall.toFixed(0)} ms wall, ${files.length} thread profile(s)\n`);
for (const [i, f] of files.entries()) {
  const s = summarize(join(profiles, f));
  const rows = (map) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top);
  process.stdout.write(`\n${i === 0 ? 'main thread' : `worker ${i}`}: ${s.total.toFixed(0)} ms profiled, ${s.idle.toFixed(0)} ms idle\n  self time:\n`);
  for (const [k, ms] of rows(s.self)) process.stdout.write(`    ${ms.toFixed(0).padStart(6)} ms  ${k}\n`);
  process.stdout.write('  inclusive, by module:\n');
  for (const [k, ms] of rows(s.inclusive)) process.stdout.write(`    ${ms.toFixed(0).padStart(6)} ms  ${k}\n`);
}
