/**
 * Helpers of the probe suites: the generated agent-ui server in conformance mode with a seeded
 * history log on 127.0.0.1:0, the canonical spec loaded the way `contractgen probe` loads it,
 * and short forms of a report's results for assertions.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAgentUiServer, type AgentUiHandlers, type AgentUiServer } from '../../generated/server.js';
import { createMemoryHistoryStore } from '../../generated/runtime/server/history.js';
import type { HistoryChunk } from '../../generated/types.js';
import { loadProbeSpec, type ProbeSpec } from '../../generator/probe/spec.js';
import type { ProbeReport } from '../../generator/probe/runner.js';
import { specPath } from '../helpers.js';
import { accepted } from '../support/accepted.js';

let loaded: ProbeSpec | undefined;

/** The canonical spec, checked and compiled once per test file. */
export function probeSpec(): ProbeSpec {
  loaded ??= loadProbeSpec(specPath);
  return loaded;
}

export interface RunningServer {
  readonly url: string;
  readonly app: AgentUiServer<string>;
  /** Messages the application handlers saw. */
  readonly handled: { readonly type: string; readonly text?: string }[];
  close(): Promise<void>;
}

/**
 * The generated server (createAgentUiServer) with `conformance` as given (on unless told) and the
 * history log x-contract.conformance.history names, seeded with its minItems items.
 */
/** The test timers the probe suites run servers with (and tell the probe with --timers). */
// The TTL leaves room for the setups that keep a session detached while they work (a window
// overfilled over 200 POSTs) on a loaded machine; expiry checks still wait only seconds.
export const FAST_TIMERS = { sessionTtlMs: 4000, heartbeatMs: 400, pollHoldMs: 600 } as const;
/** FAST_TIMERS as the probe's --timers option. */
export const PROBE_TIMERS = { ttlMs: FAST_TIMERS.sessionTtlMs, heartbeatMs: FAST_TIMERS.heartbeatMs, holdMs: FAST_TIMERS.pollHoldMs } as const;

/** A1: `Authorization: Bearer <name>` is principal <name>; anything else is refused. */
export function bearerUser(request: { readonly headers: { readonly authorization?: string | undefined } }): { readonly principal: string } | { readonly refuse: 'unauthorized' } {
  const user = /^Bearer (\w+)$/.exec(request.headers.authorization ?? '')?.[1];
  return user === undefined ? { refuse: 'unauthorized' } : { principal: user };
}

export async function startGeneratedServer(
  options: { readonly conformance?: boolean | 'unset'; readonly handlers?: Partial<AgentUiHandlers<string>>; readonly timers?: boolean; readonly users?: boolean } = {},
): Promise<RunningServer> {
  const { conformance } = probeSpec();
  const history = createMemoryHistoryStore<HistoryChunk>();
  for (const log of conformance.history) {
    const id = log.params.conversationId!;
    for (let i = 0; i < log.minItems; i++) history.append(id, { role: i % 2 ? 'assistant' : 'user', turn_id: `t-${i >> 1}`, chunk: { kind: 'text', text: `item ${i + 1}` } });
  }
  const handled: { type: string; text?: string }[] = [];
  const app = createAgentUiServer<string>({
    // users: only `Authorization: Bearer <name>` gets in, as principal <name> (A1).
    ...(options.users ? { authenticate: bearerUser } : {}),
    handlers: {
      chatSend: (m) => (handled.push({ type: m.type, text: m.payload.text }), accepted(m)),
      uiAction: (m) => void handled.push({ type: m.type }),
      ...options.handlers,
    },
    history: { conversationHistory: history },
    // 'unset' leaves the option out, to see the default.
    ...(options.conformance === 'unset' ? {} : { conformance: options.conformance ?? true }),
    ...(options.timers ? { timers: FAST_TIMERS } : {}),
  });
  const server = http.createServer();
  app.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    app,
    handled,
    async close() {
      app.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `check-id@transport` (or `@endpoint`) of every failed check, sorted. */
export function failing(report: ProbeReport): string[] {
  return report.results
    .filter((r) => !r.ok)
    .map((r) => `${r.id}@${r.transport ?? r.endpoint}`)
    .sort();
}

/** The failures with their evidence, for assertion messages. */
export function failures(report: ProbeReport): string {
  return report.results
    .filter((r) => !r.ok)
    .map((r) => `${r.id}@${r.transport ?? r.endpoint}: ${r.evidence}`)
    .join('\n');
}

/** `ids` on each of `on`. */
export function on(ids: readonly string[], places: readonly string[]): string[] {
  return ids.flatMap((id) => places.map((p) => `${id}@${p}`));
}
