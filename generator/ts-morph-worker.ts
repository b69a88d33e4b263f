/**
 * Worker thread: loads ts-morph and prettier while the main thread checks the spec, then runs a
 * target's ts-morph emitters on the model it receives and formats what they print, one file at a
 * time, until the main thread, done with its own files, asks for the rest (`steal`): whichever
 * thread is free formats. Output is identical to running them inline (the golden tests do that).
 */
import { parentPort } from 'node:worker_threads';
import { EMITTERS, emitWithTsMorph, type Target } from './emitters.js';
import type { GeneratedFile } from './files.js';
import { formatFiles, loadPrettier } from './formatter.js';
import type { ContractModel } from './model.js';
import './ts-morph.js';

export type WorkerReply = { readonly ok: true; readonly files: GeneratedFile[] } | { readonly ok: false; readonly message: string; readonly stack?: string };

export type WorkerRequest =
  | { readonly kind: 'emit'; readonly model: ContractModel; readonly target: Target }
  /** The main thread is free: reply now, with the files not formatted yet still flagged `format`. */
  | { readonly kind: 'steal' };

// Load the compiler, the printer, the ts-morph emitters and prettier now, while the main thread checks the spec.
void import('./printer.js');
for (const e of EMITTERS) if (e.printer === 'ts-morph') void e.load();
void loadPrettier();

const port = parentPort;
if (!port) throw new Error('ts-morph-worker must run in a worker thread');

let stolen = false;

async function emitAndFormat(model: ContractModel, target: Target): Promise<GeneratedFile[]> {
  const printed = await emitWithTsMorph(model, target);
  const done: GeneratedFile[] = [];
  for (const [i, file] of printed.entries()) {
    await new Promise(setImmediate); // lets a steal request in
    if (stolen) return [...done, ...printed.slice(i)];
    done.push(...(await formatFiles([file])));
  }
  return done;
}

port.on('message', (request: WorkerRequest) => {
  if (request.kind === 'steal') {
    stolen = true;
    return;
  }
  stolen = false; // a steal that came after the last reply is not for this request
  emitAndFormat(request.model, request.target).then(
    (files) => port.postMessage({ ok: true, files } satisfies WorkerReply),
    (err: unknown) => port.postMessage({ ok: false, message: (err as Error).message, stack: (err as Error).stack } satisfies WorkerReply),
  );
});
