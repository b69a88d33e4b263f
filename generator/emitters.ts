/**
 * Stage 4 — emit: the one registry of emitters. Each entry names an emitter, the printer it
 * writes through and the files it produces; a target (TypeScript, Python) is the set of entries
 * that carry its name. `startEmitters()` runs a target's entries: those that need the compiler
 * (ts-morph, the slowest thing to load) in a worker thread started before the spec is checked, the others
 * on the main thread meanwhile; every TypeScript file goes through the format stage. Nothing
 * outside this file knows about the worker. Emitters are loaded on demand, so a thread imports
 * only the emitters it runs.
 */
import type { Project } from 'ts-morph';
import type { GeneratedFile } from './files.js';
import type { ContractModel } from './model.js';
import type { ResolvedTraceRow } from './trace-resolve.js';
import type { TsMorphWorker } from './ts-morph-runner.js';

export type Target = 'typescript' | 'python';

/** What prints an emitter's output. G1: each of these owns the escaping of its context. */
export type PrinterKind =
  /** TypeScript structures through printer.ts (imports owned, names checked, docs escaped, code built by `ts`). */
  | 'ts-morph'
  /** json-schema-to-typescript. */
  | 'json-schema-to-typescript'
  /** Ajv standalone code. */
  | 'ajv'
  /** Handlebars templates, auto-escaped per Markdown context (template-escape.ts). */
  | 'markdown-templates'
  /** Handlebars templates of Python code, through the Python escapers only (python/templates.ts). */
  | 'python-templates'
  /** JSON.stringify of a document built from the model. */
  | 'json'
  /** Hand-written runtime sources, copied with a banner. */
  | 'copy';

/** What every emitter may read besides the model. */
export interface EmitContext {
  /** The docs' trace rows, filled in for this contract (trace-resolve.ts). */
  readonly trace: readonly ResolvedTraceRow[];
}

export type TsMorphEmit = (model: ContractModel, project: Project) => GeneratedFile[];
export type Emit = (model: ContractModel, context: EmitContext) => GeneratedFile[] | Promise<GeneratedFile[]>;

interface EntryBase {
  readonly name: string;
  readonly target: Target;
  /** The files it writes, relative to the output folder (`*` stands for any name). */
  readonly files: readonly string[];
}

export type EmitterEntry =
  | (EntryBase & { readonly printer: 'ts-morph'; load(): Promise<TsMorphEmit> })
  | (EntryBase & { readonly printer: Exclude<PrinterKind, 'ts-morph'>; load(): Promise<Emit> });

/** Every emitter, in the order of their files in a target. */
export const EMITTERS: readonly EmitterEntry[] = [
  { name: 'runtime', target: 'typescript', printer: 'copy', files: ['runtime/**/*.ts'], load: async () => (await import('./emit/runtime.js')).emitRuntime },
  { name: 'types', target: 'typescript', printer: 'json-schema-to-typescript', files: ['types.ts'], load: async () => (await import('./emit/types.js')).emitTypes },
  { name: 'validators-ajv', target: 'typescript', printer: 'ajv', files: ['validators.ajv.ts'], load: async () => (await import('./emit/validators-ajv.js')).emitAjvValidators },
  { name: 'validators', target: 'typescript', printer: 'ts-morph', files: ['validators.ts'], load: async () => (await import('./emit/validators.js')).emitValidators },
  { name: 'contract', target: 'typescript', printer: 'ts-morph', files: ['contract.ts'], load: async () => (await import('./emit/contract.js')).emitContract },
  { name: 'server', target: 'typescript', printer: 'ts-morph', files: ['server.ts'], load: async () => (await import('./emit/server.js')).emitServer },
  { name: 'client', target: 'typescript', printer: 'ts-morph', files: ['client.ts'], load: async () => (await import('./emit/client.js')).emitClient },
  { name: 'docs', target: 'typescript', printer: 'markdown-templates', files: ['docs/*.md'], load: async () => (await import('./emit/docs.js')).emitDocs },
  { name: 'asyncapi', target: 'typescript', printer: 'json', files: ['asyncapi.json'], load: async () => (await import('./emit/asyncapi.js')).emitAsyncApi },
  { name: 'openapi', target: 'typescript', printer: 'json', files: ['openapi.json'], load: async () => (await import('./emit/openapi.js')).emitOpenApi },
  { name: 'python', target: 'python', printer: 'python-templates', files: ['pyproject.toml', '<package>/*.py', '<package>/py.typed'], load: async () => (await import('./emit/python.js')).emitPythonPackage },
  { name: 'python-runtime', target: 'python', printer: 'copy', files: ['<package>/runtime/**'], load: async () => (await import('./emit/python.js')).emitPythonRuntimeOf },
];

