#!/usr/bin/env node
/**
 * Build benchmark (issue 18), every figure measured in this one run:
 * - how long a cold `contractgen build` takes, wall and CPU (user + sys of the process and its
 *   worker), how it grows with the number of messages, and how it compares with the two type
 *   generators people would otherwise reach for (openapi-typescript on the same schemas as OpenAPI
 *   components, json-schema-to-typescript on the same $defs): the median of N cold processes,
 *   interleaved round by round, each contractgen build next to the peers on the same spec (who goes
 *   first alternates), so that machine noise hits every task alike; ratios are medians of the
 *   per-round ratios of those pairs;
 * - `build --watch`: a one-line description change, from the write to the rebuilt line;
 * - the generated validators: their size, and their speed against Ajv compiled at run time
 *   (bench/validation.ts);
 * - the browser bundle of the generated client next to socket.io-client's (bench/bundle-size.mjs).
 * CPU time is the steadier figure on a shared machine: wall time also counts waiting for a core.
 *
 *   node bench/build.mjs                 (needs `npm run build:cli` first)
 *   BENCH_RUNS=11 node bench/build.mjs   more runs
 *   BENCH_BUDGET_S=60 node bench/build.mjs   stop adding rounds after about this long
 *                                            (default 100; at least 3 rounds always run)
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleSizes } from './bundle-size.mjs';
import { syntheticSpec } from './synthetic-spec.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 7) || 7);
const BUDGET_S = Number(process.env.BENCH_BUDGET_S ?? 100) || 100;
const MIN_ROUNDS = Math.min(3, RUNS);
const SIZES = [50, 100, 200];

const cli = join(root, 'bin', 'contractgen.js');
const openapiTs = join(root, 'node_modules', 'openapi-typescript', 'bin', 'cli.js');
const jstt = join(root, 'node_modules', 'json-schema-to-typescript', 'dist', 'src', 'cli.js');
for (const [what, path] of [['dist/ (run `npm run build:cli`)', join(root, 'dist', 'generator', 'cli.js')], ['openapi-typescript', openapiTs], ['json-schema-to-typescript', jstt]]) {
  if (!existsSync(path)) {
    process.stderr.write(`bench: ${what} is missing: ${path}\n`);
    process.exit(1);
  }
}

const { CLI_INTERRUPT_BUDGET } = await import('../dist/generator/v8-tuning.js');
const canonical = JSON.parse(readFileSync(join(root, 'spec', 'protocol.schema.json'), 'utf8'));

// ── Synthetic specs ─────────────────────────────────────────────────────────────────────────────

/** The same schemas without the vocabulary: what the other tools are given. */
function stripVocabulary(value, rewriteRef) {
  if (Array.isArray(value)) return value.map((v) => stripVocabulary(v, rewriteRef));
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith('x-')) continue;
    out[k] = k === '$ref' && typeof v === 'string' ? rewriteRef(v) : stripVocabulary(v, rewriteRef);
  }
  return out;
}

