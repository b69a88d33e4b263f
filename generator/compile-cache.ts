/**
 * A V8 code cache for the large CommonJS packages a build loads, so that V8 does not parse them
 * again on every run: TypeScript alone is 9 MB of source, and loading it with ts-morph took about
 * 250 of the 212-message build's worker's 1 150 ms. Node ≥ 22.1 has this built in
 * (`module.enableCompileCache`), which is used where it exists; Node 20 has not, so there a hook
 * on the CommonJS loader compiles such a module with its cached data (`vm.Script`), and
 * `flush()` stores the data of the modules that had none once they have run (their lazily
 * compiled functions are then part of it; data produced at compile time helps half as much).
 *
 * Why not the `v8-compile-cache` package: it stores compile-time data only, saves on process
 * exit (a terminated worker never gets there) and keeps its cache in a shared temporary folder
 * without checking who owns it. Code loaded from a cache is code run, so here the folder must be
 * a real directory owned by the user and writable by no one else, and every entry names the
 * SHA-256 of the source it was made from (V8 itself checks only the source's length). Anything
 * unexpected turns the cache off or skips the entry: it is only ever a shortcut, never a source.
 *
 * Only the command line and the build's worker use it (bin/contractgen.js, ts-morph-worker.ts);
 * the library API never patches a caller's loader.
 * `CONTRACTGEN_COMPILE_CACHE=off` turns it off; `CONTRACTGEN_COMPILE_CACHE=<dir>` moves it.
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import vm from 'node:vm';
import { initSync, parse } from 'es-module-lexer';

/** Modules smaller than this compile in well under a millisecond: not worth a file read. */
export const MIN_CACHED_CHARS = 32 * 1024;
const MAGIC = 'contractgen-code-cache-1\n';
const HASH_BYTES = 32;

export interface CompileCache {
  /** Where the cache lives, or undefined when it is off. */
  readonly dir: string | undefined;
  /** Store the data of the modules compiled without it (called once the work has run). */
  flush(): void;
  /** What happened so far, for tests and `bench/`. */
  stats(): { readonly hits: number; readonly misses: number; readonly written: number };
}

type ModuleInternals = {
  prototype: { _compile(this: LoadedModule, content: string, filename: string): unknown };
  wrap(content: string): string;
  _resolveFilename(request: string, parent: LoadedModule, isMain: boolean, options?: unknown): string;
  _resolveLookupPaths(request: string, parent: LoadedModule): string[] | null;
  _extensions: unknown;
  _cache: unknown;
  enableCompileCache?: (dir?: string) => unknown;
  flushCompileCache?: () => void;
};
type LoadedModule = { exports: unknown; require(id: string): unknown };

const mainModule = createRequire(import.meta.url).main;
const off: CompileCache = { dir: undefined, flush() {}, stats: () => ({ hits: 0, misses: 0, written: 0 }) };
let enabled: CompileCache | undefined;

/**
 * Install the cache in this thread (once; later calls return the first). `flags`: V8 flags set
 * after start (v8-tuning.ts); with Node's own they key the folder, since V8 rejects code cached
 * under other flags and runs with other flags would otherwise keep replacing each other's entries.
 */
