// prepack: empty dist/, so the tarball gets only what prepare (which npm pack runs next) compiles from the sources being packed.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
