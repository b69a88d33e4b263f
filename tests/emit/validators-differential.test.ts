/**
 * The generated validators (Ajv standalone code made lean by generator/lean-ajv-code.ts, behind
 * the typed wrapper) against Ajv compiling the same $defs at run time (Ajv2020, default options,
 * refs inlined): for the canonical spec and the 212-message synthetic one, every example and
 * fast-check mutations of it (a value replaced, a key dropped, a key added) get the same verdict
 * and the same issues — path, keyword and wording — in the same order. Fixed seed: a failure
 * reproduces; FC_SEED picks another.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { standaloneCode } from '../../generator/emit/validators-ajv.js';
import { createValidator, toIssues, type RawValidator, type RawValidationError } from '../../runtime/validation.js';
import { repoRoot } from '../helpers.js';
import { fixtureSpec, modelOf } from '../support/model.js';
import { syntheticSpec } from '../../bench/synthetic-spec.mjs';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020.js').default as typeof import('ajv/dist/2020.js').default;

const SEED = Number(process.env.FC_SEED ?? 1818);
type Json = unknown;
type Spec = { $defs: Record<string, { examples?: Json[]; 'x-message'?: unknown; properties?: Record<string, unknown> }> };

const work = join(repoRoot, 'tests', '.generated');
mkdirSync(work, { recursive: true });
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The spec's generated raw validators, written next to a link to runtime/ and imported. */
async function generatedOf(spec: Spec): Promise<{ code: string; raw: Record<string, RawValidator>; pointers: Map<string, string> }> {
  const model = modelOf(spec);
  const code = standaloneCode(model);
  const dir = mkdtempSync(join(work, 'lean-'));
  dirs.push(dir);
  symlinkSync(join(repoRoot, 'runtime'), join(dir, 'runtime'));
  writeFileSync(join(dir, 'validators.ajv.ts'), code);
  const raw = (await import(join(dir, 'validators.ajv.ts'))) as Record<string, RawValidator>;
  const pointers = new Map<string, string>();
  for (const v of model.validated) pointers.set(String(v.raw), v.pointer);
  for (const m of model.messages) if (m.payloadValidator) pointers.set(String(m.payloadValidator.raw), m.payloadValidator.pointer);
  return { code, raw, pointers };
}

/** Every path into a JSON value, as keys. */
function pathsOf(value: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

type Mutation = { readonly pick: number; readonly op: 'replace' | 'drop' | 'add'; readonly key: string; readonly value: Json };

function mutate(example: Json, m: Mutation): Json {
  const copy = structuredClone(example);
  const paths = pathsOf(copy);
  const path = paths[m.pick % paths.length]!;
  if (path.length === 0) return m.op === 'replace' ? m.value : copy;
  const parent = path.slice(0, -1).reduce<Json>((v, k) => (v as Record<string | number, Json>)[k], copy) as Record<string | number, Json>;
  const last = path[path.length - 1]!;
  if (m.op === 'replace') parent[last] = m.value;
  else if (m.op === 'drop') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else {
    const target = parent[last];
    if (target && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, Json>)[m.key] = m.value;
    else parent[last] = m.value;
  }
  return copy;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('replace', 'drop', 'add'),
  // Keys of the schemas' own vocabulary too, so additions hit declared properties as well as unknown ones.
  key: fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('type', 'header', 'payload', 'seq', 'session_id', 'kind', 'id', 'status', 'constructor', '__proto__')),
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom<Json>('', 'default', 'q3Jt0Yz8uVbK2mXw5LcP9a', -1, 0, 1, 1.5, 2 ** 53, null, true, [], {}, 'x'.repeat(200)),
  ),
});

type Issue = { path: string; keyword: string; message: string };
const issues = (errors: readonly RawValidationError[] | null | undefined): Issue[] => toIssues(errors).map(({ path, keyword, message }) => ({ path, keyword, message }));

function differential(name: string, load: () => Spec, runs: number): void {
  describe(name, () => {
    it(`gives Ajv compiled's verdict and issues on every example and ${runs} mutations of each (seed ${SEED})`, async () => {
      const spec = load();
      const { code, raw, pointers } = await generatedOf(spec);
      // The lean rewrite took: no Ajv error literal is left.
      expect(code).toContain('createErrorHelpers($sites)');
      expect(code).not.toContain('instancePath:');
      const peer = new Ajv2020({ strict: false, logger: false, validateFormats: false });
      const ID = 'https://differential.invalid/spec.json';
      peer.addSchema({ $id: ID, $defs: spec.$defs });
      let compared = 0;
      for (const [exported, pointer] of pointers) {
        const ours = raw[exported];
        expect(ours, exported).toBeTypeOf('function');
        const theirs = peer.getSchema(`${ID}#${pointer}`)!;
        const typed = createValidator<unknown>(exported, ours!);
        const def = spec.$defs[pointer.split('/')[2]!]!;
        const examples = (def.examples ?? []).map((e) => (pointer.endsWith('/payload') ? (e as { payload: Json }).payload : e));
        for (const example of examples) {
          const check = (value: Json): void => {
            const mine = typed(value);
            const verdict = theirs(value);
            compared++;
            expect({ exported, value, ok: mine.ok, issues: mine.ok ? [] : mine.issues.map(({ path, keyword, message }) => ({ path, keyword, message })) }).toEqual({
              exported,
              value,
              ok: verdict,
              issues: verdict ? [] : issues(theirs.errors),
            });
          };
          check(example);
          fc.assert(
            fc.property(mutation, (m) => check(mutate(example, m))),
            { seed: SEED, numRuns: runs },
          );
        }
      }
      expect(compared).toBeGreaterThan(pointers.size * runs * 0.5);
    }, 120_000);
  });
}

differential('canonical spec', () => fixtureSpec('agent-ui') as Spec, 300);
differential('synthetic spec, 212 messages', () => syntheticSpec(fixtureSpec('agent-ui'), 200) as Spec, 40);