/** The entries of one target. */
export function emittersOf(target: Target): EmitterEntry[] {
  return EMITTERS.filter((e) => e.target === target);
}

/**
 * Contracts with at least this many messages print their types (json-schema-to-typescript) in
 * the worker too, from the model it gets before the check starts: there the main thread's check
 * (Ajv compiling every schema) is the longest path and the worker would wait, while for a small
 * contract loading the compiler is the longest path and the worker has no time to spare. (Docs and
 * JSON exports stay on the main thread: the worker also makes Ajv's code lean while the check's
 * rules run.) Measured with bench/profile.mjs (idle time per thread); the output is the same either way.
 */
const TYPES_IN_WORKER_FROM = 50;

/** Where the TypeScript compiler is loaded (the worker, when there is one): ts-morph's emitters, and the types of a large contract. */
export function onCompilerThread(entry: EmitterEntry, model: ContractModel): boolean {
  return entry.printer === 'ts-morph' || (entry.printer === 'json-schema-to-typescript' && model.messages.length >= TYPES_IN_WORKER_FROM);
}

/**
 * The finish stage, on the compiler's thread: Ajv standalone code made lean (emit/validators-ajv.ts)
 * and TypeScript flagged `format` laid out (formatter.ts); other files pass through.
 */
export async function finishFiles(files: readonly GeneratedFile[]): Promise<GeneratedFile[]> {
  const ajv = files.some((f) => f.ajv) ? await import('./emit/validators-ajv.js') : undefined;
  const formatter = files.some((f) => f.format) ? await import('./formatter.js') : undefined;
  return files.map(({ path, content, format, ajv: standalone }) => {
    let text = standalone && ajv ? `${content}${ajv.finishAjvStandalone(standalone)}` : content;
    if (standalone && !text.endsWith('\n')) text += '\n';
    return { path, content: format && formatter ? formatter.layout(text) : text };
  });
}

/** Does a file still need the finish stage? */
export const needsFinish = (files: readonly GeneratedFile[]): boolean => files.some((f) => f.format || f.ajv);

/** Runs a target's compiler-thread entries (the ts-morph ones on one project), in registry order, formatted. */
export async function emitWithCompiler(model: ContractModel, target: Target, context: EmitContext): Promise<GeneratedFile[]> {
  const { createProject } = await import('./printer.js');
  let project: Project | undefined;
  const out: GeneratedFile[] = [];
  for (const entry of emittersOf(target)) {
    if (entry.printer === 'ts-morph') out.push(...(await entry.load())(model, (project ??= createProject())));
    else if (onCompilerThread(entry, model)) out.push(...(await finishFiles(await (await entry.load())(model, context))));
  }
  return out;
}

/** A target's emitters, ready to run: the worker (if any) is already loading ts-morph. */
export interface EmitterRun {
  /**
   * Starts the worker's emitters on a model before the caller has decided to use it (the spec is
   * still being checked); `run` with the same model takes their result. Nothing without a worker.
   * Await it before synchronous work: it resolves once the model is on its way to the worker (a
   * request left in a promise callback would wait for the caller's synchronous check to end).
   */
  prepare(model: ContractModel, context: EmitContext): Promise<void>;
  /**
   * The check has just compiled the prepared model's schemas (and its vocabulary meta-schema
   * passed them): the Ajv emitter prints from that compile now, and its code is made lean on the
   * compiler's thread while the check's lint rules run here; `run` takes the result. Synchronous
   * (it is called from inside the check); nothing without a worker or a prepared model.
   */
  compiled(model: ContractModel, context: EmitContext): void;
  /** Every file of the target, TypeScript formatted, in registry order. */
  run(model: ContractModel, context: EmitContext): Promise<GeneratedFile[]>;
  /** Stops the worker (call once, whatever happened). */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly target: Target;
  /**
   * Print through ts-morph in a worker thread, so loading the TypeScript compiler overlaps with
   * checking. Default: when running compiled JavaScript; from TypeScript sources (tests)
   * everything runs inline. The output is the same either way.
   */
  readonly worker?: boolean | undefined;
}

