/**
 * Validation benchmark: the generated validators (generated/validators.ts: Ajv standalone code
 * behind the typed wrapper) against Ajv compiling the same spec's $defs at run time (Ajv2020,
 * default options: the "compiled, non-standalone" peer), on the same messages, valid and invalid.
 *
 *   node_modules/.bin/tsx bench/validation.ts           (BENCH_ROUNDS=31 by default)
 *   node_modules/.bin/tsx bench/validation.ts --json    one JSON line, for bench/build.mjs
 *
 * Cases: every example of every message (valid), every data payload's example through the payload
 * validator (valid), and per example a few broken variants the peer rejects (a required payload
 * field removed, a session_id that fails its pattern, an unknown payload field, a payload of the
 * wrong type). Before timing, every case is checked to give the same verdict and the same first
 * error location from both, so the figures compare equal work. Both make the same error
 * information: ours the result object with its issues (worded when read), Ajv its `errors` with
 * messages. Rounds alternate which side runs first; the ns figures are medians over rounds, and
 * the speed is the median of each round's ratio (the two sides of a round ran back to back, so
 * load from other processes on the 2 shared cores cancels out better than across rounds).
 * tsx runs the generated code as a service's loader might: with function names kept (esbuild's
 * keepNames), which puts every function's own properties in dictionary mode (runtime/ajv-errors.ts).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { toIssues, type Validator } from '../generated/runtime/validation.js';
import * as generated from '../generated/validators.js';
import { intEnv, QUICK } from './env.js';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020.js').default as typeof import('ajv/dist/2020.js').default;

const ROUNDS = intEnv('BENCH_ROUNDS') ?? (QUICK ? 3 : 31);
const TARGET_MS = QUICK ? 10 : 25;
const json = process.argv.includes('--json');

type Schema = Record<string, unknown>;
const spec = JSON.parse(readFileSync(new URL('../spec/protocol.schema.json', import.meta.url), 'utf8')) as { $defs: Record<string, Schema> };
const peerAjv = new Ajv2020({ strict: false, logger: false, validateFormats: false });
const ID = 'https://bench.invalid/spec.json';
peerAjv.addSchema({ $id: ID, $defs: spec.$defs });

interface Case {
  readonly name: string;
  readonly group: 'valid' | 'invalid';
  readonly value: unknown;
  readonly ours: Validator<unknown>;
  readonly peer: (v: unknown) => boolean;
}

const clone = <T>(v: T): T => structuredClone(v);
const ours = generated as unknown as Record<string, Validator<unknown> | undefined>;

function variants(def: Schema, example: Record<string, unknown>): [string, unknown][] {
  const out: [string, unknown][] = [];
  const payloadSchema = (def.properties as Schema | undefined)?.payload as Schema | undefined;
  const payload = example.payload;
  const required = Array.isArray(payloadSchema?.required) ? (payloadSchema.required as string[]) : [];
  if (payload && typeof payload === 'object' && required[0] !== undefined) {
    const v = clone(example) as { payload: Record<string, unknown> };
    delete v.payload[required[0]];
    out.push([`payload.${required[0]} missing`, v]);
  }
  if (payload && typeof payload === 'object') {
    const v = clone(example) as { payload: Record<string, unknown> };
    v.payload.bench_unknown_field = 1;
    out.push(['unknown payload field', v]);
    out.push(['payload of the wrong type', { ...clone(example), payload: 'not an object' }]);
  }
  const header = example.header as Record<string, unknown> | undefined;
  if (header && typeof header.session_id === 'string') out.push(['session_id fails its pattern', { ...clone(example), header: { ...header, session_id: 'default' } }]);
  return out;
}

const cases: Case[] = [];
for (const [name, def] of Object.entries(spec.$defs).sort(([a], [b]) => a.localeCompare(b))) {
  const validator = ours[`validate${name}`];
  if (!def['x-message'] || !validator) continue;
  const peer = peerAjv.getSchema(`${ID}#/$defs/${name}`)!;
  for (const [i, example] of ((def.examples ?? []) as Record<string, unknown>[]).entries()) {
    cases.push({ name: `${name} example ${i + 1}`, group: 'valid', value: example, ours: validator, peer });
    for (const [what, value] of variants(def, example)) if (!peer(value)) cases.push({ name: `${name}: ${what}`, group: 'invalid', value, ours: validator, peer });
    const payloadValidator = ours[`validate${name}Payload`];
    if (payloadValidator) cases.push({ name: `${name} payload example ${i + 1}`, group: 'valid', value: example.payload, ours: payloadValidator, peer: peerAjv.getSchema(`${ID}#/$defs/${name}/properties/payload`)! });
  }
}

// Same verdict and same first error location from both, or the comparison means nothing.
for (const c of cases) {
  const mine = c.ours(c.value);
  const theirs = c.peer(c.value);
  const theirPath = theirs ? undefined : toIssues((c.peer as unknown as { errors: never }).errors)[0]?.path;
  const myPath = mine.ok ? undefined : mine.issues[0]?.path;
  if (mine.ok !== theirs || myPath !== theirPath) throw new Error(`bench/validation: ${c.name}: generated says ${mine.ok ? 'valid' : `invalid at ${myPath}`}, Ajv says ${theirs ? 'valid' : `invalid at ${theirPath}`}`);
}

let sink = 0;
function nsPer(group: Case[], side: 'ours' | 'peer', iterations: number): number {
  const start = process.hrtime.bigint();
  if (side === 'ours') {
    for (let n = 0; n < iterations; n++) for (const c of group) if (c.ours(c.value).ok) sink++;
  } else {
    for (let n = 0; n < iterations; n++) for (const c of group) if (c.peer(c.value)) sink++;
  }
  return Number(process.hrtime.bigint() - start) / (iterations * group.length);
}

const groups = { valid: cases.filter((c) => c.group === 'valid'), invalid: cases.filter((c) => c.group === 'invalid') };
const times: Record<string, { ours: number[]; peer: number[] }> = {};
for (const [g, list] of Object.entries(groups)) {
  // Warm up both, then size the loop so one measurement takes about TARGET_MS.
  nsPer(list, 'ours', 2000);
  nsPer(list, 'peer', 2000);
  const iterations = Math.max(100, Math.round((TARGET_MS * 1e6) / (nsPer(list, 'peer', 5000) * list.length)));
  times[g] = { ours: [], peer: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order: ('ours' | 'peer')[] = r % 2 === 0 ? ['ours', 'peer'] : ['peer', 'ours'];
    for (const side of order) times[g]![side].push(nsPer(list, side, iterations));
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const result = Object.fromEntries(
  Object.entries(times).map(([g, t]) => {
    // Speed relative to the peer: 1.0 is as fast, above is faster.
    const speed = median(t.ours.map((o, r) => t.peer[r]! / o));
    return [g, { cases: groups[g as keyof typeof groups].length, oursNs: median(t.ours), peerNs: median(t.peer), speed }];
  }),
) as Record<'valid' | 'invalid', { cases: number; oursNs: number; peerNs: number; speed: number }>;

if (json) process.stdout.write(`${JSON.stringify({ rounds: ROUNDS, ...result })}\n`);
else {
  process.stdout.write(`validation: generated validators vs Ajv2020 compiled at run time (default options), ${ROUNDS} alternating rounds: median ns per validation, median of the rounds' speed ratios\n`);
  process.stdout.write(`node ${process.version}, ${cpus().length} CPU(s); same verdict and first error location checked on every case first\n\n`);
  for (const [g, r] of Object.entries(result)) {
    process.stdout.write(`  ${g.padEnd(8)} ${String(r.cases).padStart(3)} cases   generated ${r.oursNs.toFixed(1).padStart(7)} ns   Ajv compiled ${r.peerNs.toFixed(1).padStart(7)} ns   speed ${r.speed.toFixed(2)}x of Ajv (target >= 0.90)\n`);
  }
}
if (sink < 0) process.stdout.write(''); // keeps the loops' results alive
