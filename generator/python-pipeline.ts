/**
 * The pipeline of the Python target: load → check → model → emit (generator/emit/python.ts).
 * The same stages and model as the TypeScript pipeline; no ts-morph, no prettier. `build` writes
 * the files and `check` compares them, from this one code path.
 */
import { check } from './checker.js';
import { ContractError, hasErrors } from './diagnostics.js';
import { emitPython } from './emit/python.js';
import { load } from './loader.js';
import { manifestFile } from './manifest.js';
import { buildModel } from './model.js';
import { specLabel, type GenerateResult } from './pipeline.js';

export async function generatePython(options: { readonly spec: string; readonly out: string }): Promise<GenerateResult> {
  const spec = load(options.spec);
  const findings = check(spec);
  if (hasErrors(findings)) throw new ContractError(findings);
  const model = buildModel(spec, specLabel(options.spec, options.out));
  const emitted = emitPython(model);
  // G3: the manifest says what this build owns, as for the TypeScript target.
  const files = [...emitted, manifestFile(model, emitted)].sort((a, b) => a.path.localeCompare(b.path));
  return { model, files, findings };
}
