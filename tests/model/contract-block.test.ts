/**
 * Model stage — the spec as written (generator/model/contract-block.ts). The x-contract block is
 * typed from the one declaration of a contract's shape, the runtime's ContractDescriptor; this
 * holds the vocabulary meta-schema to that type: the meta-schema's `contract` definition, printed
 * by json-schema-to-typescript, must be a ContractBlock (what the rules and the model read is what
 * the meta-schema admits), and ContractBlock may name no field the meta-schema does not declare.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { compareVersions, messagesOf } from '../../generator/model/contract-block.js';
import { repoRoot, runNode } from '../helpers.js';

const dir = join(repoRoot, 'tests', '.generated', 'contract-block');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Type-checks `check.ts` beside the meta-schema's type; '' when it compiles. */

describe('the x-contract block and the vocabulary meta-schema', () => {
  it('agree: every block the meta-schema admits is a ContractBlock, and ContractBlock invents no field', async () => {
    const vocabulary = JSON.parse(readFileSync(join(repoRoot, 'spec', 'contract-vocabulary.schema.json'), 'utf8'));
    const schema = { ...vocabulary.$defs.contract, title: 'VocabularyContract', $defs: vocabulary.$defs };
    const printed = await compile(schema as JSONSchema, 'VocabularyContract', { bannerComment: '', additionalProperties: false, format: false });
    const check = `import type { ContractBlock } from ${JSON.stringify(join(repoRoot, 'generator', 'model', 'contract-block.js'))};
import type { VocabularyContract } from './vocabulary.js';
type Admitted = [VocabularyContract] extends [ContractBlock] ? true : false;
export const admitted: Admitted = true;
type Invented = Exclude<keyof ContractBlock, keyof VocabularyContract>;
export const invented: [Invented] extends [never] ? true : Invented = true;
`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'vocabulary.ts'), printed);
    writeFileSync(join(dir, 'check.ts'), check);
    const r = await runNode([join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--target', 'es2022', '--types', 'node', join(dir, 'check.ts')]);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  }, 60_000);
});

describe('reading the spec as written', () => {
  it.each([
    { name: 'messages sorted by type, with their x-message', given: { $defs: { B: { 'x-message': { type: 'b.x', direction: 'server-to-client', role: 'data' } }, A: { 'x-message': { type: 'a.x', direction: 'client-to-server', role: 'control' } }, C: { type: 'string' } } }, want: [['a.x', 'A', '/$defs/A'], ['b.x', 'B', '/$defs/B']] },
    { name: 'no $defs', given: {}, want: [] },
  ])('$name', ({ given, want }) => {
    expect(messagesOf(given).map((m) => [m.type, m.defName, m.pointer])).toEqual(want);
  });

  it.each([
    { given: ['1.1', '1.0', '2.0', '1.10'], want: ['1.0', '1.1', '1.10', '2.0'] },
    { given: ['0.9', '0.10'], want: ['0.9', '0.10'] },
  ])('versions in ascending order: $given', ({ given, want }) => {
    expect([...given].sort(compareVersions)).toEqual(want);
  });
});
