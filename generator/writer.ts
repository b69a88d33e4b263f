/**
 * Stage 6 — write: put generated files on disk, remove files the previous build generated that
 * this one no longer does, and compare a fresh build with what is on disk (`check`).
 *
 * G3: the writer touches only what it owns (manifest.ts says what that is). It plans first and
 * writes nothing if any file is in the way: a symlink at a path it would write or in a folder on
 * the way there (inside the output folder, or the output folder itself), a folder where a file
 * goes, a file it did not generate. Each is a finding that says what to do. Files are written to
 * a temporary name and renamed into place, so nothing is ever written through a link.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, lstatSync, mkdirSync, openSync, renameSync, rmdirSync, rmSync, writeSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ContractError, type Finding } from './diagnostics.js';
import type { GeneratedFile } from './files.js';
import { carriesOwnBanner, MANIFEST_PATH, readManifest, readSmallFile, sha256, type Manifest } from './manifest.js';

/** Files in the way of a build: nothing was written. The findings say what is in the way and what to do. */
export class OutputConflictError extends ContractError {
  constructor(findings: readonly Finding[]) {
    super(findings);
    this.name = 'OutputConflictError';
    this.message = `${findings.length} file(s) in the output folder are in the way:\n${this.message.split('\n').slice(1).join('\n')}`;
  }
}

export interface WriteReport {
  readonly written: string[];
  readonly unchanged: string[];
  readonly removed: string[];
  /** Files the previous build generated that this one does not, left in place, and why. */
  readonly kept: { readonly path: string; readonly reason: string }[];
}

