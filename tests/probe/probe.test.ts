/**
 * `contractgen probe` against live servers on 127.0.0.1: the generated server in conformance mode
 * passes every check over all three transports; a hand-written server that follows the contract
 * passes too (the probe needs nothing contractgen generated); and each deliberately broken
 * server fails with exactly the checks its fault breaks, named with their rule and evidence.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checks, historyChecks, transportChecks } from '../../generator/probe/checks.js';
import { runProbe, type ProbeReport } from '../../generator/probe/runner.js';
import { RULES } from '../../generator/trace.js';
import { startMiniServer, type Fault } from './mini-server.js';
import { failing, failures, on, probeSpec, startGeneratedServer } from './helpers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

const ALL = ['websocket', 'sse', 'poll'] as const;
const HISTORY = 'conversationHistory';

function probe(url: string, transports: readonly (typeof ALL)[number][] = ALL, timeoutMs = 2000): Promise<ProbeReport> {
  return runProbe({ spec: probeSpec(), url, transports, timeoutMs });
}

describe('the check list', () => {
  it('gives every check a unique id, a DESIGN.md rule and a sentence', () => {
    const ids = checks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of checks) {
      expect(RULES.map((r) => r.id)).toContain(c.rule);
      expect(c.sentence).toMatch(/^\S.{20,}\.$/);
    }
  });

  it('covers the rules the issue names', () => {
    const rules = new Set(checks.map((c) => c.rule));
    for (const r of ['S1', 'S2', 'S3', 'Q1', 'Q2', 'R2', 'R3', 'R4', 'H1', 'H2', 'W1', 'W2', 'W3', 'W4', 'W5']) expect(rules).toContain(r);
  });
});

describe('the generated server (createAgentUiServer, conformance: true)', () => {
  it('passes every check over WebSocket, SSE and poll, and every history check', async () => {
    const server = await startGeneratedServer();
    closers.push(server.close);
    const report = await probe(server.url);
    expect(failures(report)).toBe('');
    expect(report.failed).toBe(0);
    expect(report.transports).toEqual(ALL);
    for (const kind of ALL) {
      const ran = report.results.filter((r) => r.transport === kind).map((r) => r.id);
      expect(ran).toEqual(transportChecks.filter((c) => !c.only || c.only.includes(kind)).map((c) => c.id));
    }
    expect(report.results.filter((r) => r.endpoint === HISTORY).map((r) => r.id)).toEqual(historyChecks.map((c) => c.id));
    // The trigger never reached the application: the runtime answered it.
    expect(server.handled).toEqual([]);
  }, 120_000);

  it('without conformance mode the trigger goes to the handler, and the probe says no data came', async () => {
    const server = await startGeneratedServer({ conformance: false });
    closers.push(server.close);
    const report = await probe(server.url, ['websocket'], 500);
    const noData = report.results.find((r) => r.id === 'data-carries-seq')!;
    expect(noData.ok).toBe(false);
    expect(noData.evidence).toContain('does the server answer the conformance trigger (chat.send) with 5 data messages?');
    expect(server.handled.some((h) => h.type === 'chat.send')).toBe(true);
    // What needs no data still holds.
    for (const id of ['hello-fields', 'session-id-entropy', 'version-negotiation', 'version-unsupported', 'unknown-session-refused', 'wrong-token-like-unknown']) {
      expect(report.results.find((r) => r.id === id)?.ok, id).toBe(true);
    }
  }, 120_000);
});

describe('a hand-written server (node:http and ws, no contractgen code)', () => {
  it('passes every check when it follows the contract', async () => {
    const server = await startMiniServer();
    closers.push(server.close);
    const report = await probe(server.url);
    expect(failures(report)).toBe('');
    expect(report.results.length).toBeGreaterThanOrEqual(60);
  }, 120_000);
});

interface BrokenCase {
  readonly fault: Fault;
  readonly what: string;
  /** Exactly the checks that must fail, as `id@transport` or `id@endpoint`. */
  readonly failing: readonly string[];
  /** A failing check (`id@place`) and text its evidence must contain. */
  readonly evidence: readonly [string, string];
}

const BROKEN: readonly BrokenCase[] = [
  {
    fault: 'implicit-default-session',
    what: 'accepts frames without session_id (or naming "default") and routes them to a default session',
    failing: on(['no-implicit-session', 'no-default-session'], ALL),
    evidence: ['no-implicit-session@sse', 'POSTed with the session’s token was answered with HTTP 202 and no protocol.error: the server accepted it'],
  },
  {
    fault: 'unstamped-data',
    what: 'sends data frames without header.seq',
    failing: [...on(['data-carries-seq', 'frames-valid', 'seq-fresh-gap-free', 'resume-replays-missed', 'resume-window-edge'], ALL), 'sse-event-ids@sse'],
    evidence: ['data-carries-seq@websocket', 'data messages have no seq (≥ 1)'],
  },
  {
    fault: 'off-by-one-replay',
    what: 'replays from last_seen_seq instead of last_seen_seq + 1',
    failing: on(['resume-replays-missed', 'resume-window-edge'], ALL),
    evidence: ['resume-replays-missed@poll', 'resumed {from_seq 3, latest_seq 10}, agent.event 3..10; expected protocol.resumed { from_seq: 4 }'],
  },
  {
    fault: 'descending-history',
    what: 'returns history windows newest first',
    failing: on(['history-whole-log', 'history-newest-window', 'history-selection', 'history-paging'], [HISTORY]),
    evidence: ['history-newest-window@conversationHistory', '?limit=31 → seqs 120 down to 90; expected 90..120'],
  },
  {
    fault: 'limit-zero-accepted',
    what: 'answers limit=0 with the whole log instead of a 400',
    failing: ['history-400-limit-zero@conversationHistory'],
    evidence: ['history-400-limit-zero@conversationHistory', '?limit=0 → HTTP 200 with 120 items; expected 400 naming limit'],
  },
  {
    fault: 'token-oracle',
    what: 'tells a wrong token apart from an unknown session',
    failing: [...on(['wrong-token-like-unknown'], ALL), ...on(['post-wrong-token-like-unknown'], ['sse', 'poll'])],
    evidence: ['wrong-token-like-unknown@websocket', 'wrong token → resume_failed unknown_session "that resume_token is wrong", close 4003'],
  },
];

describe.each(BROKEN)('a server that $what ($fault)', (c) => {
  it('fails exactly the checks its fault breaks, with evidence', async () => {
    const server = await startMiniServer([c.fault]);
    closers.push(server.close);
    const report = await probe(server.url, ALL, 1000);
    expect(failing(report), failures(report)).toEqual([...c.failing].sort());
    const [where, text] = c.evidence;
    const result = report.results.find((r) => `${r.id}@${r.transport ?? r.endpoint}` === where)!;
    expect(result.evidence).toContain(text);
    expect(report.passed + report.failed).toBe(report.results.length);
  }, 120_000);
});
