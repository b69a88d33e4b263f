/**
 * The worker thread behind the emitter registry (emitters.ts): it loads ts-morph while the main
 * thread checks the spec, then prints a target's ts-morph emitters. Only emitters.ts uses this.
 */
import { Worker } from 'node:worker_threads';
import type { Target } from './emitters.js';
import type { GeneratedFile } from './files.js';
import type { ContractModel } from './model.js';
import type { WorkerReply, WorkerRequest } from './ts-morph-worker.js';

export interface TsMorphWorker {
  /** The printed files; those the worker had not formatted when `steal()` came keep their `format` flag. */
  emit(model: ContractModel, target: Target): Promise<GeneratedFile[]>;
  /** The caller is free to format: the worker replies now with what it has. */
  steal(): void;
  stop(): Promise<void>;
}

export function workerRunner(): TsMorphWorker {
  const worker = new Worker(new URL('./ts-morph-worker.js', import.meta.url));
  let failure: Error | undefined;
  worker.on('error', (err) => (failure = err));
  return {
    emit: (model, target) =>
      new Promise((resolvePromise, reject) => {
        if (failure) return reject(failure);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`the ts-morph worker exited early (code ${code})`)));
        worker.once('message', (reply: WorkerReply) => {
          if (reply.ok) resolvePromise(reply.files);
          else reject(Object.assign(new Error(reply.message), { stack: reply.stack }));
        });
        worker.postMessage({ kind: 'emit', model, target } satisfies WorkerRequest);
      }),
    steal: () => worker.postMessage({ kind: 'steal' } satisfies WorkerRequest),
    async stop() {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}
