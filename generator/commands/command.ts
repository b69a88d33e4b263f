/**
 * What a CLI command is: a name, its help text, its options for node:util parseArgs, and a run
 * function that writes to the given streams and returns an exit code.
 */
import type { ParseArgsConfig } from 'node:util';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export type Options = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help: usage line, what it does, options, exit codes. */
  readonly help: string;
  readonly options: Options;
  /** Positional arguments allowed (e.g. diff OLD NEW). */
  readonly positionals?: { readonly min: number; readonly max: number };
  run(values: Values, positionals: string[], io: Io): Promise<number>;
}

/** Exit codes, shared by every command and documented in the README. */
export const EXIT = {
  ok: 0,
  /** The contract has errors, generated/ is stale, or a check failed. */
  failed: 1,
  /** The command line is wrong. */
  usage: 2,
  /** A bug in contractgen: please report it with the stack trace. */
  internal: 3,
} as const;

/** No defaults here: an absent flag falls back to contractgen.config.json, then to the defaults (config.ts). */
export const SPEC_OPTION = { spec: { type: 'string' } } as const;
export const OUT_OPTION = { out: { type: 'string' } } as const;

export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  the contract has errors, or the check failed (details on stderr)
  2  usage error (unknown command or option)
  3  internal error in contractgen (please report it)`;

/** `--target typescript|python` and `--out` (defaults: every target of the settings; generated, generated-py). */
export const TARGET_OPTIONS = { target: { type: 'string' }, out: { type: 'string' } } as const;

export const TARGET_HELP = `  --target T    only this target: typescript, or python (a package for FastAPI/Starlette
                services); default every target of contractgen.config.json, else typescript
  --out DIR     the target's folder (default: its "out" in the settings, else generated,
                or generated-py for python)`;

