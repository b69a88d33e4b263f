/**
 * The worker thread behind the emitter registry (emitters.ts): it loads ts-morph while the main
 * thread checks the spec, then prints a target's compiler-thread emitters and finishes the files
 * the main thread printed (Ajv's code made lean, TypeScript formatted). Only emitters.ts uses this.
 */
import { Worker } from 'node:worker_threads';
import { needsFinish, type EmitContext, type Target } from './emitters.js';
import type { GeneratedFile } from './files.js';
import type { ContractModel } from './model.js';
import type { WorkerReply, WorkerRequest } from './ts-morph-worker.js';
import { v8FlagsSet } from './v8-tuning.js';

export interface TsMorphWorker {
  /** The printed (and formatted) files of the target's compiler-thread emitters (emitters.ts). */
  emit(model: ContractModel, target: Target, context: EmitContext): Promise<GeneratedFile[]>;
  /** `files` through the finish stage (emitters.ts `finishFiles`). */
  finish(files: readonly GeneratedFile[]): Promise<GeneratedFile[]>;
  stop(): Promise<void>;
}

type Pending = { resolve(files: GeneratedFile[]): void; reject(err: Error): void };

export function workerRunner(): TsMorphWorker {
  // The flags the command line set (v8-tuning.ts) key the worker's code cache as the main thread's.
  const worker = new Worker(new URL('./ts-morph-worker.js', import.meta.url), { workerData: { v8Flags: [...v8FlagsSet()] } });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let failure: Error | undefined;
  const failAll = (err: Error) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  worker.on('error', failAll);
  worker.on('exit', (code) => failAll(new Error(`the ts-morph worker exited early (code ${code})`)));
  worker.on('message', (reply: WorkerReply) => {
    const p = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.ok) p?.resolve(reply.files);
    else p?.reject(Object.assign(new Error(reply.message), { stack: reply.stack }));
  });
  // Distributive: each request kind keeps its own fields.
  type Body = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;
  const request = (body: Body) =>
    new Promise<GeneratedFile[]>((resolve, reject) => {
      if (failure) return reject(failure);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      worker.postMessage({ ...body, id } as WorkerRequest);
    });
  return {
    emit: (model, target, context) => request({ kind: 'emit', model, target, context }),
    finish: (files) => (needsFinish(files) ? request({ kind: 'finish', files }) : Promise.resolve(files.map(({ path, content }) => ({ path, content })))),
    async stop() {
      await request({ kind: 'flush' }).catch(() => undefined); // a failed worker has nothing worth keeping
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}
