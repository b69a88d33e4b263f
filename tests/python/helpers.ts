/**
 * Helpers of the Python suites: the project's virtual environment (.venv, made by
 * scripts/setup-python.sh), and a Python ASGI app of tests/python served by uvicorn on a free
 * loopback port (serve.py prints the port once it accepts connections).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';

export const venvPython = join(repoRoot, '.venv', 'bin', 'python');
export const pythonDir = join(repoRoot, 'tests', 'python');

/** Fails with the fix when the venv is missing (the README's commands create it). */
export function requireVenv(): void {
  if (!existsSync(venvPython)) throw new Error('no .venv: run `bash scripts/setup-python.sh` (npm test runs it) to install the Python dependencies');
}

export interface PythonServer {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** What the server wrote to stderr (for failure messages). */
  readonly stderr: () => string;
  close(): Promise<void>;
}

/** Starts `python serve.py <target>` with `env` added; resolves once it listens. */
export async function startPythonServer(target = 'agent_app:app', env: Record<string, string> = {}, timeoutMs = 20_000): Promise<PythonServer> {
  requireVenv();
  const child = spawn(venvPython, [join(pythonDir, 'serve.py'), target], { cwd: repoRoot, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err = (err + c).slice(-20_000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the Python server did not start within ${timeoutMs} ms: ${err}`)), timeoutMs);
    child.stdout!.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Python server exited with ${code}: ${err}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    process: child,
    stderr: () => err,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
