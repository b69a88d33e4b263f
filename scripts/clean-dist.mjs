// prepack: the tarball gets a dist/ compiled from the sources being packed, nothing left over from an older build.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
