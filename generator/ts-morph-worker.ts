/**
 * Worker thread: loads ts-morph while the main thread checks the spec, then runs a target's
 * compiler-thread emitters (ts-morph's, and a large contract's types: emitters.ts) on the model
 * it receives, formatted, and finishes the files the main thread sends (Ajv's code made lean,
 * TypeScript formatted), so the main thread never loads the compiler. Requests carry an id; replies name it. Output is identical to running them
 * inline (the golden tests do that).
 */
import { compileCache } from './compile-cache-on.js';
import { parentPort } from 'node:worker_threads';
import { EMITTERS, emitWithCompiler, finishFiles, type EmitContext, type Target } from './emitters.js';
import type { GeneratedFile } from './files.js';
import type { ContractModel } from './model.js';
import './ts-morph.js';

export type WorkerReply = { readonly id: number } & ({ readonly ok: true; readonly files: GeneratedFile[] } | { readonly ok: false; readonly message: string; readonly stack?: string });

export type WorkerRequest =
  | { readonly id: number; readonly kind: 'emit'; readonly model: ContractModel; readonly target: Target; readonly context: EmitContext }
  /** The finish stage (emitters.ts `finishFiles`): Ajv's code made lean, TypeScript formatted. */
  | { readonly id: number; readonly kind: 'finish'; readonly files: readonly GeneratedFile[] }
  /** Before the worker ends: store the code cache of what it compiled without one (compile-cache.ts). */
  | { readonly id: number; readonly kind: 'flush' };

// Load the compiler, the printer, the formatter and the ts-morph emitters now, while the main thread checks the spec.
void import('./printer.js');
void import('./formatter.js');
void import('./emit/validators-ajv.js');
for (const e of EMITTERS) if (e.printer === 'ts-morph') void e.load();

const port = parentPort;
if (!port) throw new Error('ts-morph-worker must run in a worker thread');

async function handle(request: WorkerRequest): Promise<GeneratedFile[]> {
  if (request.kind === 'emit') return emitWithCompiler(request.model, request.target, request.context);
  if (request.kind === 'flush') {
    compileCache.flush();
    return [];
  }
  return finishFiles(request.files);
}

port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (files) => port.postMessage({ id: request.id, ok: true, files } satisfies WorkerReply),
    (err: unknown) => port.postMessage({ id: request.id, ok: false, message: (err as Error).message, stack: (err as Error).stack } satisfies WorkerReply),
  );
});
