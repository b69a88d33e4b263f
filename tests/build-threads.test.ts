/**
 * Which thread runs an emitter is a speed decision only (generator/emitters.ts): a contract large
 * enough to print its types in the worker builds, through the compiled CLI and its worker, the
 * same bytes as in process with no worker.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticSpec } from '../bench/synthetic-spec.mjs';
import { generate } from '../generator/pipeline.js';
import { removeTempDirs, runCli, specPath, tempDir } from './helpers.js';

afterAll(removeTempDirs);

describe('build threads', () => {
  it('a 54-message contract (types printed in the worker) builds the same bytes with and without the worker', async () => {
    const dir = tempDir('contractgen-threads-');
    const spec = join(dir, 'protocol.schema.json');
    const json = syntheticSpec(JSON.parse(readFileSync(specPath, 'utf8')), 40);
    expect(Object.values(json.$defs).filter((d) => d['x-message']).length).toBeGreaterThanOrEqual(50);
    writeFileSync(spec, `${JSON.stringify(json, null, 2)}\n`);
    const out = join(dir, 'generated');
    const inline = await generate({ spec, out, worker: false });
    const r = await runCli(['build', '--quiet', '--spec', spec, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of inline.files) expect(readFileSync(join(out, f.path), 'utf8'), f.path).toBe(f.content);
  }, 60_000);
});
