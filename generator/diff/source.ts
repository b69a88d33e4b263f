/**
 * Diff stage 1 — source: read OLD and NEW, each a spec file or a `git:REF:path` revision, and
 * parse them with the loader. Only the JSON has to be valid: a spec that fails lint (an old
 * revision written before a rule existed) is still diffed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ContractError } from '../diagnostics.js';
import { loadText, type LoadedSpec } from '../loader.js';

export const GIT_PREFIX = 'git:';

export interface SpecSource {
  /** As given on the command line; used as the file name in messages. */
  readonly label: string;
  readonly kind: 'file' | 'git';
  readonly path: string;
  readonly ref?: string;
}

/** `git:REF:path` → a git source (REF cannot contain ':', a git rule); anything else is a file path. */
export function parseSource(arg: string): SpecSource {
  if (!arg.startsWith(GIT_PREFIX)) return { label: arg, kind: 'file', path: arg };
  const rest = arg.slice(GIT_PREFIX.length);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1) {
    throw sourceError(arg, `"${arg}" is not of the form git:REF:path`, 'write e.g. git:HEAD:spec/protocol.schema.json or git:origin/main:spec/protocol.schema.json');
  }
  return { label: arg, kind: 'git', ref: rest.slice(0, colon), path: rest.slice(colon + 1) };
}

/**
 * Reads and parses one side of the diff. Throws ContractError (file, position, fix) when the file
 * or revision cannot be read or is not a JSON object.
 */
export function readSource(arg: string, cwd: string = process.cwd()): LoadedSpec {
  const source = parseSource(arg);
  const text = source.kind === 'git' ? gitShow(source, cwd) : readFile(source);
  const spec = loadText(source.label, text);
  // Defects the loader records without stopping (a duplicate key, a bad kernel reference) make the sides unreliable to compare.
  const errors = spec.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) throw new ContractError(errors);
  return spec;
}

function readFile(source: SpecSource): string {
  try {
    return readFileSync(source.path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'the file does not exist' : code === 'EISDIR' ? 'it is a directory' : String(err);
    throw sourceError(source.label, `cannot read the spec: ${reason}`, 'pass an existing spec file, or git:REF:path for a committed revision');
  }
}

/** `git show REF:path`, run in cwd. A path is relative to the repository root (prefix ./ for cwd). */
function gitShow(source: SpecSource, cwd: string): string {
  try {
    return execFileSync('git', ['show', `${source.ref}:${source.path}`], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string | Buffer };
    if (e.code === 'ENOENT') throw sourceError(source.label, 'cannot run git: it is not installed or not on PATH', 'install git, or pass the old spec as a file');
    const detail = String(e.stderr ?? '').trim().split('\n').filter(Boolean).pop() ?? e.message;
    throw sourceError(source.label, `git show ${source.ref}:${source.path} failed: ${detail}`, `check that ${source.ref} is a commit of the repository in ${cwd} and that ${source.path} exists in it (paths are relative to the repository root; prefix ./ for a path relative to the current directory)`);
  }
}

function sourceError(file: string, message: string, hint: string): ContractError {
  return new ContractError([{ severity: 'error', code: 'spec-unreadable', pointer: '', file, message, hint }]);
}
