/**
 * The project's settings, so commands need no flags: `contractgen.config.json` (JSON with
 * comments), or the `contractgen` key of package.json, found in the working directory or the
 * nearest folder above it that has either. Paths in it are relative to the file that holds them.
 *
 *   { "spec": "spec/protocol.schema.json", "targets": [{ "language": "typescript", "out": "generated" }] }
 *
 * `out` alone is short for one TypeScript target. A flag on the command line wins over the file.
 */
import type { Target } from './emitters.js';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { isSchemaObject } from './schema-walk.js';
import { parseSpecText } from './loader.js';
import { ContractError } from './diagnostics.js';

export const CONFIG_FILE = 'contractgen.config.json';
export const DEFAULT_SPEC = 'spec/protocol.schema.json';
export const DEFAULT_OUT = 'generated';

/** Languages `build` and `check` generate for, and where each writes by default. */
export const TARGET_LANGUAGES: readonly Target[] = ['typescript', 'python'];
const isTarget = (value: unknown): value is Target => TARGET_LANGUAGES.includes(value as Target);
export const DEFAULT_OUTS: Readonly<Record<string, string>> = { typescript: DEFAULT_OUT, python: 'generated-py' };

export interface TargetConfig {
  readonly language: Target;
  /** Output folder, relative to the working directory. */
  readonly out: string;
}

export interface ProjectConfig {
  /** The contract, relative to the working directory. */
  readonly spec: string;
  readonly targets: readonly TargetConfig[];
  /** The file the settings came from (relative to the working directory), if any. */
  readonly source?: string;
}

/** The settings are wrong: the message names the file, the place and the fix (exit 2). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

interface Found {
  readonly file: string;
  readonly dir: string;
  readonly value: unknown;
  readonly locate: (pointer: string) => { line: number; column: number } | undefined;
  /** Pointer prefix of the settings inside the file ('' or '/contractgen'). */
  readonly base: string;
}

function find(cwd: string): Found | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const configFile = join(dir, CONFIG_FILE);
    const packageFile = join(dir, 'package.json');
    if (existsSync(configFile)) return read(configFile, dir, '');
    if (existsSync(packageFile)) {
      const found = read(packageFile, dir, '/contractgen');
      // A package.json ends the search: it is the project's root, with or without settings.
      return isSchemaObject(found.value) && 'contractgen' in found.value ? { ...found, value: found.value.contractgen } : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function read(file: string, dir: string, base: string): Found {
  try {
    const parsed = parseSpecText(file, readFileSync(file, 'utf8'));
    return { file, dir, value: parsed.json, locate: parsed.locate, base };
  } catch (error) {
    if (error instanceof ContractError) throw new ConfigError(error.findings.map((f) => `${f.file}:${f.line ?? 1}:${f.column ?? 1}: ${f.message}`).join('\n'));
    throw error;
  }
}

/** The settings in force for commands run in `cwd` (defaults when there is no settings file). */
export function loadConfig(cwd: string = process.cwd()): ProjectConfig {
  const found = find(cwd);
  if (!found) return { spec: DEFAULT_SPEC, targets: [{ language: 'typescript', out: DEFAULT_OUT }] };
  const label = relative(cwd, found.file).split(sep).join('/') || found.file;
  const fail = (pointer: string, message: string): never => {
    const at = found.locate(found.base + pointer);
    throw new ConfigError(`${label}${at ? `:${at.line}:${at.column}` : ''}: ${found.base ? 'contractgen' : ''}${pointer || (found.base ? '' : '/')} ${message} (README: "Configuration")`);
  };
  const value = found.value;
  if (!isSchemaObject(value)) return fail('', 'must be an object: { "spec": …, "targets": [{ "language": "typescript", "out": … }] }');
  for (const key of Object.keys(value)) if (!['spec', 'out', 'targets', '$schema'].includes(key)) fail(`/${key}`, `is not a setting; the settings are spec, out and targets`);
  const path = (pointer: string, v: unknown): string => {
    if (typeof v !== 'string' || v === '') return fail(pointer, 'must be a non-empty path');
    return relative(cwd, resolve(found.dir, v)).split(sep).join('/') || '.';
  };
  const spec = value.spec === undefined ? path('', DEFAULT_SPEC) : path('/spec', value.spec);
  if (value.out !== undefined && value.targets !== undefined) fail('/out', 'and "targets" cannot both be given; put the folder in the TypeScript target');
  let targets: TargetConfig[];
  if (value.targets === undefined) targets = [{ language: 'typescript', out: path('/out', value.out ?? DEFAULT_OUT) }];
  else if (!Array.isArray(value.targets) || value.targets.length === 0) return fail('/targets', 'must be a non-empty array of { "language", "out" }');
  else {
    targets = value.targets.map((t, i) => {
      if (!isSchemaObject(t)) return fail(`/targets/${i}`, 'must be { "language", "out" }');
      for (const key of Object.keys(t)) if (key !== 'language' && key !== 'out') fail(`/targets/${i}/${key}`, 'is not a target setting; a target has language and out');
      if (!isTarget(t.language)) fail(`/targets/${i}/language`, `must be one of ${TARGET_LANGUAGES.join(', ')}`);
      return { language: t.language as Target, out: path(`/targets/${i}/out`, t.out) };
    });
  }
  const outs = targets.map((t) => t.out);
  const twice = outs.find((o, i) => outs.indexOf(o) !== i);
  if (twice !== undefined) fail('/targets', `name the folder ${twice} twice; each target needs its own`);
  return { spec, targets, source: label };
}

/**
 * What a command works on: its flags over the settings file over the defaults. `target` picks
 * one language (its configured folder, or `out`, or its default); without it `out` names the
 * TypeScript target's folder and only that target is built.
 */
export function resolveProject(flags: { readonly spec?: string | undefined; readonly out?: string | undefined; readonly target?: string | undefined }, cwd: string = process.cwd()): ProjectConfig {
  const config = loadConfig(cwd);
  if (flags.target !== undefined) {
    if (!isTarget(flags.target)) throw new ConfigError(`--target must be one of ${TARGET_LANGUAGES.join(', ')}, got ${JSON.stringify(flags.target)}`);
    const out = flags.out ?? config.targets.find((t) => t.language === flags.target)?.out ?? DEFAULT_OUTS[flags.target]!;
    return { ...config, spec: flags.spec ?? config.spec, targets: [{ language: flags.target, out }] };
  }
  // --out names one folder: the TypeScript target's, and only that target is built.
  const targets = flags.out !== undefined ? [{ language: 'typescript' as const, out: flags.out }] : config.targets;
  return { ...config, spec: flags.spec ?? config.spec, targets };
}
