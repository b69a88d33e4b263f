/**
 * The programmatic API (the package's main export): `build`, `check`, `lint` and `diff` as
 * functions with typed results, the same code paths as the commands. A contract with errors is a
 * result (`ok: false` with its findings), not an exception; a wrong setting throws ConfigError,
 * an unreadable diff side resolves to `ok: false` with findings as well.
 *
 *   import { build } from 'contractgen';
 *   const result = await build();            // the settings of contractgen.config.json, else the defaults
 *   if (!result.ok) console.error(result.findings);
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { CONFIG_FILE, resolveProject, type ProjectConfig } from './config.js';
import { ContractError, hasErrors, type Finding } from './diagnostics.js';
import type { DiffResult, FailOn } from './diff/contract-diff.js';
import type { EmitterRun, Target } from './emitters.js';
import type { Watcher } from './watch.js';
import type { Drift, WriteReport } from './writer.js';

export type { Finding, Severity } from './diagnostics.js';
export type { Drift, WriteReport } from './writer.js';
export type { Watcher } from './watch.js';
export type { Change, ChangeKind, Bump, Direction } from './diff/change.js';
export type { DiffResult, FailOn } from './diff/contract-diff.js';
export type { VersionCheck } from './diff/version-check.js';
export { ConfigError, CONFIG_FILE, TARGET_LANGUAGES, loadConfig, type ProjectConfig, type TargetConfig } from './config.js';
export { CURRENT_KERNEL, KERNEL_URL, kernelRef } from './kernel.js';

export interface ProjectOptions {
  /** The contract (default: the settings file's `spec`, else spec/protocol.schema.json). */
  readonly spec?: string;
  /** Where settings are looked up and relative paths start (default: process.cwd()). */
  readonly cwd?: string;
}

export interface OutputOptions extends ProjectOptions {
  /** One language only (default: every target of the settings). */
  readonly target?: string;
  /** The output folder of `target`, or of the TypeScript target (default: the settings', else generated / generated-py). */
  readonly out?: string;
}

/** What one target of a build or check produced. */
export interface TargetResult {
  readonly language: string;
  /** The output folder, relative to cwd. */
  readonly out: string;
  /** Paths inside `out`, sorted. */
  readonly files: readonly string[];
}

export type BuildResult =
  | ({ readonly ok: true; readonly spec: string; readonly targets: readonly (TargetResult & WriteReport)[]; readonly findings: readonly Finding[] })
  | { readonly ok: false; readonly spec: string; readonly findings: readonly Finding[]; /** `output-in-the-way` (G3): files build does not own stand where it writes; nothing was written. */ readonly reason: 'contract' | 'output-in-the-way' };

export type CheckResult =
  | { readonly ok: boolean; readonly spec: string; readonly targets: readonly (TargetResult & { readonly drift: readonly Drift[] })[]; readonly findings: readonly Finding[] }
  | { readonly ok: false; readonly spec: string; readonly targets?: undefined; readonly findings: readonly Finding[] };

export interface LintResult {
  /** No errors (no findings at all with `strict`). */
  readonly ok: boolean;
  readonly spec: string;
  /** Errors first, then by position. */
  readonly findings: readonly Finding[];
}

export type DiffOutcome = ({ readonly ok: true; readonly failed: boolean } & DiffResult) | { readonly ok: false; readonly findings: readonly Finding[] };

/** A path of the project as this process names it (findings and banners show it as given, relative). */
function fromHere(cwd: string, path: string): string {
  return isAbsolute(path) ? path : relative(process.cwd(), resolve(cwd, path)) || '.';
}

function project(options: OutputOptions): { config: ProjectConfig; cwd: string } {
  const cwd = resolve(options.cwd ?? process.cwd());
  return { config: resolveProject({ spec: options.spec, out: options.out, target: options.target }, cwd), cwd };
}

/**
 * Where a build gets its emitters. A single build starts them and stops them when it is done; a
 * watch session (watch.ts) keeps one set per target alive between builds, warm.
 */
interface EmitterSource {
  emitters(target: Target): EmitterRun;
}

/** Generates every target in memory; contract errors come back as findings. */
async function generateAll(config: ProjectConfig, cwd: string, source?: EmitterSource) {
  const { startEmitters } = await import('./emitters.js');
  const start = (target: Target): EmitterRun => source?.emitters(target) ?? startEmitters({ target });
  // The first target's emitters start before the pipeline is imported, so loading the compiler overlaps with the rest.
  let early = config.targets[0] ? start(config.targets[0].language) : undefined;
  const { generate } = await import('./pipeline.js').catch(async (error: unknown) => {
    await early?.stop(); // a worker would keep the process alive
    throw error;
  });
  const outputs: { target: ProjectConfig['targets'][number]; dir: string; specLabel: string; files: Awaited<ReturnType<typeof generate>>['files'] }[] = [];
  let findings: readonly Finding[] = [];
  for (const target of config.targets) {
    const dir = fromHere(cwd, target.out);
    const spec = fromHere(cwd, config.spec);
    try {
      // generate() stops the emitters it is given.
      const emitters = early ?? start(target.language);
      early = undefined;
      const result = await generate({ spec, out: dir, target: target.language, emitters });
      findings = result.findings;
      outputs.push({ target, dir, specLabel: result.model.specLabel, files: result.files });
    } catch (error) {
      // An OutputCheckError (the generated output failed its own checks) is contractgen's problem, not the spec's: it stays an exception.
      if (error instanceof ContractError && error.name !== 'OutputCheckError') return { ok: false as const, findings: error.findings };
      throw error;
    }
  }
  return { ok: true as const, outputs, findings };
}