/** Starts a target's emitters; call first thing, so the worker loads while the spec is checked. */
export function startEmitters(options: StartOptions): EmitterRun {
  const entries = emittersOf(options.target);
  const needsCompiler = entries.some((e) => e.printer === 'ts-morph');
  const inWorker = needsCompiler && (options.worker ?? import.meta.url.endsWith('.js'));
  const worker = inWorker ? import('./ts-morph-runner.js').then((m) => m.workerRunner()) : undefined;
  let prepared: { readonly model: ContractModel; readonly files: Promise<GeneratedFile[]> } | undefined;
  // What compiled() needs synchronously: the started worker and the Ajv emitters, loaded by prepare().
  let ready: { readonly worker: TsMorphWorker; readonly ajv: readonly { readonly entry: EmitterEntry; readonly emit: Emit }[] } | undefined;
  let early: { readonly model: ContractModel; readonly files: ReadonlyMap<string, Promise<GeneratedFile[]>> } | undefined;
  return {
    async prepare(model, context) {
      // A worker that failed to start is reported by run(), after the check has had its say.
      const w = await worker?.catch(() => undefined);
      if (!w) return;
      prepared = { model, files: handled(w.emit(model, options.target, context)) };
      const ajv: { entry: EmitterEntry; emit: Emit }[] = [];
      for (const entry of entries) if (entry.printer === 'ajv') ajv.push({ entry, emit: await entry.load() });
      ready = { worker: w, ajv };
    },
    compiled(model, context) {
      if (!ready || prepared?.model !== model) return;
      const files = new Map<string, Promise<GeneratedFile[]>>();
      for (const { entry, emit } of ready.ajv) {
        let printed: ReturnType<Emit>;
        try {
          printed = emit(model, context);
        } catch {
          continue; // run() prints it again and reports why, once the check has had its say
        }
        if (Array.isArray(printed)) files.set(entry.name, handled(ready.worker.finish(printed)));
      }
      early = { model, files };
    },
    async run(model, context) {
      // The worker prints (and formats) its files while the main-thread emitters run here.
      const started = prepared?.model === model ? prepared.files : undefined;
      const finishing = early?.model === model ? early.files : undefined;
      prepared = undefined;
      early = undefined;
      const printed = handled(
        started ?? (needsCompiler ? (worker ? (await worker).emit(model, options.target, context) : emitWithCompiler(model, options.target, context)) : Promise.resolve([])),
      );
      // Each main-thread emitter's files go to the compiler's thread to be finished as soon as they are printed.
      const finish = async (files: GeneratedFile[]): Promise<GeneratedFile[]> => (worker ? (await worker).finish(files) : finishFiles(files));
      const local: Promise<GeneratedFile[]>[] = [];
      for (const entry of entries) {
        if (entry.printer === 'ts-morph' || (needsCompiler && onCompilerThread(entry, model))) continue;
        local.push(finishing?.get(entry.name) ?? handled(finish(await (await entry.load())(model, context))));
      }
      // Settled together, so a failure in one does not leave the others' rejections unhandled.
      const [mine, theirs] = await Promise.all([Promise.all(local), printed]);
      const all = [...mine.flat(), ...theirs];
      const seen = new Set<string>();
      for (const f of all) {
        if (seen.has(f.path)) throw new Error(`two emitters produced ${f.path}`);
        seen.add(f.path);
      }
      return all;
    },
    async stop() {
      if (worker) await (await worker).stop();
    },
  };
}

/** `promise`, marked handled: if an emitter throws first, its rejection is not reported as unhandled (it is awaited later). */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}
