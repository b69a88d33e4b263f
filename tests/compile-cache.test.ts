/**
 * The code cache of the command line and the build's worker (generator/compile-cache.ts): code
 * loaded from a cache is code run, so a stale, corrupt or foreign entry must never be used, and a
 * build must print the same bytes with and without it.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { callsDynamicImport, decodeEntry, encodeEntry, isPrivateDirectory, MIN_CACHED_CHARS } from '../generator/compile-cache.js';
import { cliPath, removeTempDirs, repoRoot, runNode, specPath, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const compileCacheModule = pathToFileURL(join(repoRoot, 'dist', 'generator', 'compile-cache.js')).href;

const run = (args: readonly string[], env: Record<string, string>) => runNode(args, repoRoot, env);

/** A CommonJS module large enough to be cached, whose `value()` returns `value`. */
function bigModule(value: string): string {
  const padding = Array.from({ length: Math.ceil(MIN_CACHED_CHARS / 30) + 10 }, (_, i) => `function pad${i}() { return ${i}; }`).join('\n');
  return `${padding}\nexports.value = () => ${value};\n`;
}

/** Loads `module` in a fresh process with the cache on; returns what it saw. */
async function load(dir: string, module: string, env: Record<string, string> = {}): Promise<{ dir?: string; value: unknown; hits: number; misses: number; written: number }> {
  const runner = join(dir, 'runner.mjs');
  writeFileSync(
    runner,
    `const { enableCompileCache } = await import(${JSON.stringify(compileCacheModule)});
const cache = enableCompileCache();
const { createRequire } = await import('node:module');
const value = await createRequire(import.meta.url)(${JSON.stringify(module)}).value();
cache.flush();
process.stdout.write(JSON.stringify({ dir: cache.dir, value, ...cache.stats() }));
`,
  );
  const r = await run([runner], { CONTRACTGEN_COMPILE_CACHE: join(dir, 'cache'), ...env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('compile cache: what it trusts', () => {
  const stat = (o: { dir?: boolean; link?: boolean; uid?: number; mode?: number }) => ({ isDirectory: () => o.dir ?? true, isSymbolicLink: () => o.link ?? false, uid: o.uid ?? 1000, mode: o.mode ?? 0o40700 });
  it('only a real directory of the user that no one else can write', () => {
    expect(isPrivateDirectory(stat({}), 1000)).toBe(true);
    expect(isPrivateDirectory(stat({ mode: 0o40755 }), 1000)).toBe(true); // others may read: the code is public anyway
    expect(isPrivateDirectory(stat({ mode: 0o40777 }), 1000)).toBe(false);
    expect(isPrivateDirectory(stat({ mode: 0o40720 }), 1000)).toBe(false);
    expect(isPrivateDirectory(stat({ mode: 0o41777 }), 1000)).toBe(false); // sticky /tmp itself
    expect(isPrivateDirectory(stat({ uid: 0 }), 1000)).toBe(false);
    expect(isPrivateDirectory(stat({ link: true }), 1000)).toBe(false);
    expect(isPrivateDirectory(stat({ dir: false }), 1000)).toBe(false);
  });

  it('an entry is used only for the source it was made from', () => {
    const hash = Buffer.alloc(32, 7);
    const entry = encodeEntry(hash, Buffer.from('v8 data'));
    expect(decodeEntry(entry, hash)?.toString()).toBe('v8 data');
    expect(decodeEntry(entry, Buffer.alloc(32, 8))).toBeUndefined();
    expect(decodeEntry(entry.subarray(0, 30), hash)).toBeUndefined();
    expect(decodeEntry(Buffer.concat([Buffer.from('x'), entry.subarray(1)]), hash)).toBeUndefined();
    expect(decodeEntry(encodeEntry(hash, Buffer.alloc(0)), hash)).toBeUndefined();
  });

  it('tells a dynamic import() from the word in a string or a comment', () => {
    expect(callsDynamicImport('const a = 1;')).toBe(false);
    expect(callsDynamicImport('const m = "write import(x) instead"; // or import("y")')).toBe(false);
    expect(callsDynamicImport('exports.f = () => import("node:path");')).toBe(true);
    expect(callsDynamicImport('exports.f = () => import ( "node:path" );')).toBe(true);
    expect(callsDynamicImport('const = import(')).toBe(true); // unreadable: not worth the risk
  });
});

describe('compile cache: in a process', () => {
  it('keys its folder by the V8 flags set after start (V8 rejects code cached under other flags)', async () => {
    const dir = tempDir('contractgen-cc-');
    const script = join(dir, 'dirs.mjs');
    writeFileSync(
      script,
      `const { enableCompileCache } = await import(${JSON.stringify(compileCacheModule)});
process.stdout.write(enableCompileCache(process.env, process.argv.slice(2)).dir);
`,
    );
    const env = { CONTRACTGEN_COMPILE_CACHE: join(dir, 'cache') };
    const plain = await run([script], env);
    const tuned = await run([script, '--interrupt-budget=1081344'], env);
    const again = await run([script, '--interrupt-budget=1081344'], env);
    expect(plain.stdout).toContain(join(dir, 'cache'));
    expect(tuned.stdout).not.toBe(plain.stdout);
    expect(again.stdout).toBe(tuned.stdout);
  });

  it('stores a module once it ran, loads it from the cache next time, and gives the same value', async () => {
    const dir = tempDir('contractgen-cc-');
    const module = join(dir, 'big.cjs');
    writeFileSync(module, bigModule('41'));
    const first = await load(dir, module);
    expect(first).toMatchObject({ value: 41, hits: 0, misses: 1, written: 1 });
    expect(first.dir).toContain(join(dir, 'cache'));
    const second = await load(dir, module);
    expect(second).toMatchObject({ value: 41, hits: 1, misses: 0, written: 0 });
  });

  it('a changed module of the same length is compiled again, not taken from the stale entry (V8 checks only the length)', async () => {
    const dir = tempDir('contractgen-cc-');
    const module = join(dir, 'big.cjs');
    writeFileSync(module, bigModule('41'));
    await load(dir, module);
    const changed = bigModule('42');
    expect(changed.length).toBe(readFileSync(module, 'utf8').length);
    writeFileSync(module, changed);
    expect(await load(dir, module)).toMatchObject({ value: 42, hits: 0, misses: 1, written: 1 });
    expect(await load(dir, module)).toMatchObject({ value: 42, hits: 1 });
  });

  it('a corrupt entry for the right source is rejected by V8 and replaced', async () => {
    const dir = tempDir('contractgen-cc-');
    const module = join(dir, 'big.cjs');
    writeFileSync(module, bigModule('41'));
    const { dir: cacheDir } = await load(dir, module);
    const [name] = readdirSync(cacheDir!);
    const entry = readFileSync(join(cacheDir!, name!));
    const head = 'contractgen-code-cache-1\n'.length + 32; // magic and source hash kept: only V8's data is bad
    writeFileSync(join(cacheDir!, name!), Buffer.concat([entry.subarray(0, head), Buffer.alloc(entry.length - head, 0x5a)]));
    expect(await load(dir, module)).toMatchObject({ value: 41, hits: 0, misses: 1, written: 1 });
    expect(await load(dir, module)).toMatchObject({ value: 41, hits: 1 });
  });

  it('is off in a folder others can write, behind a link, or when told so; modules load all the same', async () => {
    const dir = tempDir('contractgen-cc-');
    const module = join(dir, 'big.cjs');
    writeFileSync(module, bigModule('41'));
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    expect(await load(dir, module, { CONTRACTGEN_COMPILE_CACHE: open })).toEqual({ value: 41, hits: 0, misses: 0, written: 0 });
    expect(readdirSync(open)).toEqual([]);
    const real = join(dir, 'real');
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(dir, 'link'));
    expect(await load(dir, module, { CONTRACTGEN_COMPILE_CACHE: join(dir, 'link') })).toEqual({ value: 41, hits: 0, misses: 0, written: 0 });
    expect(await load(dir, module, { CONTRACTGEN_COMPILE_CACHE: 'off' })).toEqual({ value: 41, hits: 0, misses: 0, written: 0 });
  });

  it('a module that calls import() loads without the cache (a cached script has no loader for it)', async () => {
    const dir = tempDir('contractgen-cc-');
    const module = join(dir, 'dynamic.cjs');
    writeFileSync(module, `${bigModule('0').replace('exports.value = () => 0;', 'exports.value = async () => (await import("node:path")).sep;')}`);
    for (let i = 0; i < 2; i++) expect(await load(dir, module)).toMatchObject({ value: '/', hits: 0, misses: 0, written: 0 });
  });

  it('a build prints the same bytes with a cold cache, a warm cache and none', async () => {
    const dir = tempDir('contractgen-cc-');
    const outputs: string[] = [];
    for (const [i, setting] of [join(dir, 'cache'), join(dir, 'cache'), 'off'].entries()) {
      const out = join(dir, `out${i}`);
      const r = await run([cliPath, 'build', '--quiet', '--spec', specPath, '--out', out], { CONTRACTGEN_COMPILE_CACHE: setting });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      outputs.push(readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => `${join(e.parentPath, e.name).slice(out.length)}\n${readFileSync(join(e.parentPath, e.name), 'utf8')}`).sort().join('\n'));
    }
    // One folder: the worker keys its cache by the flags the main thread set (v8-tuning.ts), as the main thread does.
    const folders = readdirSync(join(dir, 'cache'));
    expect(folders).toHaveLength(1);
    expect(readdirSync(join(dir, 'cache', folders[0]!)).length).toBeGreaterThan(5);
    expect(outputs[1]).toBe(outputs[0]);
    expect(outputs[2]).toBe(outputs[0]);
  }, 60_000);
});
