/**
 * The pipeline: load → check → model → emit → format → (write). `generate` returns the files in
 * memory, so `build` writes them and `check` compares them, from one code path.
 */
import { dirname, relative, resolve, sep } from 'node:path';
import { check } from './checker.js';
import { ContractError, hasErrors, type Finding } from './diagnostics.js';
import { emitAsyncApi } from './emit/asyncapi.js';
import { emitDocs } from './emit/docs.js';
import { emitOpenApi } from './emit/openapi.js';
import { emitRuntime } from './emit/runtime.js';
import { emitAjvValidators } from './emit/validators-ajv.js';
import { OutputCheckError, type GeneratedFile } from './files.js';
import { load } from './loader.js';
import { manifestFile } from './manifest.js';
import { buildModel, type ContractModel } from './model.js';
import { emitTypes } from './emit/types.js';
import { formatFiles } from './formatter.js';
import { checkTrace, resolveTrace, TRACE, type TraceRow } from './trace.js';
import { inlineRunner, workerRunner, type TsMorphRunner } from './ts-morph-runner.js';

export interface GenerateOptions {
  /** Path of the spec file. */
  readonly spec: string;
  /** Output directory (only used to label the spec path in banners). */
  readonly out: string;
  /**
   * Run the ts-morph emitters in a worker thread, so loading the TypeScript compiler overlaps
   * with checking. Default: when running compiled JavaScript; from
   * TypeScript sources (tests) everything runs inline. The output is the same either way.
   */
  readonly worker?: boolean;
  /** A runner started earlier by the caller (the CLI starts the worker first thing). */
  readonly tsMorph?: TsMorphRunner;
  /** The trace table of the docs (default: generator/trace.ts); every row is checked against the output. */
  readonly trace?: readonly TraceRow[];
}

export interface GenerateResult {
  readonly model: ContractModel;
  readonly files: readonly GeneratedFile[];
  /** Warnings (errors throw a ContractError). */
  readonly findings: readonly Finding[];
}

/** Spec path relative to the folder that holds the output folder: stable across machines and cwd. */
export function specLabel(spec: string, out: string): string {
  return relative(dirname(resolve(out)), resolve(spec)).split(sep).join('/');
}

export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  // Started first: the worker loads ts-morph while this thread loads and checks the spec.
  const tsMorph = options.tsMorph ?? ((options.worker ?? import.meta.url.endsWith('.js')) ? workerRunner() : inlineRunner());
  try {
    const spec = load(options.spec);
    const findings = check(spec);
    if (hasErrors(findings)) throw new ContractError(findings);
    const model = buildModel(spec, specLabel(options.spec, options.out));

    const printed = tsMorph.emit(model);
    // The main-thread emitters run, and their TypeScript is formatted, while the worker prints.
    const trace = resolveTrace(model, options.trace ?? TRACE);
    const local = formatFiles([...emitRuntime(), ...(await emitTypes(model)), ...emitAjvValidators(model), ...(await emitDocs(model, trace)), ...emitAsyncApi(model), ...emitOpenApi(model)]);
    const files = [...(await local), ...(await formatFiles(await printed))];
    // The docs name the code that enforces each rule: it must exist in what this build generates.
    const broken = checkTrace(trace, files);
    if (broken.length > 0) throw new OutputCheckError(broken);

    const seen = new Set<string>();
    for (const f of files) {
      if (seen.has(f.path)) throw new Error(`two emitters produced ${f.path}`);
      seen.add(f.path);
    }
    // G3: the list of what this build owns, generated (and checked) like every other file.
    files.push(manifestFile(model, files));
    return { model, files: files.sort((a, b) => a.path.localeCompare(b.path)), findings };
  } finally {
    await tsMorph.stop();
  }
}
