/**
 * Runs the ts-morph emitters inline or in a worker thread. A tiny module on purpose: `build` and
 * `check` start the worker before loading anything else, so ts-morph loads while the main thread
 * imports and checks.
 */
import { Worker } from 'node:worker_threads';
import type { GeneratedFile } from './files.js';
import type { ContractModel } from './model.js';
import type { WorkerReply, WorkerRequest } from './ts-morph-worker.js';

/** Runs the ts-morph emitters: inline, or in a worker thread started before the spec is checked. */
export interface TsMorphRunner {
  emit(model: ContractModel): Promise<GeneratedFile[]>;
  stop(): Promise<void>;
}

export function inlineRunner(): TsMorphRunner {
  return {
    async emit(model) {
      const { emitWithTsMorph } = await import('./emitters.js');
      return emitWithTsMorph(model);
    },
    async stop() {},
  };
}

export function workerRunner(): TsMorphRunner {
  const worker = new Worker(new URL('./ts-morph-worker.js', import.meta.url));
  let failure: Error | undefined;
  worker.on('error', (err) => (failure = err));
  return {
    emit: (model) =>
      new Promise((resolvePromise, reject) => {
        if (failure) return reject(failure);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`the ts-morph worker exited early (code ${code})`)));
        worker.once('message', (reply: WorkerReply) => {
          if (reply.ok) resolvePromise(reply.files);
          else reject(Object.assign(new Error(reply.message), { stack: reply.stack }));
        });
        worker.postMessage({ model } satisfies WorkerRequest);
      }),
    async stop() {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}