function lstat(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** What stands in the way of writing `rel` under `outDir`, or undefined. Checks the output folder and every folder below it on the way. */
function pathProblem(outDir: string, rel: string): { readonly message: string; readonly hint: string } | undefined {
  const parts = rel.split('/');
  let current = outDir;
  const top = lstat(outDir);
  if (top?.isSymbolicLink()) return { message: `the output folder ${outDir} is a symbolic link; contractgen never writes through one`, hint: `pass the folder it points to: --out "$(realpath ${outDir})"` };
  if (top && !top.isDirectory()) return { message: `${outDir} is not a folder`, hint: 'choose another --out' };
  for (let i = 0; i < parts.length; i++) {
    current = join(current, parts[i]!);
    const s = lstat(current);
    if (!s) return undefined; // the rest gets created
    const last = i === parts.length - 1;
    const here = parts.slice(0, i + 1).join('/');
    if (s.isSymbolicLink()) return { message: `${here} is a symbolic link; contractgen never writes through one`, hint: `remove the link (contractgen writes ${rel} itself), or choose another --out` };
    if (!last && !s.isDirectory()) return { message: `${here} is a file where contractgen needs a folder (for ${rel})`, hint: `move ${here} away, or choose another --out` };
    if (last && !s.isFile()) return { message: `${here} is not a regular file`, hint: `move ${here} away, or choose another --out` };
  }
  return undefined;
}

/** Is the file on disk (at a path this build writes) contractgen's to replace? The manifest is, when it reads as one. */
function owned(previous: Manifest | undefined, rel: string, onDisk: string, specLabel: string): boolean {
  if (rel === MANIFEST_PATH) return previous !== undefined;
  return previous?.files.get(rel) === sha256(onDisk) || carriesOwnBanner(rel, onDisk, specLabel);
}

const conflict = (outDir: string, rel: string, message: string, hint: string): Finding => ({ severity: 'error', code: 'output-in-the-way', pointer: '', file: join(outDir, rel), message, hint });

interface Plan {
  readonly write: GeneratedFile[];
  readonly unchanged: string[];
  readonly remove: string[];
  readonly kept: { path: string; reason: string }[];
  readonly conflicts: Finding[];
  /** Files a previous build generated, not generated now, still on disk. */
  readonly extra: string[];
}

function plan(outDir: string, files: readonly GeneratedFile[], specLabel: string): Plan {
  const previous = readManifest(outDir);
  const p: Plan = { write: [], unchanged: [], remove: [], kept: [], conflicts: [], extra: [] };
  for (const f of files) {
    const problem = pathProblem(outDir, f.path);
    if (problem) {
      p.conflicts.push(conflict(outDir, f.path, problem.message, problem.hint));
      continue;
    }
    if (!lstat(join(outDir, f.path))) {
      p.write.push(f);
      continue;
    }
    const onDisk = readSmallFile(join(outDir, f.path));
    if (onDisk === f.content) p.unchanged.push(f.path);
    else if (onDisk !== undefined && owned(previous, f.path, onDisk, specLabel)) p.write.push(f);
    else {
      p.conflicts.push(
        conflict(
          outDir,
          f.path,
          `${f.path} was not generated by contractgen from this spec (it is not in ${MANIFEST_PATH} as it is, and has no contractgen banner for ${specLabel}), so it is not overwritten`,
          `move it out of the output folder (or delete it), or choose another --out; contractgen generates ${f.path} there`,
        ),
      );
    }
  }
  const wanted = new Set(files.map((f) => f.path));
  for (const [rel, hash] of [...(previous?.files ?? [])].sort(([a], [b]) => a.localeCompare(b))) {
    if (wanted.has(rel)) continue;
    const full = join(outDir, rel);
    const s = lstat(full);
    if (!s) continue;
    p.extra.push(rel);
    if (pathProblem(outDir, rel) || !s.isFile()) p.kept.push({ path: rel, reason: 'it is no longer a regular file' });
    else if (readSmallFile(full) !== undefined && sha256(readSmallFile(full)!) === hash) p.remove.push(rel);
    else p.kept.push({ path: rel, reason: 'it changed since contractgen wrote it; delete it yourself if you no longer need it' });
  }
  return p;
}

/** Writes `content` to `full` by a new temporary file renamed over it: a link at `full` is replaced, never followed. */
function writeAtomically(full: string, content: string): void {
  const temp = join(dirname(full), `.${basename(full)}.contractgen-${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o666);
  try {
    const bytes = Buffer.from(content, 'utf8');
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(temp, full);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Creates the folders from `outDir` down to `rel`'s folder, one at a time (never through a link: each was checked by the plan). */
function makeFolders(outDir: string, rel: string): void {
  let current = outDir;
  mkdirSync(outDir, { recursive: true });
  for (const part of rel.split('/').slice(0, -1)) {
    current = join(current, part);
    if (!lstat(current)) mkdirSync(current);
  }
}

/** G3: what is in the way of writing `files` into `outDir` (empty: writeFiles would succeed). */
export function conflictsOf(outDir: string, files: readonly GeneratedFile[], specLabel: string): readonly Finding[] {
  return plan(outDir, files, specLabel).conflicts;
}

/**
 * G3: writes the files of a build into `outDir`, or throws OutputConflictError (writing nothing)
 * when a file it does not own is in the way. `specLabel` names the spec as banners do. The
 * manifest is written last, so an interrupted build leaves files the next one still recognises.
 */
export function writeFiles(outDir: string, files: readonly GeneratedFile[], specLabel: string): WriteReport {
  const p = plan(outDir, files, specLabel);
  if (p.conflicts.length > 0) throw new OutputConflictError(p.conflicts);
  const ordered = [...p.write.filter((f) => f.path !== MANIFEST_PATH), ...p.write.filter((f) => f.path === MANIFEST_PATH)];
  for (const f of ordered) {
    makeFolders(outDir, f.path);
    writeAtomically(join(outDir, f.path), f.content);
  }
  for (const rel of p.remove) {
    rmSync(join(outDir, rel));
    removeEmptyFolders(outDir, rel);
  }
  return { written: ordered.map((f) => f.path), unchanged: p.unchanged, removed: p.remove, kept: p.kept };
}

/** Folders a removal emptied, up to (not including) the output folder. */
function removeEmptyFolders(outDir: string, rel: string): void {
  const parts = rel.split('/').slice(0, -1);
  while (parts.length > 0) {
    try {
      rmdirSync(join(outDir, ...parts)); // fails, as wanted, when the folder is not empty
    } catch {
      return;
    }
    parts.pop();
  }
}

export interface Drift {
  readonly path: string;
  readonly kind: 'stale' | 'missing' | 'extra' | 'blocked';
  /** For stale files: the first line that differs. */
  readonly line?: number;
  /** For blocked paths: what is in the way (build would refuse to write there). */
  readonly reason?: string;
}

/**
 * Differences between a fresh build and the files on disk. Empty means fresh. Stale and missing
 * are generated files that differ or are absent; extra are files the manifest on disk lists that
 * this build no longer generates; blocked are paths build would refuse to write (G3).
 */
export function compareFiles(outDir: string, files: readonly GeneratedFile[], specLabel: string): Drift[] {
  const p = plan(outDir, files, specLabel);
  const drift: Drift[] = p.conflicts.map((c) => ({ path: files.find((f) => join(outDir, f.path) === c.file)?.path ?? String(c.file), kind: 'blocked', reason: c.message }));
  const blocked = new Set(drift.map((d) => d.path));
  for (const f of p.write) {
    if (blocked.has(f.path)) continue;
    const onDisk = readSmallFile(join(outDir, f.path));
    drift.push(onDisk === undefined ? { path: f.path, kind: 'missing' } : { path: f.path, kind: 'stale', line: firstDifferentLine(onDisk, f.content) });
  }
  for (const rel of p.extra) drift.push({ path: rel, kind: 'extra' });
  return drift.sort((a, b) => a.path.localeCompare(b.path));
}

function firstDifferentLine(a: string, b: string): number {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return i + 1;
  return 0;
}
