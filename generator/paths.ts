/**
 * Where the package's own files live (templates, runtime sources, the vocabulary), whether the
 * generator runs from source (generator/) or compiled (dist/generator/).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'contractgen') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('contractgen: cannot find its own package.json');
    dir = parent;
  }
}

export const packageRoot = findPackageRoot();
export const templatesDir = join(packageRoot, 'templates');
export const runtimeDir = join(packageRoot, 'runtime');
export const vocabularyPath = join(packageRoot, 'spec', 'contract-vocabulary.schema.json');
/** The shipped protocol kernels, one file per major version (kernel.ts). */
export const kernelDir = join(packageRoot, 'spec', 'kernel');
export const toolVersion = (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
