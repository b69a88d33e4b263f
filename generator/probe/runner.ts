/**
 * Probe stage 5 — runner: runs every check against the live server, transport by transport and
 * then per history log, one after another (each check opens its own sessions and drops them
 * when done), and collects a result per check with its evidence.
 */
import type { TransportKind } from '../model.js';
import type { RuleId } from '../trace.js';
import { historyChecks, transportChecks, type HistoryCheck, type TransportCheck } from './checks.js';
import { HistoryContext, ProbeFailure, TransportContext } from './context.js';
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
  /** Called as each result comes in (for progress). */
  readonly onResult?: (result: CheckResult) => void;
}

export interface CheckResult {
  readonly id: string;
  readonly rule: RuleId;
  readonly sentence: string;
  /** The transport a transport check ran over. */
  readonly transport?: TransportKind;
  /** The history endpoint a history check read. */
  readonly endpoint?: string;
  readonly ok: boolean;
  /** What was seen: a short summary on a pass, what went wrong on a failure. */
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
  readonly ms: number;
}

export const DEFAULT_TIMEOUT_MS = 5000;

/** Bound on one whole check, so that a server that stalls cannot hang the probe. */
const checkBudget = (timeoutMs: number): number => 60_000 + 10 * timeoutMs;

async function runOne(fn: () => Promise<string>, budgetMs: number): Promise<{ ok: boolean; evidence: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const budget = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ProbeFailure(`the check did not finish within ${budgetMs} ms`)), budgetMs);
  });
  try {
    return { ok: true, evidence: await Promise.race([fn(), budget]) };
  } catch (err) {
    if (err instanceof ProbeFailure) return { ok: false, evidence: err.message };
    // Anything else is the server misbehaving at the network level (refused, reset, not JSON…).
    const cause = (err as { cause?: { message?: string; code?: string } }).cause;
    return { ok: false, evidence: `${(err as Error).message}${cause?.code ? ` (${cause.code})` : cause?.message ? ` (${cause.message})` : ''}` };
  } finally {
    clearTimeout(timer);
  }
}

export async function runProbe(options: ProbeOptions): Promise<ProbeReport> {
  const { spec } = options;
  const started = Date.now();
  const base = new URL(options.url);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const quietMs = Math.min(1000, Math.max(100, Math.round(timeoutMs / 10)));
  const declared = spec.model.transports.map((t) => t.kind);
  const transports = (options.transports ?? declared).filter((k) => declared.includes(k));
  const results: CheckResult[] = [];
  const add = (r: CheckResult): void => {
    results.push(r);
    options.onResult?.(r);
  };

  for (const kind of transports) {
    const ctx = new TransportContext({ spec, base, kind, timeoutMs, quietMs, recorder: new Recorder(spec) });
    for (const check of transportChecks.filter((c: TransportCheck) => !c.only || c.only.includes(kind))) {
      const t0 = Date.now();
      const outcome = await runOne(() => check.run(ctx), checkBudget(timeoutMs));
      ctx.dropAll();
      add({ id: check.id, rule: check.rule, sentence: check.sentence, transport: kind, ...outcome, ms: Date.now() - t0 });
    }
  }

  for (const entry of spec.conformance.history) {
    const endpoint = spec.model.history.find((h) => h.name === entry.endpoint);
    if (!endpoint) continue; // the checker makes sure it exists
    const ctx = new HistoryContext(spec, endpoint, entry, base, timeoutMs);
    for (const check of historyChecks.filter((c: HistoryCheck) => !c.when || c.when(ctx))) {
      const t0 = Date.now();
      const outcome = await runOne(() => check.run(ctx), checkBudget(timeoutMs));
      add({ id: check.id, rule: check.rule, sentence: check.sentence, endpoint: entry.endpoint, ...outcome, ms: Date.now() - t0 });
    }
  }

  const failed = results.filter((r) => !r.ok).length;
  return {
    url: options.url,
    spec: spec.file,
    contract: { name: spec.model.name, version: spec.model.version },
    transports,
    results,
    passed: results.length - failed,
    failed,
    ms: Date.now() - started,
  };
}
