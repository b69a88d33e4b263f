/**
 * Imported first by a thread's entry module: turns the code cache (compile-cache.ts) on before the
 * modules after it load their CommonJS packages (ES imports evaluate in order). A worker learns
 * the flags its process set from the thread that started it (ts-morph-runner.ts).
 */
import { isMainThread, workerData } from 'node:worker_threads';
import { enableCompileCache } from './compile-cache.js';
import { v8FlagsSet } from './v8-tuning.js';

const flags: readonly string[] = isMainThread ? v8FlagsSet() : ((workerData as { v8Flags?: string[] } | null)?.v8Flags ?? []);

export const compileCache = enableCompileCache(process.env, flags);
