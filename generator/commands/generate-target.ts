/**
 * What `build` and `check` share: generate the files of the target the options name, in memory.
 * TypeScript starts the ts-morph worker before anything heavy is imported, so the two overlap;
 * Python needs neither ts-morph nor prettier.
 */
import type { GenerateResult } from '../pipeline.js';

export async function generateTarget(target: 'typescript' | 'python', spec: string, out: string): Promise<GenerateResult> {
  if (target === 'python') {
    const { generatePython } = await import('../python-pipeline.js');
    return generatePython({ spec, out });
  }
  const { workerRunner } = await import('../ts-morph-runner.js');
  const tsMorph = workerRunner();
  // generate() stops the worker when it is done; if loading fails first, stop it here (it would keep the process alive).
  const { generate } = await import('../pipeline.js').catch(async (error: unknown) => {
    await tsMorph.stop();
    throw error;
  });
  return generate({ spec, out, tsMorph });
}
