/**
 * Worker thread: loads ts-morph while the main thread checks the spec, then runs the ts-morph
 * emitters on the model it receives. Output is identical to running them inline (the golden
 * tests do that).
 */
import { parentPort } from 'node:worker_threads';
import { emitWithTsMorph } from './emitters.js';
import type { GeneratedFile } from './files.js';
import type { ContractModel } from './model.js';

export type WorkerReply = { readonly ok: true; readonly files: GeneratedFile[] } | { readonly ok: false; readonly message: string; readonly stack?: string };

const port = parentPort;
if (!port) throw new Error('ts-morph-worker must run in a worker thread');

export interface WorkerRequest {
  readonly model: ContractModel;
}

port.on('message', ({ model }: WorkerRequest) => {
  try {
    port.postMessage({ ok: true, files: emitWithTsMorph(model) } satisfies WorkerReply);
  } catch (err) {
    port.postMessage({ ok: false, message: (err as Error).message, stack: (err as Error).stack } satisfies WorkerReply);
  }
});
