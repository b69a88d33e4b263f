#!/usr/bin/env node
// The installed entry point. The generator is compiled to dist/ by `npm run build:cli`
// (run automatically by `npm ci` through the prepare script).
import { existsSync } from 'node:fs';

const dist = new URL('../dist/generator/', import.meta.url);
const entry = new URL('cli.js', dist);
if (!existsSync(entry)) {
  process.stderr.write('contractgen: dist/ is missing; run `npm run build:cli` (or `npm ci`) first\n');
  process.exit(3);
}
// Before the command's modules load: V8 tuned for a short run, then its code for the large
// packages taken from the cache (in this order: V8 keys cached code to its flags).
const { tuneV8ForCli } = await import(new URL('v8-tuning.js', dist).href);
tuneV8ForCli();
const { compileCache } = await import(new URL('compile-cache-on.js', dist).href);
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
compileCache.flush();
process.exitCode = code;
