/**
 * G2: is a `pattern` safe to run on untrusted input? Asks recheck (a maintained ReDoS checker:
 * automata theory where the pattern allows it, seeded fuzzing where it does not). It runs on
 * recheck's pure JavaScript backend, in this process: no binary, no Java, no network, and the
 * same answer on every machine (the fuzzer's seed is fixed). All checks of one process share a
 * time budget, so no spec can make lint run for hours.
 *
 * Decided verdicts (linear, vulnerable) are memoized, in the process and on disk in
 * `node_modules/.cache/contractgen/pattern-verdicts.json` of the working directory when it has a
 * node_modules: loading recheck and warming it up costs about as much as the rest of lint, and a
 * spec's patterns rarely change. The key covers recheck's version, the options and the flags.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

/** The flags validators compile patterns with (Ajv and the runtime's path parameters both use `u`). */
export const patternFlags = 'u';

export type PatternVerdict =
  | { readonly status: 'linear' }
  | { readonly status: 'vulnerable'; readonly complexity: string; readonly attack: string }
  | { readonly status: 'unknown'; readonly reason: string }
  | { readonly status: 'skipped'; readonly budgetMs: number };

export const PATTERN_CHECK = {
  /** Per pattern. */
  timeoutMs: 3_000,
  /** For every pattern checked by one process, added up. */
  budgetMs: 60_000,
  /**
   * recheck decides by automata theory only when the counted repetitions of a pattern add up to
   * at most this (its default, 30, sends `[a-z]{1,64}` to the slower fuzzer).
   */
  maxRepeatCount: 1_000,
} as const;

type Recheck = typeof import('recheck');
let recheck: Recheck | undefined;
const verdicts = new Map<string, PatternVerdict>();
let spentMs = 0;

/** The on-disk memo, or undefined when there is no node_modules to keep it in (or it is turned off). */
function cacheFile(): string | undefined {
  if (process.env.CONTRACTGEN_PATTERN_CACHE === 'off') return undefined;
  const modules = join(process.cwd(), 'node_modules');
  return existsSync(modules) ? join(modules, '.cache', 'contractgen', 'pattern-verdicts.json') : undefined;
}

let disk: Record<string, PatternVerdict> | undefined;
function diskVerdicts(): Record<string, PatternVerdict> {
  if (disk) return disk;
  disk = {};
  const file = cacheFile();
  try {
    if (file) disk = JSON.parse(readFileSync(file, 'utf8')) as Record<string, PatternVerdict>;
  } catch {
    // missing or unreadable: start empty
  }
  return disk;
}

function diskKey(source: string): string {
  const version = (require('recheck/package.json') as { version: string }).version;
  return createHash('sha256').update(JSON.stringify([version, PATTERN_CHECK.maxRepeatCount, patternFlags, source])).digest('hex');
}

/** Best effort: a cache that cannot be written is only a slower next run. */
function remember(source: string, verdict: PatternVerdict): void {
  const file = cacheFile();
  if (!file || (verdict.status !== 'linear' && verdict.status !== 'vulnerable')) return;
  const all = diskVerdicts();
  all[diskKey(source)] = verdict;
  try {
    mkdirSync(join(file, '..'), { recursive: true });
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(temp, JSON.stringify(all));
    renameSync(temp, file);
  } catch {
    // read-only install: keep the verdict in memory only
  }
}

export function checkPattern(source: string): PatternVerdict {
  const known = verdicts.get(source) ?? diskVerdicts()[diskKey(source)];
  if (known) {
    verdicts.set(source, known);
    return known;
  }
  if (spentMs >= PATTERN_CHECK.budgetMs) return { status: 'skipped', budgetMs: PATTERN_CHECK.budgetMs };
  recheck ??= require('recheck') as Recheck;
  const started = performance.now();
  // The backend is chosen by environment variable only; pure (in-process JavaScript) unless the user chose one.
  const chosen = process.env.RECHECK_SYNC_BACKEND;
  if (chosen === undefined) process.env.RECHECK_SYNC_BACKEND = 'pure';
  let verdict: PatternVerdict;
  try {
    const d = recheck.checkSync(source, patternFlags, { timeout: PATTERN_CHECK.timeoutMs, maxRepeatCount: PATTERN_CHECK.maxRepeatCount });
    verdict =
      d.status === 'safe'
        ? { status: 'linear' }
        : d.status === 'vulnerable'
          ? { status: 'vulnerable', complexity: d.complexity.summary, attack: d.attack.pattern }
          : { status: 'unknown', reason: describeError(d.error) };
  } finally {
    if (chosen === undefined) delete process.env.RECHECK_SYNC_BACKEND;
  }
  spentMs += performance.now() - started;
  verdicts.set(source, verdict);
  remember(source, verdict);
  return verdict;
}

function describeError(error: unknown): string {
  const e = error as { kind?: string; message?: string } | undefined;
  if (e?.kind === 'timeout') return `the check ran out of its ${PATTERN_CHECK.timeoutMs} ms`;
  return [e?.kind, e?.message].filter(Boolean).join(': ') || 'the checker gave no reason';
}