function openApiDocument(spec) {
  return {
    openapi: '3.1.0',
    info: { title: spec.title, version: spec['x-contract'].version },
    paths: {},
    components: { schemas: stripVocabulary(spec.$defs, (ref) => ref.replace(/^#\/\$defs\//, '#/components/schemas/')) },
  };
}

function jsonSchemaDocument(spec) {
  return { $schema: spec.$schema, title: 'Contract', type: 'object', additionalProperties: false, properties: {}, $defs: stripVocabulary(spec.$defs, (ref) => ref) };
}

// ── Tasks ───────────────────────────────────────────────────────────────────────────────────────

const work = mkdtempSync(join(tmpdir(), 'contractgen-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

const specs = [{ label: 'canonical', messages: canonical.$defs ? Object.values(canonical.$defs).filter((d) => d['x-message']).length : 0, spec: canonical }];
for (const n of SIZES) specs.push({ label: `+${n} msgs`, added: n, spec: syntheticSpec(canonical, n) });
for (const s of specs) {
  s.messages = Object.values(s.spec.$defs).filter((d) => d['x-message']).length;
  s.dir = join(work, s.label.replace(/\W+/g, '_'));
  mkdirSync(join(s.dir, 'spec'), { recursive: true });
  // A project folder, as users build in: contractgen keeps its ReDoS verdicts (rules/pattern-check.ts)
  // in node_modules/.cache, so rounds after the first reuse them, as a user's second build does.
  mkdirSync(join(s.dir, 'node_modules'), { recursive: true });
  s.specFile = join(s.dir, 'spec', 'protocol.schema.json');
  writeFileSync(s.specFile, `${JSON.stringify(s.spec, null, 2)}\n`);
  s.openapiFile = join(s.dir, 'openapi.json');
  writeFileSync(s.openapiFile, JSON.stringify(openApiDocument(s.spec), null, 2));
  s.jsonSchemaFile = join(s.dir, 'schema.json');
  writeFileSync(s.jsonSchemaFile, JSON.stringify(jsonSchemaDocument(s.spec), null, 2));
}
const byLabel = (label) => specs.find((s) => s.label === label);
const big = byLabel(`+${SIZES[SIZES.length - 1]} msgs`);

// The CLI keeps V8's code of the packages it loads (generator/compile-cache.ts), as a user's
// machine does after the first build: here in a folder of this run, filled by an untimed build
// (the first build with an empty cache is timed and reported on its own).
const codeCache = join(work, 'code-cache');
const cgEnv = { ...process.env, CONTRACTGEN_COMPILE_CACHE: codeCache };
const tasks = [];
for (const s of specs) {
  const out = join(s.dir, 'generated');
  tasks.push({ tool: 'contractgen build', spec: s, out, args: [cli, 'build', '--quiet', '--spec', s.specFile, '--out', out], env: cgEnv });
}
for (const s of [specs[0], big]) {
  const out = join(s.dir, 'openapi-types.ts');
  tasks.push({ tool: 'openapi-typescript', spec: s, out, args: [openapiTs, s.openapiFile, '-o', out] });
}
// The peer as contractgen's CLI runs itself (generator/v8-tuning.ts): what the flag alone is worth to it.
const TUNED_PEER = 'openapi-typescript, tuned';
tasks.push({ tool: TUNED_PEER, spec: big, out: join(big.dir, 'openapi-types-tuned.ts'), args: [`--interrupt-budget=${CLI_INTERRUPT_BUDGET}`, openapiTs, big.openapiFile, '-o', join(big.dir, 'openapi-types-tuned.ts')] });
for (const s of [specs[0], big]) {
  const out = join(s.dir, 'jstt-types.ts');
  tasks.push({ tool: 'json-schema-to-typescript', spec: s, out, args: [jstt, '-i', s.jsonSchemaFile, '-o', out, '--unreachableDefinitions'] });
}

/** CPU seconds (user + sys) of this process's finished children, from /proc (Linux); undefined elsewhere. */
function childrenCpu() {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, in USER_HZ (100 on Linux)
  } catch {
    return undefined;
  }
}

function runOnce(task) {
  rmSync(task.out, { recursive: true, force: true }); // cold output too: nothing to compare or skip
  const cpuBefore = childrenCpu();
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, task.args, { cwd: task.spec.dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...(task.env ? { env: task.env } : {}) });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpuAfter = childrenCpu();
  if (r.status !== 0 || !existsSync(task.out)) {
    process.stderr.write(`bench: ${task.tool} on ${task.spec.label} failed (exit ${r.status})\n${r.stderr}\n${r.stdout}\n`);
    process.exit(1);
  }
  return { seconds, cpu: cpuBefore === undefined || cpuAfter === undefined ? NaN : cpuAfter - cpuBefore };
}

// ── Measure ─────────────────────────────────────────────────────────────────────────────────────

const began = process.hrtime.bigint();
// Other work on the machine skews wall times more than CPU times: the report says how busy it was.
const loadBefore = loadavg()[0];
const elapsed = () => Number(process.hrtime.bigint() - began) / 1e9;
// Every run is a cold process; the one thing kept between runs is the code cache, filled here.
const firstBuild = runOnce(find('contractgen build', big));
process.stderr.write(`bench: ${tasks.length} tasks x ${RUNS} rounds, interleaved\n`);
for (const t of tasks) {
  t.times = [];
  t.cpus = [];
}
let rounds = 0;
let slowestRound = 0;
while (rounds < RUNS) {
  const roundStart = elapsed();
  // Paired: each contractgen build runs right next to the peers on the same spec, and who goes
  // first alternates by round, so a burst of load from elsewhere hits both sides of a ratio.
  const order = rounds % 2 === 0 ? tasks : [...tasks].reverse();
  const bySpec = new Map();
  for (const t of order) bySpec.set(t.spec, [...(bySpec.get(t.spec) ?? []), t]);
  for (const group of bySpec.values()) {
    for (const t of group) {
      const { seconds, cpu } = runOnce(t);
      t.times.push(seconds);
      t.cpus.push(cpu);
    }
  }
  rounds++;
  const perRound = elapsed() - roundStart;
  slowestRound = Math.max(slowestRound, perRound);
  process.stderr.write(`bench: round ${rounds}/${RUNS} took ${perRound.toFixed(1)} s\n`);
  if (rounds >= MIN_ROUNDS && elapsed() + slowestRound > BUDGET_S) {
    if (rounds < RUNS) process.stderr.write(`bench: stopping after ${rounds} rounds to stay within ${BUDGET_S} s (BENCH_BUDGET_S)\n`);
    break;
  }
}

function find(tool, spec) {
  return tasks.find((t) => t.tool === tool && t.spec === spec);
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
for (const t of tasks) {
  t.median = median(t.times);
  t.cpu = median(t.cpus);
}

// ── Watch: a one-line description change ───────────────────────────────────────────────────────

/** Runs `build --watch` on a copy of the canonical spec and times WATCH_EDITS description edits, write → rebuilt line. */
async function measureWatch(edits) {
  const dir = join(work, 'watch');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'protocol.schema.json');
  const text = readFileSync(join(root, 'spec', 'protocol.schema.json'), 'utf8');
  writeFileSync(file, text);
  const child = spawn(process.execPath, [cli, 'build', '--watch', '--spec', 'protocol.schema.json', '--out', 'generated'], { cwd: dir, env: cgEnv });
  let buffer = '';
  let waiter;
  const onLine = (line) => waiter?.(line);
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    const parts = (buffer + chunk).split('\n');
    buffer = parts.pop();
    for (const l of parts) onLine(l);
  });
  const next = (re) => new Promise((resolveLine) => (waiter = (l) => re.test(l) && resolveLine(l)));
  await next(/^contractgen: watching /);
  const endToEnd = [];
  const internal = [];
  for (let i = 0; i < edits; i++) {
    const built = next(/ files in generated\/ .* in (\d+) ms$/);
    const start = process.hrtime.bigint();
    writeFileSync(file, text.replace(/"description": "/, `"description": "Edit ${i}. `));
    const line = await built;
    endToEnd.push(Number(process.hrtime.bigint() - start) / 1e6);
    internal.push(Number(/ in (\d+) ms$/.exec(line)[1]));
  }
  child.kill('SIGINT');
  await new Promise((r) => child.on('exit', r));
  return { endToEnd: median(endToEnd), internal: median(internal), edits };
}

process.stderr.write('bench: build --watch, description edits\n');
const watched = await measureWatch(Number(process.env.BENCH_WATCH_EDITS ?? 9) || 9);

// ── Validation speed and bundle size ──────────────────────────────────────────────────────────────

process.stderr.write('bench: validation (bench/validation.ts)\n');
const validationRun = spawnSync(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(root, 'bench', 'validation.ts'), '--json'], { cwd: root, encoding: 'utf8' });
if (validationRun.status !== 0) {
  process.stderr.write(`bench: bench/validation.ts failed\n${validationRun.stderr}\n`);
  process.exit(1);
}
const validation = JSON.parse(validationRun.stdout.trim().split('\n').pop());
process.stderr.write('bench: client bundles (esbuild)\n');
const bundles = await bundleSizes(join(specs[0].dir, 'generated'));

// ── Report ──────────────────────────────────────────────────────────────────────────────────────

const lines = [];
const say = (s = '') => lines.push(s);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const secs = (x) => x.toFixed(3);
const verdict = (ok) => (ok ? 'met' : 'NOT met');

say(`contractgen build benchmark: median of ${rounds} cold processes per task, measured in one run (interleaved; 2 shared cores: noisy)`);
say('(each spec sits in a project folder with node_modules/: contractgen caches its ReDoS verdicts there after the first round, as in a user project)');
say(`(contractgen's code cache of the packages it loads was filled by one build before the rounds; that first build, ${big.label}, empty cache: ${firstBuild.seconds.toFixed(3)} s wall, ${firstBuild.cpu.toFixed(2)} s cpu)`);
say(`node ${process.version}, ${process.platform} ${process.arch}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'}); load average (1 min) ${loadBefore.toFixed(2)} at the start, ${loadavg()[0].toFixed(2)} at the end (this run adds about 1)`);
say();
say(`${pad('tool', 28)}${pad('spec', 14)}${lpad('messages', 9)}${lpad('median s', 10)}${lpad('min s', 8)}${lpad('max s', 8)}${lpad('cpu s', 8)}`);
for (const t of tasks) {
  say(`${pad(t.tool, 28)}${pad(t.spec.label, 14)}${lpad(t.spec.messages, 9)}${lpad(secs(t.median), 10)}${lpad(secs(Math.min(...t.times)), 8)}${lpad(secs(Math.max(...t.times)), 8)}${lpad(t.cpu.toFixed(2), 8)}`);
}
say();
for (const [s, target] of [
  [specs[0], 1.0],
  [big, 1.5],
]) {
  const cg = find('contractgen build', s);
  const oat = find('openapi-typescript', s);
  const js = find('json-schema-to-typescript', s);
  // The median of the per-round ratios of paired runs: steadier than a ratio of medians under load.
  const paired = (a, b) => median(a.map((x, i) => x / b[i]));
  const wall = paired(cg.times, oat.times);
  say(
    `${pad(`ratios on ${s.label}:`, 24)} contractgen / openapi-typescript = ${wall.toFixed(2)}x wall, ${paired(cg.cpus, oat.cpus).toFixed(2)}x cpu (median of ${cg.times.length} paired rounds; ratio of medians ${(cg.median / oat.median).toFixed(2)}x wall, ${(cg.cpu / oat.cpu).toFixed(2)}x cpu; target <= ${target.toFixed(1)}x wall: ${verdict(wall <= target)})   contractgen / json-schema-to-typescript = ${paired(cg.times, js.times).toFixed(2)}x wall`,
  );
  const tuned = find(TUNED_PEER, s);
  if (tuned) {
    say(
      `${pad('', 24)} contractgen runs with --interrupt-budget=${CLI_INTERRUPT_BUDGET} (generator/v8-tuning.ts); openapi-typescript given the same: ${paired(cg.times, tuned.times).toFixed(2)}x wall, ${paired(cg.cpus, tuned.cpus).toFixed(2)}x cpu (the flag saves it ${((1 - paired(tuned.cpus, oat.cpus)) * 100).toFixed(0)}% cpu; the target compares with the peer as it ships)`,
    );
  }
}

// Least-squares slope over the synthetic variants: the cost of one more message.
function slopeOf(pick) {
  const points = SIZES.map((n) => ({ x: byLabel(`+${n} msgs`).messages, y: pick(find('contractgen build', byLabel(`+${n} msgs`))) }));
  const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
  const my = points.reduce((a, p) => a + p.y, 0) / points.length;
  const slope = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const steps = points.slice(1).map((p, i) => `${points[i].x}→${p.x}: ${(((p.y - points[i].y) / (p.x - points[i].x)) * 1000).toFixed(2)} ms/msg`);
  return { slope, intercept: my - slope * mx, steps };
}
const wallSlope = slopeOf((t) => t.median);
const cpuSlope = slopeOf((t) => t.cpu);
say();
say(`per-message cost (least squares over ${SIZES.map((n) => `+${n}`).join('/')}): ${(wallSlope.slope * 1000).toFixed(2)} ms wall per message (target <= 3 ms: ${verdict(wallSlope.slope * 1000 <= 3)}), intercept ${wallSlope.intercept.toFixed(3)} s  (${wallSlope.steps.join(', ')}); ${(cpuSlope.slope * 1000).toFixed(2)} ms cpu per message`);

const countFiles = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? countFiles(join(dir, e.name)) : 1), 0);
say(`(not like for like: contractgen checks the spec and writes ${countFiles(join(specs[0].dir, 'generated'))} files (types, Ajv standalone and typed validators, contract, server, client, runtime copy); the others write one file of types)`);

say();
say(`build --watch, canonical spec, a one-line description change (median of ${watched.edits} edits): ${watched.endToEnd.toFixed(0)} ms from the write to the rebuilt line, ${watched.internal.toFixed(0)} ms of it building (target <= 300 ms: ${verdict(watched.endToEnd <= 300)})`);

say();
say('generated validator sizes');
for (const s of [specs[0], big]) {
  for (const file of ['validators.ajv.ts', 'validators.ts']) {
    const bytes = readFileSync(join(s.dir, 'generated', file));
    const target = s === big && file === 'validators.ajv.ts' ? `  (target <= 0.6 MB: ${verdict(bytes.length <= 600_000)})` : '';
    say(`  ${pad(s.label, 12)} ${pad(file, 20)} ${lpad(bytes.length, 9)} B raw ${lpad(gzipSync(bytes, { level: 9 }).length, 8)} B gzip${target}`);
  }
}
say();
say(`validation speed, generated validators vs Ajv2020 compiled at run time (bench/validation.ts, median of ${validation.rounds} alternating rounds):`);
for (const g of ['valid', 'invalid']) {
  const v = validation[g];
  say(`  ${pad(g, 8)} ${lpad(v.cases, 3)} cases  generated ${lpad(v.oursNs.toFixed(1), 7)} ns  Ajv ${lpad(v.peerNs.toFixed(1), 7)} ns  speed ${v.speed.toFixed(2)}x of Ajv (target >= 0.90x: ${verdict(v.speed >= 0.9)})`);
}
say();
say('browser bundle of the canonical client (esbuild: esm, browser, minify, tree-shaken; bench/bundle-size.mjs):');
say(`  ${pad(bundles.factory, 28)} ${lpad(bundles.ours.min, 8)} B min ${lpad(bundles.ours.gzip, 7)} B gzip`);
say(`  ${pad('socket.io-client io', 28)} ${lpad(bundles.peer.min, 8)} B min ${lpad(bundles.peer.gzip, 7)} B gzip`);
say(`  ratio ${(bundles.ours.min / bundles.peer.min).toFixed(2)}x min, ${(bundles.ours.gzip / bundles.peer.gzip).toFixed(2)}x gzip`);
say();
say(`total bench time ${elapsed().toFixed(1)} s`);
process.stdout.write(`${lines.join('\n')}\n`);
