/**
 * Browser bundle sizes, built the same way for both sides with esbuild (ESM, browser, minified,
 * tree-shaken): the generated client of a contract (its factory, which pulls in the validators,
 * the contract and the runtime client) and socket.io-client's `io`, the peer a team would
 * otherwise reach for. Reports minified bytes and gzip -9 bytes.
 *
 *   node bench/bundle-size.mjs [GENERATED_DIR]    (default: generated/)
 */
import { build } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

async function bundle(entryText, resolveDir) {
  const result = await build({
    stdin: { contents: entryText, resolveDir, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  const bytes = result.outputFiles[0].contents;
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

/** The client bundle of the contract generated into `dir`, and socket.io-client's, as { min, gzip } bytes. */
export async function bundleSizes(dir) {
  const factory = /export function (create\w+Client)\b/.exec((await import('node:fs')).readFileSync(join(dir, 'client.ts'), 'utf8'))?.[1];
  if (!factory) throw new Error(`bundle-size: no create…Client factory in ${dir}/client.ts`);
  const ours = await bundle(`export { ${factory} } from ${JSON.stringify(join(dir, 'client.js'))};`, dir);
  const peer = await bundle(`export { io } from 'socket.io-client';`, root);
  return { factory, ours, peer };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? join(root, 'generated'));
  const { factory, ours, peer } = await bundleSizes(dir);
  const row = (label, s) => `  ${label.padEnd(34)} ${String(s.min).padStart(8)} B min ${String(s.gzip).padStart(8)} B gzip`;
  process.stdout.write(`browser bundles (esbuild: esm, browser, minify, tree-shaken)\n${row(`${factory} (${dir})`, ours)}\n${row('socket.io-client io', peer)}\n`);
  process.stdout.write(`  ratio generated / socket.io-client: ${(ours.min / peer.min).toFixed(2)}x min, ${(ours.gzip / peer.gzip).toFixed(2)}x gzip\n`);
}
