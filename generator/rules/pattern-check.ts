/**
 * G2: is a `pattern` safe to run on untrusted input? Asks recheck (a maintained ReDoS checker:
 * automata theory where the pattern allows it, seeded fuzzing where it does not). It runs on
 * recheck's pure JavaScript backend, in this process: no binary, no Java, no network, and the
 * same answer on every machine (the fuzzer's seed is fixed). Verdicts are memoized per pattern,
 * and all checks of one process share a time budget, so no spec can make lint run for hours.
 */
import { createRequire } from 'node:module';

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

export function checkPattern(source: string): PatternVerdict {
  const known = verdicts.get(source);
  if (known) return known;
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
  return verdict;
}

function describeError(error: unknown): string {
  const e = error as { kind?: string; message?: string } | undefined;
  if (e?.kind === 'timeout') return `the check ran out of its ${PATTERN_CHECK.timeoutMs} ms`;
  return [e?.kind, e?.message].filter(Boolean).join(': ') || 'the checker gave no reason';
}
