/**
 * Worker thread: loads ts-morph and prettier while the main thread checks the spec, then runs a
 * target's ts-morph emitters on the model it receives and formats what they print. Output is identical to running them inline (the
 * golden tests do that).
 */
import { parentPort } from 'node:worker_threads';
import { EMITTERS, emitWithTsMorph, type Target } from './emitters.js';
import type { GeneratedFile } from './files.js';
import { formatFiles, loadPrettier } from './formatter.js';
import type { ContractModel } from './model.js';
import './ts-morph.js';

export type WorkerReply = { readonly ok: true; readonly files: GeneratedFile[] } | { readonly ok: false; readonly message: string; readonly stack?: string };

export interface WorkerRequest {
  readonly model: ContractModel;
  readonly target: Target;
}

// Load the compiler, the printer, the ts-morph emitters and prettier now, while the main thread checks the spec.
void import('./printer.js');
for (const e of EMITTERS) if (e.printer === 'ts-morph') void e.load();
void loadPrettier();

const port = parentPort;
if (!port) throw new Error('ts-morph-worker must run in a worker thread');

port.on('message', ({ model, target }: WorkerRequest) => {
  // Formatted here too: the main thread formats its own files meanwhile.
  emitWithTsMorph(model, target)
    .then(formatFiles)
    .then(
      (files) => port.postMessage({ ok: true, files } satisfies WorkerReply),
      (err: unknown) => port.postMessage({ ok: false, message: (err as Error).message, stack: (err as Error).stack } satisfies WorkerReply),
    );
});
