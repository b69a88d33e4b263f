/**
 * Emitter — `runtime/`: the hand-written protocol engine, copied next to the generated code so
 * that `generated/` works when dropped into a service with nothing but `ws` installed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { banner, textFile, type GeneratedFile } from '../files.js';
import { runtimeDir } from '../paths.js';

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listSources(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

/** The runtime does not depend on the spec, so its banner names no spec hash: a spec change leaves it alone. */
export function emitRuntime(): GeneratedFile[] {
  return listSources(runtimeDir)
    .map((full) => relative(runtimeDir, full).split(sep).join('/'))
    .sort()
    .map((rel) =>
      textFile(`runtime/${rel}`, banner(undefined, `Copy of contractgen's runtime/${rel}; fix bugs there, not here.`, 'line') + '\n' + readFileSync(join(runtimeDir, rel), 'utf8')),
    );
}
