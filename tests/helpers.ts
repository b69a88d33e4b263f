/**
 * Shared test helpers: the repository paths, temp dirs that are always removed, the compiled CLI
 * as a child process, and an independent way to find where a JSON pointer sits in a pretty-printed
 * spec (so line/column assertions do not reuse the loader's own mapping).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePointer } from '../generator/diagnostics.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const specPath = join(repoRoot, 'spec', 'protocol.schema.json');
export const generatedDir = join(repoRoot, 'generated');
export const cliPath = join(repoRoot, 'bin', 'contractgen.js');

/** The canonical spec text, read once. */
export const canonicalText = readFileSync(specPath, 'utf8');

/** A fresh deep copy of the canonical spec (mutations never leak between cases). */
export function canonicalSpec(): any {
  return JSON.parse(canonicalText);
}

const made: string[] = [];

/** A new directory under os.tmpdir(); removed by `removeTempDirs()` (call it in afterAll). */
export function tempDir(prefix = 'contractgen-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The serialization every fixture uses, so expected positions can be computed from it. */
export function serialize(spec: unknown): string {
  return `${JSON.stringify(spec, null, 2)}\n`;
}

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** 1-based line and column of a character offset, computed the plain way. */
export function positionAt(text: string, offset: number): Position {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

const SENTINEL = '\u0000pointer-sentinel\u0000';

/**
 * Where the value at `pointer` starts in `serialize(spec)`: its key for an object member, the
 * element for an array item. Found by replacing the value with a sentinel and serializing again:
 * everything before it prints the same, and pretty-printed JSON puts each member on its own line.
 */
export function expectedPosition(spec: unknown, pointer: string): Position {
  if (pointer === '') return { line: 1, column: 1 };
  const copy = structuredClone(spec) as Record<string, unknown>;
  const tokens = parsePointer(pointer);
  let node: unknown = copy;
  for (const token of tokens.slice(0, -1)) node = (node as Record<string, unknown>)[token];
  const last = tokens[tokens.length - 1]!;
  if (node === null || typeof node !== 'object' || !(last in node)) throw new Error(`test bug: ${pointer} does not exist in the mutated spec`);
  (node as Record<string, unknown>)[last] = SENTINEL;
  const text = serialize(copy);
  const lineIndex = text.split('\n').findIndex((l) => l.includes(JSON.stringify(SENTINEL)));
  const line = text.split('\n')[lineIndex]!;
  return { line: lineIndex + 1, column: line.length - line.trimStart().length + 1 };
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a Node script as a child process (with `env` added to ours) and collects its output. */
export function runNode(args: readonly string[], cwd = repoRoot, env: Readonly<Record<string, string>> = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** Runs the compiled CLI (`npm run build:cli` first; the `test` script does). */
export function runCli(args: readonly string[], options: { cwd?: string } = {}): Promise<CliResult> {
  return runNode([cliPath, ...args], options.cwd ?? repoRoot);
}

/** Writes `spec` to a fresh temporary folder and generates from it in-process (inline, no worker). */
export async function generateFrom(spec: unknown, prefix = 'contractgen-spec-'): Promise<import('../generator/pipeline.js').GenerateResult> {
  const { generate } = await import('../generator/pipeline.js');
  const dir = tempDir(prefix);
  const file = join(dir, 'protocol.schema.json');
  writeFileSync(file, `${JSON.stringify(spec, null, 2)}\n`);
  return generate({ spec: file, out: join(dir, 'generated'), worker: false });
}

/**
 * Builds a contract with the compiled CLI into `outRel` (a folder of the repository, so the
 * generated code resolves `ws` and `@types/node`), and adds `usage` files beside the output.
 */
export async function buildWithCli(spec: string, outRel: string, usage: Readonly<Record<string, string>> = {}): Promise<CliResult> {
  const outDir = join(repoRoot, outRel);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(dirname(outDir), { recursive: true });
  const built = await runCli(['build', '--spec', spec, '--out', outRel, '--quiet']);
  for (const [name, text] of Object.entries(usage)) writeFileSync(join(outDir, name), text);
  return built;
}

/** Type-checks a folder of generated code and usage files with the settings generated code is held to (tsconfig.generated.json). */
export function typecheckFolder(dir: string): Promise<CliResult> {
  const tsconfig = { extends: join(repoRoot, 'tsconfig.generated.json'), compilerOptions: { skipLibCheck: true }, include: ['**/*.ts'] };
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  return runNode([join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')]);
}
