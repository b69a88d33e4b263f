/**
 * Probe stage 5 — runner: runs the selected checks against the live server — the transports side
 * by side, each transport's checks one after another (each opens its own sessions and drops them
 * when done), the history logs beside them — and collects a result per check with its evidence,
 * in catalogue order.
 */
import type { TransportKind } from '../model.js';
import type { RuleId } from '../trace.js';
import { historyChecks, selects, transportChecks, type HistoryCheck, type ProbeCheck, type TransportCheck } from './checks.js';
import { ProbeSkip } from './checks/check.js';
import { ProbeFailure, timersOf, TransportContext, type Timers } from './context.js';
import { HistoryContext } from './history-context.js';
import { Recorder } from './link.js';
import type { ProbeSpec } from './spec.js';

export interface ProbeOptions {
  readonly spec: ProbeSpec;
  /** Base URL of the server (origin, and a path prefix if the contract is mounted under one). */
  readonly url: string;
  /** Transports to probe (default: every one the spec declares). */
  readonly transports?: readonly TransportKind[];
  /** How long the probe waits for any one answer or frame (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Only the checks these select (ids, rules such as `R3`, statements such as `R3.2`). */
  readonly only?: readonly string[];
  /** Not the checks these select. */
  readonly skip?: readonly string[];
  /** The test timers the server runs with (--timers), in place of the spec's. */
  readonly timers?: Partial<Omit<Timers, 'given'>>;
  /** A1: the application's credentials (`--header 'Authorization: …'`), sent with every request and upgrade. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A2: another principal's credentials (`--other-header`): the checks that it cannot use a session of the first run only with these. */
  readonly otherHeaders?: Readonly<Record<string, string>>;
  /** Called as each result comes in (for progress). */
  readonly onResult?: (result: CheckResult) => void;
}

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  readonly id: string;
  readonly rule: RuleId;
  /** The statement of wire.md the check checks. */
  readonly statement: string;
  readonly sentence: string;
  /** The transport a transport check ran over. */
  readonly transport?: TransportKind;
  /** The history endpoint a history check read. */
  readonly endpoint?: string;
  readonly status: CheckStatus;
  /** false only for a failure (a skipped check is no failure). */
  readonly ok: boolean;
  /** What was seen: a short summary on a pass, what went wrong on a failure, why on a skip. */
  readonly evidence: string;
  readonly ms: number;
}

export interface ProbeReport {
  readonly url: string;
  readonly spec: string;
  readonly contract: { readonly name: string; readonly version: string };
  readonly transports: readonly TransportKind[];
  readonly results: readonly CheckResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly ms: number;
}

export const DEFAULT_TIMEOUT_MS = 5000;

/** Bound on one whole check, so that a server that stalls cannot hang the probe. */
const checkBudget = (timeoutMs: number, timers: Timers): number => 60_000 + 10 * timeoutMs + 2 * (timers.ttlMs + timers.holdMs);

async function runOne(fn: () => Promise<string>, budgetMs: number): Promise<{ status: CheckStatus; evidence: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const budget = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeFailure(`the check did not finish within ${budgetMs} ms`)), budgetMs);
  });
  try {
    return { status: 'pass', evidence: await Promise.race([fn(), budget]) };
  } catch (err) {
    if (err instanceof ProbeSkip) return { status: 'skip', evidence: err.message };
    if (err instanceof ProbeFailure) return { status: 'fail', evidence: err.message };
    // Anything else is the server misbehaving at the network level (refused, reset, not JSON…).
    const cause = (err as { cause?: { message?: string; code?: string } }).cause;
    return { status: 'fail', evidence: `${(err as Error).message}${cause?.code ? ` (${cause.code})` : cause?.message ? ` (${cause.message})` : ''}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Whether the options select check `c`. */
function selected(options: ProbeOptions, c: ProbeCheck): boolean {
  if (options.only && !options.only.some((s) => selects(s, c))) return false;
  return !options.skip?.some((s) => selects(s, c));
}

export async function runProbe(options: ProbeOptions): Promise<ProbeReport> {
  const { spec } = options;
  const started = Date.now();
  const base = new URL(options.url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const quietMs = Math.min(1000, Math.max(100, Math.round(timeoutMs / 10)));
  const timers = timersOf(spec, options.timers);
  const budget = checkBudget(timeoutMs, timers);
  const declared = spec.model.transports.map((t) => t.kind);
  const transports = (options.transports ?? declared).filter((k) => declared.includes(k));
  const results: (CheckResult & { order: number })[] = [];
  const order = new Map<string, number>();
  const add = (r: CheckResult): void => {
    results.push({ ...r, order: order.get(`${r.id}@${r.transport ?? r.endpoint}`) ?? 0 });
    options.onResult?.(r);
  };
  const result = (c: ProbeCheck, where: { transport: TransportKind } | { endpoint: string }, outcome: { status: CheckStatus; evidence: string }, ms: number): CheckResult => ({
    id: c.id,
    rule: c.rule,
    statement: c.statement,
    sentence: c.sentence,
    ...where,
    ...outcome,
    ok: outcome.status !== 'fail',
    ms,
  });

  const runTransport = async (kind: TransportKind): Promise<void> => {
    const ctx = new TransportContext({ spec, base, kind, timeoutMs, quietMs, recorder: new Recorder(spec), timers, partial: Boolean(options.only || options.skip), credentials: options.headers, otherCredentials: options.otherHeaders });
    // A2 checks run only with another principal's credentials: an anonymous server has one principal.
    const mine = transportChecks.filter((c: TransportCheck) => (!c.only || c.only.includes(kind)) && (!c.otherPrincipal || options.otherHeaders || options.only) && selected(options, c));
    const active = mine.some((c) => !c.audit);
    for (const check of mine) {
      const t0 = Date.now();
      const outcome = check.audit && !active ? { status: 'skip' as const, evidence: `an audit of what the other ${kind} checks received, and none of them ran` } : await runOne(() => check.run(ctx), budget);
      ctx.dropAll();
      add(result(check, { transport: kind }, outcome, Date.now() - t0));
    }
  };

  const runHistory = async (entry: ProbeSpec['conformance']['history'][number]): Promise<void> => {
    const endpoint = spec.model.history.find((h) => h.name === entry.endpoint);
    if (!endpoint) return; // the checker makes sure it exists
    const ctx = new HistoryContext(spec, endpoint, entry, base, timeoutMs, options.headers);
    for (const check of historyChecks.filter((c: HistoryCheck) => (!c.when || c.when(ctx)) && selected(options, c))) {
      const t0 = Date.now();
      const outcome = await runOne(() => check.run(ctx), budget);
      add(result(check, { endpoint: entry.endpoint }, outcome, Date.now() - t0));
    }
  };

  let i = 0;
  for (const kind of transports) for (const c of transportChecks) order.set(`${c.id}@${kind}`, i++);
  for (const entry of spec.conformance.history) for (const c of historyChecks) order.set(`${c.id}@${entry.endpoint}`, i++);
  await Promise.all([...transports.map(runTransport), ...spec.conformance.history.map(runHistory)]);

  const sorted: CheckResult[] = results.sort((a, b) => a.order - b.order).map(({ order: _, ...r }) => r);
  const failed = sorted.filter((r) => r.status === 'fail').length;
  const skipped = sorted.filter((r) => r.status === 'skip').length;
  return {
    url: options.url,
    spec: spec.file,
    contract: { name: spec.model.name, version: spec.model.version },
    transports,
    results: sorted,
    passed: sorted.length - failed - skipped,
    failed,
    skipped,
    ms: Date.now() - started,
  };
}
