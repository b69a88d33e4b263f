#!/usr/bin/env node
/**
 * Build benchmark: how long a cold `contractgen build` takes, how it grows with the number of
 * messages, and how it compares with the two type generators people would otherwise reach for
 * (openapi-typescript on the same schemas as OpenAPI components, json-schema-to-typescript on the
 * same $defs). Every figure is the median of N cold processes, all measured in this one run and
 * interleaved round by round so that machine noise hits every task alike.
 *
 *   node bench/build.mjs                 (needs `npm run build:cli` first)
 *   BENCH_RUNS=11 node bench/build.mjs   more runs
 *   BENCH_BUDGET_S=60 node bench/build.mjs   stop adding rounds after about this long
 *                                            (default 100; at least 3 rounds always run)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
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
  s.specFile = join(s.dir, 'spec', 'protocol.schema.json');
  writeFileSync(s.specFile, `${JSON.stringify(s.spec, null, 2)}\n`);
  s.openapiFile = join(s.dir, 'openapi.json');
  writeFileSync(s.openapiFile, JSON.stringify(openApiDocument(s.spec), null, 2));
  s.jsonSchemaFile = join(s.dir, 'schema.json');
  writeFileSync(s.jsonSchemaFile, JSON.stringify(jsonSchemaDocument(s.spec), null, 2));
}
const byLabel = (label) => specs.find((s) => s.label === label);
const big = byLabel(`+${SIZES[SIZES.length - 1]} msgs`);

const tasks = [];
for (const s of specs) {
  const out = join(s.dir, 'generated');
  tasks.push({ tool: 'contractgen build', spec: s, out, args: [cli, 'build', '--quiet', '--spec', s.specFile, '--out', out] });
}
for (const s of [specs[0], big]) {
  const out = join(s.dir, 'openapi-types.ts');
  tasks.push({ tool: 'openapi-typescript', spec: s, out, args: [openapiTs, s.openapiFile, '-o', out] });
}
for (const s of [specs[0], big]) {
  const out = join(s.dir, 'jstt-types.ts');
  tasks.push({ tool: 'json-schema-to-typescript', spec: s, out, args: [jstt, '-i', s.jsonSchemaFile, '-o', out, '--unreachableDefinitions'] });
}

function runOnce(task) {
  rmSync(task.out, { recursive: true, force: true }); // cold output too: nothing to compare or skip
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, task.args, { cwd: task.spec.dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0 || !existsSync(task.out)) {
    process.stderr.write(`bench: ${task.tool} on ${task.spec.label} failed (exit ${r.status})\n${r.stderr}\n${r.stdout}\n`);
    process.exit(1);
  }
  return seconds;
}

// ── Measure ─────────────────────────────────────────────────────────────────────────────────────

const began = process.hrtime.bigint();
const elapsed = () => Number(process.hrtime.bigint() - began) / 1e9;
// No untimed warm-up: every run is a cold process anyway, and the median absorbs a slow first round.
process.stderr.write(`bench: ${tasks.length} tasks x ${RUNS} rounds, interleaved\n`);
for (const t of tasks) t.times = [];
let rounds = 0;
let slowestRound = 0;
while (rounds < RUNS) {
  const roundStart = elapsed();
  for (const t of tasks) t.times.push(runOnce(t));
  rounds++;
  const perRound = elapsed() - roundStart;
  slowestRound = Math.max(slowestRound, perRound);
  process.stderr.write(`bench: round ${rounds}/${RUNS} took ${perRound.toFixed(1)} s\n`);
  if (rounds >= MIN_ROUNDS && elapsed() + slowestRound > BUDGET_S) {
    if (rounds < RUNS) process.stderr.write(`bench: stopping after ${rounds} rounds to stay within ${BUDGET_S} s (BENCH_BUDGET_S)\n`);
    break;
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
for (const t of tasks) t.median = median(t.times);
const find = (tool, spec) => tasks.find((t) => t.tool === tool && t.spec === spec);

// ── Report ──────────────────────────────────────────────────────────────────────────────────────

const lines = [];
const say = (s = '') => lines.push(s);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const secs = (x) => x.toFixed(3);

say(`contractgen build benchmark: median of ${rounds} cold processes per task, measured in one run`);
say(`node ${process.version}, ${process.platform} ${process.arch}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'})`);
say();
say(`${pad('tool', 28)}${pad('spec', 14)}${lpad('messages', 9)}${lpad('median s', 10)}${lpad('min s', 8)}${lpad('max s', 8)}`);
for (const t of tasks) {
  say(`${pad(t.tool, 28)}${pad(t.spec.label, 14)}${lpad(t.spec.messages, 9)}${lpad(secs(t.median), 10)}${lpad(secs(Math.min(...t.times)), 8)}${lpad(secs(Math.max(...t.times)), 8)}`);
}
say();
for (const s of [specs[0], big]) {
  const cg = find('contractgen build', s).median;
  const oat = find('openapi-typescript', s).median;
  const js = find('json-schema-to-typescript', s).median;
  say(`${pad(`ratios on ${s.label}:`, 24)} contractgen / openapi-typescript = ${(cg / oat).toFixed(2)}x   contractgen / json-schema-to-typescript = ${(cg / js).toFixed(2)}x`);
}

// Least-squares slope over the synthetic variants: the cost of one more message.
const points = SIZES.map((n) => ({ x: byLabel(`+${n} msgs`).messages, y: find('contractgen build', byLabel(`+${n} msgs`)).median }));
const mx = points.reduce((a, p) => a + p.x, 0) / points.length;
const my = points.reduce((a, p) => a + p.y, 0) / points.length;
const slope = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
const intercept = my - slope * mx;
const steps = points.slice(1).map((p, i) => `${points[i].x}→${p.x}: ${(((p.y - points[i].y) / (p.x - points[i].x)) * 1000).toFixed(2)} ms/msg`);
say();
say(`per-message cost (least squares over ${SIZES.map((n) => `+${n}`).join('/')}): ${(slope * 1000).toFixed(2)} ms per message, intercept ${intercept.toFixed(3)} s  (${steps.join(', ')})`);

const countFiles = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? countFiles(join(dir, e.name)) : 1), 0);
say(`(not like for like: contractgen checks the spec and writes ${countFiles(join(specs[0].dir, 'generated'))} files (types, Ajv standalone and typed validators, contract, server, client, runtime copy); the others write one file of types)`);

say();
say('generated validator sizes');
for (const s of [specs[0], big]) {
  for (const file of ['validators.ajv.ts', 'validators.ts']) {
    const bytes = readFileSync(join(s.dir, 'generated', file));
    say(`  ${pad(s.label, 12)} ${pad(file, 20)} ${lpad(bytes.length, 9)} B raw ${lpad(gzipSync(bytes, { level: 9 }).length, 8)} B gzip`);
  }
}
say();
say(`total bench time ${elapsed().toFixed(1)} s`);
process.stdout.write(`${lines.join('\n')}\n`);
