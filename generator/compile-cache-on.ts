/**
 * Imported first by a thread's entry module: turns the code cache (compile-cache.ts) on before the
 * modules after it load their CommonJS packages (ES imports evaluate in order).
 */
import { enableCompileCache } from './compile-cache.js';

export const compileCache = enableCompileCache();
