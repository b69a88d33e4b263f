/**
 * The command line raises V8's tier-up budget (generator/v8-tuning.ts) unless Node was started
 * with one; the library API leaves a caller's flags alone.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_INTERRUPT_BUDGET } from '../generator/v8-tuning.js';
import { removeTempDirs, repoRoot, runNode, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const tuning = pathToFileURL(join(repoRoot, 'dist', 'generator', 'v8-tuning.js')).href;
const api = pathToFileURL(join(repoRoot, 'dist', 'generator', 'api.js')).href;

describe('V8 tuning of the command line', () => {
  it('sets the budget once, and not over one given to Node', async () => {
    const dir = tempDir('contractgen-v8-');
    const script = join(dir, 'tune.mjs');
    writeFileSync(script, `const t = await import(${JSON.stringify(tuning)});\nprocess.stdout.write(JSON.stringify([t.tuneV8ForCli(), t.tuneV8ForCli(), t.v8FlagsSet()]));\n`);
    const flag = `--interrupt-budget=${CLI_INTERRUPT_BUDGET}`;
    expect(JSON.parse((await runNode([script])).stdout)).toEqual([[flag], [flag], [flag]]);
    expect(JSON.parse((await runNode(['--interrupt-budget=5000', script])).stdout)).toEqual([[], [], []]);
  });

  it('the library API sets no flag', async () => {
    const dir = tempDir('contractgen-v8-');
    const script = join(dir, 'api.mjs');
    writeFileSync(script, `await import(${JSON.stringify(api)});\nconst t = await import(${JSON.stringify(tuning)});\nprocess.stdout.write(JSON.stringify(t.v8FlagsSet()));\n`);
    const r = await runNode([script]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});
