/**
 * The pipeline: load → check → model → emit (and format) → verify → manifest, for one target.
 * `generate` returns the files in memory, so `build` writes them and `check` compares them, from
 * one code path.
 */
import { dirname, relative, resolve, sep } from 'node:path';
import { check } from './checker.js';
import { ContractError, hasErrors, type Finding } from './diagnostics.js';
import { startEmitters, type EmitterRun, type Target } from './emitters.js';
import type { GeneratedFile } from './files.js';
import { load } from './loader.js';
import { manifestFile } from './manifest.js';
import { buildModel, type ContractModel } from './model.js';
import { resolveTrace, type ResolvedTraceRow } from './trace-resolve.js';
import { TRACE, type TraceRow } from './trace.js';
import { verify } from './verify.js';

export interface GenerateOptions {
  /** Path of the spec file. */
  readonly spec: string;
  /** Output directory (only used to label the spec path in banners, and to type-check). */
  readonly out: string;
  /** Which target's emitters run (default TypeScript). */
  readonly target?: Target | undefined;
  /** Print through ts-morph in a worker thread (see emitters.ts; default: when running compiled JavaScript). */
  readonly worker?: boolean | undefined;
  /** The target's emitters, started earlier by the caller (the CLI starts them first thing); generate() stops them. */
  readonly emitters?: EmitterRun | undefined;
  /** The trace table of the docs (default: generator/trace.ts); every row is checked against the output. */
  readonly trace?: readonly TraceRow[] | undefined;
  /** Verify that the generated TypeScript compiles (verify.ts `typecheck`; default off). */
  readonly typecheck?: boolean | undefined;
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
  const target = options.target ?? 'typescript';
  // Started first: a worker loads ts-morph while this thread loads and checks the spec.
  const emitters = options.emitters ?? startEmitters({ target, worker: options.worker });
  try {
    const spec = load(options.spec);
    const label = specLabel(options.spec, options.out);
    const traceOf = (model: ContractModel) => (target === 'typescript' ? resolveTrace(model, options.trace ?? TRACE) : []);
    // The model is built before the check's verdict, so the worker prints while this thread
    // checks; a spec the check refuses throws its findings, whatever the model did.
    const early = modelBeforeCheck(() => buildModel(spec, label), traceOf);
    if (early) await emitters.prepare(early.model, { trace: early.trace });
    // Once the schemas are compiled, the validators are made while the check's rules run.
    const findings = check(spec, early ? { afterCompile: (checked) => checked && emitters.compiled(early.model, { trace: early.trace }) } : {});
    if (hasErrors(findings)) throw new ContractError(findings);
    const model = early?.model ?? buildModel(spec, label);
    const trace = early?.trace ?? traceOf(model);
    const files = await emitters.run(model, { trace });
    await verify(files, { trace, typecheck: options.typecheck ? { out: options.out } : undefined });
    // G3: the list of what this build owns, generated (and checked) like every other file.
    files.push(manifestFile(model, files));
    return { model, files: files.sort((a, b) => a.path.localeCompare(b.path)), findings };
  } finally {
    await emitters.stop();
  }
}

/** The model and its trace, or undefined if an unchecked spec makes either throw (the check will say why). */
function modelBeforeCheck(build: () => ContractModel, traceOf: (model: ContractModel) => ResolvedTraceRow[]): { model: ContractModel; trace: ResolvedTraceRow[] } | undefined {
  try {
    const model = build();
    return { model, trace: traceOf(model) };
  } catch {
    return undefined;
  }
}
