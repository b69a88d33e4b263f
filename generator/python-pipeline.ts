/**
 * The Python target (`--target python`): the pipeline of pipeline.ts with the registry's Python
 * emitters (emitters.ts). Kept as its own entry point for callers that build only Python.
 */
import { generate, type GenerateResult } from './pipeline.js';

export function generatePython(options: { readonly spec: string; readonly out: string }): Promise<GenerateResult> {
  return generate({ ...options, target: 'python' });
}
