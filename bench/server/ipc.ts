/**
 * The parent side of the server benchmark's processes.
 *
 * Children run as plain JavaScript, not under tsx: tsx's loader thread adds ~40 MiB to every
 * process's RSS, which would blur the RSS figures. `transpileChildren` turns generated/ and
 * bench/server/ into JavaScript with the repo's own TypeScript (transpileModule, no type check,
 * relative `.js` imports unchanged) under `.bench-tmp/server/` (git-ignored), where bare imports
 * (`ws`, `socket.io`) still resolve from the repo's node_modules.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface ChildMessage {
  readonly id: number;
  readonly type: string;
  readonly [key: string]: unknown;
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

/**
 * Transpiles the children and what they import (`dirs` of `repo`) under `outRoot`; returns it.
 * bench/limits.ts also transpiles main's generated/ this way, from a copy under .bench-tmp/.
 */
export function transpileChildren(repo: string, dirs: readonly string[] = ['generated', 'bench/server'], outRoot = path.join(repo, '.bench-tmp', 'server')): string {
  rmSync(outRoot, { recursive: true, force: true });
  const files = dirs.flatMap((d) => listTs(path.join(repo, d)));
  for (const file of files) {
    const { outputText, diagnostics } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, sourceMap: false, removeComments: false },
    });
    if (diagnostics?.length) throw new Error(`transpiling ${file}: ${ts.flattenDiagnosticMessageText(diagnostics[0]!.messageText, '\n')}`);
    const out = path.join(outRoot, path.relative(repo, file)).replace(/\.ts$/, '.js');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  writeFileSync(path.join(outRoot, 'package.json'), '{ "type": "module" }\n');
  return outRoot;
}

/** A child process spoken to by commands; answers are matched by command id and type. */
export class Child {
  private nextId = 1;
  private readonly waiters = new Map<string, { resolve: (m: ChildMessage) => void; reject: (e: Error) => void }>();
  private readonly early = new Map<string, ChildMessage>();
  private readonly errors = new Map<number, ChildMessage>();
  private exited: string | undefined;
  readonly stderr: string[] = [];

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.on('message', (raw) => this.onMessage(raw as ChildMessage));
    proc.stderr?.on('data', (d: Buffer) => {
      this.stderr.push(d.toString('utf8'));
      if (this.stderr.length > 50) this.stderr.shift();
    });
    proc.on('exit', (code, signal) => {
      this.exited = `${name} exited (${signal ?? code})${this.stderr.length ? `: ${this.stderr.join('').slice(-800)}` : ''}`;
      for (const w of this.waiters.values()) w.reject(new Error(this.exited));
      this.waiters.clear();
    });
  }

  private onMessage(m: ChildMessage): void {
    if (m.type === 'error') {
      const err = new Error(`${this.name}: ${String(m.message)}`);
      let handled = false;
      for (const [key, w] of this.waiters) {
        if (key.startsWith(`${m.id}:`)) {
          this.waiters.delete(key);
          w.reject(err);
          handled = true;
        }
      }
      if (!handled) this.errors.set(m.id, m);
      return;
    }
    const key = `${m.id}:${m.type}`;
    const w = this.waiters.get(key);
    if (w) {
      this.waiters.delete(key);
      w.resolve(m);
    } else this.early.set(key, m);
  }

  send(command: Record<string, unknown> & { cmd: string }): number {
    const id = this.nextId++;
    if (this.exited) throw new Error(this.exited);
    this.proc.send({ ...command, id });
    return id;
  }

  wait(id: number, type: string, timeoutMs: number): Promise<ChildMessage> {
    const key = `${id}:${type}`;
    const early = this.early.get(key);
    if (early) {
      this.early.delete(key);
      return Promise.resolve(early);
    }
    const error = this.errors.get(id);
    if (error) {
      this.errors.delete(id);
      return Promise.reject(new Error(`${this.name}: ${String(error.message)}`));
    }
    if (this.exited) return Promise.reject(new Error(this.exited));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(key);
        reject(new Error(`${this.name}: no '${type}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(key, {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  request(command: Record<string, unknown> & { cmd: string }, type: string, timeoutMs: number): Promise<ChildMessage> {
    return this.wait(this.send(command), type, timeoutMs);
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

const live = new Set<Child>();

/** Forks `script` (a transpiled child) and waits for its `ready`. */
export async function spawn(name: string, script: string, args: readonly string[], timeoutMs = 20_000): Promise<{ child: Child; ready: ChildMessage }> {
  const proc = fork(script, [...args], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  const child = new Child(name, proc);
  live.add(child);
  proc.on('exit', () => live.delete(child));
  try {
    const ready = await child.wait(0, 'ready', timeoutMs);
    return { child, ready };
  } catch (err) {
    child.kill();
    throw err;
  }
}

/** Ends every child this process started (each by its own handle). */
export function killAll(): void {
  for (const c of live) c.kill();
  live.clear();
}
