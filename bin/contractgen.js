#!/usr/bin/env node
// The installed entry point. The generator is compiled to dist/ by `npm run build:cli`
// (run automatically by `npm ci` through the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/generator/cli.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('contractgen: dist/ is missing; run `npm run build:cli` (or `npm ci`) first\n');
  process.exit(3);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
});
process.exitCode = code;
