/**
 * Serves generated/*.ts to a browser as native ES modules: GET <prefix><path>.js answers
 * generated/<path>.ts, transpiled on the fly with esbuild's `transform` (types stripped, nothing
 * bundled). The generated client's own relative `./x.js` imports then resolve in the browser as
 * they are — no bundler, no import map. Used by the example service and the browser test.
 */
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

/** The generated/ folder of this repository. */
export const GENERATED_DIR = fileURLToPath(new URL('../generated/', import.meta.url));

export interface ModuleServerOptions {
  /** URL prefix, e.g. "/gen/". */
  readonly prefix: string;
  /** Folder of the .ts sources (default: generated/). */
  readonly root?: string;
}

/** A request handler part: true when it answered (the path starts with the prefix), else false. */
export type ModuleHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function createModuleServer(options: ModuleServerOptions): ModuleHandler {
  const root = path.resolve(options.root ?? GENERATED_DIR);
  const cache = new Map<string, { mtimeMs: number; code: string }>();

  const load = async (file: string): Promise<string> => {
    const { mtimeMs } = await stat(file);
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === mtimeMs) return hit.code;
    const source = await readFile(file, 'utf8');
    const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'es2022', sourcefile: path.relative(root, file), sourcemap: 'inline' });
    cache.set(file, { mtimeMs, code });
    return code;
  };

  const answer = (res: ServerResponse, status: number, type: string, body: string): void => {
    res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-cache', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  return (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (!pathname.startsWith(options.prefix)) return false;
    const rel = decodeURIComponent(pathname.slice(options.prefix.length));
    // Only plain relative module paths; the resolved file must stay inside root.
    const file = path.resolve(root, rel.replace(/\.js$/, '.ts'));
    if (req.method !== 'GET' || !/^[\w./-]+\.js$/.test(rel) || rel.split('/').includes('..') || !file.startsWith(root + path.sep)) {
      answer(res, 404, 'text/plain', `no module ${pathname}\n`);
      return true;
    }
    load(file).then(
      (code) => answer(res, 200, 'text/javascript', code),
      (err: NodeJS.ErrnoException) => answer(res, err.code === 'ENOENT' ? 404 : 500, 'text/plain', `${pathname}: ${err.message}\n`),
    );
    return true;
  };
}
