/**
 * The emitter registry (generator/emitters.ts) and the verify stage (generator/verify.ts,
 * typecheck.ts): which emitters a target runs and what they print through; the named checks on
 * what a build generates, the type-check of the output among them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMITTERS, emittersOf } from '../generator/emitters.js';
import { generate } from '../generator/pipeline.js';
import { GENERATED_COMPILER_OPTIONS } from '../generator/typecheck.js';
import { typecheck } from '../generator/typecheck.js';
import { VERIFY_STEPS, verify } from '../generator/verify.js';
import { repoRoot } from './helpers.js';

describe('the emitter registry', () => {
  it.each([
    { name: 'TypeScript', given: 'typescript', want: ['runtime', 'types', 'validators-ajv', 'validators', 'contract', 'server', 'client', 'docs', 'asyncapi', 'openapi'] },
    { name: 'Python', given: 'python', want: ['python', 'python-runtime'] },
  ] as const)('$name selects its emitters, in order', ({ given, want }) => {
    expect(emittersOf(given).map((e) => e.name)).toEqual(want);
  });

  it('prints TypeScript of its own only through ts-morph structures (the printer), each emitter one artifact', () => {
    expect(EMITTERS.filter((e) => e.printer === 'ts-morph').map((e) => e.files)).toEqual([['validators.ts'], ['contract.ts'], ['server.ts'], ['client.ts']]);
    expect(new Set(EMITTERS.map((e) => e.name)).size).toBe(EMITTERS.length);
  });
});

describe('the verify stage', () => {
  it('has named steps, each keyed by the sentence it checks', () => {
    expect(VERIFY_STEPS.map((s) => s.name)).toEqual(['trace', 'diagrams', 'typecheck']);
    for (const s of VERIFY_STEPS) expect(s.sentence).toMatch(/\.$/);
  });

  it('fails a build whose TypeScript does not compile, naming the file, the position and the code', async () => {
    const { files } = await generate({ spec: join(repoRoot, 'tests/fixtures/specs/chat-mini.schema.json'), out: join(repoRoot, 'tests/.generated/verify-mini'), worker: false, typecheck: true });
    const broken = files.map((f) => (f.path === 'server.ts' ? { ...f, content: `${f.content}export const wrong: number = "text";\n` } : f));
    const findings = typecheck(broken, join(repoRoot, 'tests/.generated/verify-mini'));
    expect(findings).toEqual([expect.objectContaining({ code: 'output-typecheck', file: 'server.ts', pointer: 'TS2322', line: expect.any(Number) })]);
    await expect(verify(broken, { trace: [], typecheck: { out: join(repoRoot, 'tests/.generated/verify-mini') } })).rejects.toThrow(/TS2322/);
  }, 60_000);

  it('holds the output to the settings of tsconfig.generated.json', () => {
    const tsconfig = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.generated.json'), 'utf8')).compilerOptions as Record<string, unknown>;
    for (const key of ['strict', 'exactOptionalPropertyTypes', 'noUncheckedIndexedAccess', 'noUnusedLocals', 'noUnusedParameters', 'noImplicitReturns', 'verbatimModuleSyntax', 'isolatedModules']) {
      expect((GENERATED_COMPILER_OPTIONS as Record<string, unknown>)[key], key).toBe(tsconfig[key]);
    }
  });
});