export function enableCompileCache(env: NodeJS.ProcessEnv = process.env, flags: readonly string[] = []): CompileCache {
  if (enabled) return enabled;
  const setting = env.CONTRACTGEN_COMPILE_CACHE;
  if (setting === 'off' || setting === '0' || setting === 'false') return (enabled = off);
  const root = setting || join(tmpdir(), `contractgen-compile-cache-${process.getuid?.() ?? 'user'}`);
  const Module = createRequire(import.meta.url)('node:module') as ModuleInternals;
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    if (!isPrivateDirectory(lstatSync(root), process.getuid?.())) return (enabled = off);
    // V8's data is only valid for the V8 build and flags that made it; V8 rejects the rest.
    const flagsKey = createHash('sha256').update(JSON.stringify([process.execArgv, flags])).digest('hex').slice(0, 12);
    const dir = join(root, `${process.version}-${process.arch}-${flagsKey}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (Module.enableCompileCache) {
      Module.enableCompileCache(dir);
      return (enabled = { dir, flush: () => Module.flushCompileCache?.(), stats: off.stats });
    }
    return (enabled = hookLoader(Module, dir));
  } catch {
    return (enabled = off);
  }
}

/**
 * A cache directory is trusted only when it is a directory (not a link to one), owned by the
 * user and writable by no one else: another user able to write there could make us run their code.
 */
export function isPrivateDirectory(stat: Pick<Stats, 'isDirectory' | 'isSymbolicLink' | 'uid' | 'mode'>, uid: number | undefined): boolean {
  if (!stat.isDirectory() || stat.isSymbolicLink()) return false;
  if (uid === undefined) return true; // Windows: the temporary folder is per user
  return stat.uid === uid && (stat.mode & 0o022) === 0;
}

/** One cache entry: the magic line, the SHA-256 of the module's source, V8's data. */
export function encodeEntry(sourceHash: Buffer, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(MAGIC), sourceHash, data]);
}

/** V8's data from an entry made from a source with this hash, or undefined. */
export function decodeEntry(entry: Buffer, sourceHash: Buffer): Buffer | undefined {
  const head = MAGIC.length;
  if (entry.length <= head + HASH_BYTES || entry.toString('latin1', 0, head) !== MAGIC) return undefined;
  if (!entry.subarray(head, head + HASH_BYTES).equals(sourceHash)) return undefined;
  return entry.subarray(head + HASH_BYTES);
}

/**
 * Whether a module may call import(). A vm.Script has no loader for it (Node 20's way to give it
 * one is experimental and fails once the script comes from cached data), so such a module loads
 * as usual. TypeScript's 9 MB mention `import(` only in strings, so the text alone cannot tell:
 * es-module-lexer (Vite's lexer) can, in about 5 ms per MB, and runs only on a miss.
 */
export function callsDynamicImport(content: string): boolean {
  // Spaces and comments may stand between `import` and `(`; an escaped keyword is a syntax error.
  if (!content.includes('import')) return false;
  try {
    initSync();
    return parse(content)[0].some((i) => i.d > -1);
  } catch {
    return true; // what the lexer cannot read is not worth the risk
  }
}

function hookLoader(Module: ModuleInternals, dir: string): CompileCache {
  const pending: { file: string; hash: Buffer; script: vm.Script }[] = [];
  let hits = 0;
  let misses = 0;
  let written = 0;
  const original = Module.prototype._compile;

  Module.prototype._compile = function compileWithCache(this: LoadedModule, content: string, filename: string): unknown {
    if (content.length < MIN_CACHED_CHARS) return original.call(this, content, filename);
    let script: vm.Script;
    let file: string;
    let hash: Buffer;
    let cached: Buffer | undefined;
    try {
      hash = createHash('sha256').update(content).digest();
      file = join(dir, `${createHash('sha256').update(filename).digest('hex').slice(0, 40)}.v8`);
      try {
        cached = decodeEntry(readFileSync(file), hash);
      } catch {
        cached = undefined; // no entry yet
      }
      // Entries are written only for modules without import() (see callsDynamicImport).
      if (!cached && callsDynamicImport(content)) return original.call(this, content, filename);
      script = new vm.Script(Module.wrap(content), { filename, ...(cached ? { cachedData: cached } : {}) });
    } catch {
      return original.call(this, content, filename); // the loader reports a syntax error its own way
    }
    if (cached && !script.cachedDataRejected) hits++;
    else {
      misses++;
      pending.push({ file, hash, script });
    }
    const mod = this;
    // What Node's own loader hands a module (lib/internal/modules/helpers.js makeRequireFunction).
    const resolve = Object.assign((request: string, options?: unknown) => Module._resolveFilename(request, mod, false, options), {
      paths: (request: string) => Module._resolveLookupPaths(request, mod),
    });
    const require = Object.assign((id: string) => mod.require(id), {
      resolve,
      main: mainModule,
      extensions: Module._extensions,
      cache: Module._cache,
    });
    const wrapper = script.runInThisContext({ displayErrors: true }) as (...args: unknown[]) => unknown;
    return wrapper.call(mod.exports, mod.exports, require, mod, filename, dirname(filename));
  };

  return {
    dir,
    flush() {
      for (const { file, hash, script } of pending.splice(0)) {
        try {
          // Written whole under a temporary name and renamed: a reader never sees half an entry.
          const temp = `${file}.${process.pid}.${threadId}.tmp`;
          const fd = openSync(temp, 'w', 0o600);
          try {
            writeSync(fd, encodeEntry(hash, script.createCachedData()));
          } finally {
            closeSync(fd);
          }
          renameSync(temp, file);
          written++;
        } catch {
          // a full disk or a read-only folder only costs the next run its shortcut
        }
      }
    },
    stats: () => ({ hits, misses, written }),
  };
}