/** `contractgen build`: check the spec, then write each target's files. */
export async function build(options: OutputOptions = {}): Promise<BuildResult> {
  const { config, cwd } = project(options);
  return buildProject(config, cwd);
}

async function buildProject(config: ProjectConfig, cwd: string, source?: EmitterSource): Promise<BuildResult> {
  const { conflictsOf, writeFiles } = await import('./writer.js');
  const generated = await generateAll(config, cwd, source);
  if (!generated.ok) return { ok: false, spec: config.spec, findings: generated.findings, reason: 'contract' };
  // G3: a file in the way of any target stops the build before anything is written.
  const conflicts = generated.outputs.flatMap((o) => conflictsOf(o.dir, o.files, o.specLabel));
  if (conflicts.length > 0) return { ok: false, spec: config.spec, findings: conflicts, reason: 'output-in-the-way' };
  const targets = generated.outputs.map((o) => ({ language: o.target.language, out: o.target.out, files: o.files.map((f) => f.path), ...writeFiles(o.dir, o.files, o.specLabel) }));
  return { ok: true, spec: config.spec, targets, findings: generated.findings };
}

export interface WatchOptions extends OutputOptions {
  /** Called after every build (the first one too), with its result and how long it took. */
  readonly onBuild?: (result: BuildResult, ms: number) => void;
  /** Called when a build threw (a bug, or an unwritable folder); the watcher keeps going. */
  readonly onError?: (error: unknown) => void;
}

/**
 * `contractgen build --watch`: builds, then builds again whenever the spec file or the settings
 * file changes, until `close()`; a settings change is read again (another spec, other targets),
 * and settings that are wrong are reported through `onError` (a ConfigError) while the watch goes
 * on with the last good ones. Between builds it keeps what does not depend on the change: the loaded modules, each
 * target's emitters (the ts-morph worker stays up), the compiled Ajv schemas and their standalone
 * code while only documentation changed. Output is byte-identical to a cold build's (tests/watch.test.ts).
 */
export async function watch(options: WatchOptions = {}): Promise<Watcher> {
  const first = project(options);
  const cwd = first.cwd;
  let config = first.config;
  const [{ startEmitters }, { watchFiles }] = await Promise.all([import('./emitters.js'), import('./watch.js')]);
  const running = new Map<Target, EmitterRun>();
  const source: EmitterSource = {
    emitters(target) {
      let run = running.get(target);
      if (!run) running.set(target, (run = startEmitters({ target })));
      const kept = run;
      return { prepare: (model, context) => kept.prepare(model, context), compiled: (model, context) => kept.compiled(model, context), run: (model, context) => kept.run(model, context), stop: async () => {} };
    },
  };
  return watchFiles({
    // Without a settings file, one created in the working directory counts.
    files: () => [resolve(cwd, config.spec), resolve(cwd, config.source ?? CONFIG_FILE)],
    async build() {
      const started = performance.now();
      config = project(options).config; // throws a ConfigError: reported, and the last good settings stay
      const result = await buildProject(config, cwd, source);
      options.onBuild?.(result, performance.now() - started);
    },
    onError: (error) => options.onError?.(error),
    async onClose() {
      await Promise.all([...running.values()].map((r) => r.stop()));
    },
  });
}

/** `contractgen check`: build in memory and compare with each target's folder; `ok` when nothing drifted. */
export async function check(options: OutputOptions = {}): Promise<CheckResult> {
  const { config, cwd } = project(options);
  const { compareFiles } = await import('./writer.js');
  const generated = await generateAll(config, cwd);
  if (!generated.ok) return { ok: false, spec: config.spec, findings: generated.findings };
  const targets = generated.outputs.map((o) => ({ language: o.target.language, out: o.target.out, files: o.files.map((f) => f.path), drift: compareFiles(o.dir, o.files, o.specLabel) }));
  return { ok: targets.every((t) => t.drift.length === 0), spec: config.spec, targets, findings: generated.findings };
}

/** `contractgen lint`: every finding of the spec, in one run. */
export async function lint(options: ProjectOptions & { readonly strict?: boolean } = {}): Promise<LintResult> {
  const { config, cwd } = project(options);
  const [{ check: checkSpec }, { load }] = await Promise.all([import('./checker.js'), import('./loader.js')]);
  let findings: readonly Finding[];
  try {
    findings = checkSpec(load(fromHere(cwd, config.spec)));
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    findings = error.findings; // unreadable file or JSON syntax error
  }
  return { ok: options.strict ? findings.length === 0 : !hasErrors(findings), spec: config.spec, findings };
}

/**
 * `contractgen diff`: every change between two contracts (files, or `git:REF:path` read in cwd),
 * classified, with the recommended bump. `failed` says whether `failOn` is met.
 */
export async function diff(oldSource: string, newSource: string, options: { readonly failOn?: FailOn; readonly cwd?: string } = {}): Promise<DiffOutcome> {
  const [{ readSource }, { diffContracts, fails }] = await Promise.all([import('./diff/source.js'), import('./diff/contract-diff.js')]);
  const cwd = resolve(options.cwd ?? process.cwd());
  const read = (source: string) => readSource(options.cwd !== undefined && !source.startsWith('git:') ? resolve(cwd, source) : source, cwd);
  try {
    const result = diffContracts(read(oldSource), read(newSource));
    return { ok: true, failed: options.failOn !== undefined && fails(result, options.failOn), ...result };
  } catch (error) {
    if (error instanceof ContractError) return { ok: false, findings: error.findings };
    throw error;
  }
}
