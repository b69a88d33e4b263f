/**
 * `contractgen probe` against live servers on 127.0.0.1. The catalogue: one check per observable
 * statement of generated/docs/wire.md, every statement checked or said why not. The generated
 * server (conformance mode, test timers) passes every check on all three transports; without
 * test timers the checks that must wait out a TTL or a heartbeat are skipped, never passed. A
 * reference server written from wire.md alone (tests/probe/reference/, no contractgen code)
 * passes every check, and each of its faults fails exactly the checks it breaks — the checks of
 * the rules it touches are run for it, side by side — with evidence that says what was seen.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checks, historyChecks, transportChecks } from '../../generator/probe/checks.js';
import { runProbe, type ProbeReport } from '../../generator/probe/runner.js';
import { loadProbeSpec, type ProbeSpec } from '../../generator/probe/spec.js';
import { RULES } from '../../generator/trace.js';
import { UNCHECKED_STATEMENTS } from '../../generator/wire.js';
import { canonicalSpec, generatedDir, removeTempDirs, serialize, tempDir } from '../helpers.js';
import { failing, failures, FAST_TIMERS, on, PROBE_TIMERS, probeSpec, startGeneratedServer } from './helpers.js';
import { FAULTS, type Fault } from './reference/faults.js';
import { startReferenceServer } from './reference/server.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});
afterAll(removeTempDirs);

const ALL = ['websocket', 'sse', 'poll'] as const;
const HISTORY = 'conversationHistory';
const REFERENCE_TIMERS = { ttlMs: FAST_TIMERS.sessionTtlMs, heartbeatMs: FAST_TIMERS.heartbeatMs, holdMs: FAST_TIMERS.pollHoldMs };

/**
 * A replay window whose byte bound binds before its count bound (64 KiB hold about 290 of the
 * conformance data messages): R3.4 then needs a server that counts bytes.
 */
const BYTE_BOUND = { maxMessages: 1000, maxBytes: 65536 };
let byteBoundSpec: ProbeSpec | undefined;
function byteBound(): ProbeSpec {
  if (!byteBoundSpec) {
    const spec = canonicalSpec();
    spec['x-contract'].replayWindow = BYTE_BOUND;
    const file = join(tempDir('contractgen-probe-bytes-'), 'protocol.schema.json');
    writeFileSync(file, serialize(spec));
    byteBoundSpec = loadProbeSpec(file);
  }
  return byteBoundSpec;
}

function probe(
  url: string,
  o: { timers?: boolean; only?: readonly string[]; transports?: readonly (typeof ALL)[number][]; timeoutMs?: number; spec?: ProbeSpec; headers?: Record<string, string>; otherHeaders?: Record<string, string> } = {},
): Promise<ProbeReport> {
  return runProbe({
    spec: o.spec ?? probeSpec(),
    url,
    transports: o.transports ?? ALL,
    timeoutMs: o.timeoutMs ?? 2000,
    ...(o.timers === false ? {} : { timers: PROBE_TIMERS }),
    ...(o.only ? { only: o.only } : {}),
    ...(o.headers ? { headers: o.headers } : {}),
    ...(o.otherHeaders ? { otherHeaders: o.otherHeaders } : {}),
  });
}

/** The statement numbers of wire.md, in order. */
const statements = [...readFileSync(join(generatedDir, 'docs', 'wire.md'), 'utf8').matchAll(/^\s*- \*\*([A-Z]\d\.\d+)\*\*/gm)].map((m) => m[1]!);

describe('the check catalogue', () => {
  it('gives every check a unique id, a rule, a statement of that rule and a sentence', () => {
    const ids = checks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const c of checks) {
      expect(RULES.map((r) => r.id)).toContain(c.rule);
      expect(c.statement.startsWith(`${c.rule}.`), c.id).toBe(true);
      expect(c.sentence).toMatch(/^\S.{20,}\.$/);
    }
  });

  it('numbers every statement of wire.md once, each under a rule of DESIGN.md', () => {
    expect(statements.length).toBeGreaterThan(60);
    expect(new Set(statements).size).toBe(statements.length);
    for (const s of statements) expect(RULES.map((r) => r.id), s).toContain(s.split('.')[0]);
  });

  it('checks every statement of wire.md that can be observed from outside, and names why the others are not', () => {
    const checked = new Set(checks.map((c) => c.statement));
    for (const c of checks) expect(statements, `${c.id} checks ${c.statement}`).toContain(c.statement);
    for (const s of statements) expect(checked.has(s) || s in UNCHECKED_STATEMENTS, `${s} has no check and no reason`).toBe(true);
    for (const s of Object.keys(UNCHECKED_STATEMENTS)) {
      expect(statements, s).toContain(s);
      expect(checked.has(s), `${s} is checked yet listed as unchecked`).toBe(false);
    }
  });

  it('has at least three times the 31 checks the probe had before wire.md', () => {
    expect(checks.length).toBeGreaterThanOrEqual(93);
  });
});

describe('the generated server (createAgentUiServer, conformance: true)', () => {
  it('passes every check over WebSocket, SSE and poll, and every history check, with test timers (as alice, with bob for A2)', async () => {
    const server = await startGeneratedServer({ timers: true, users: true });
    closers.push(server.close);
    const report = await probe(server.url, { headers: { authorization: 'Bearer alice' }, otherHeaders: { authorization: 'Bearer bob' } });
    expect(failures(report)).toBe('');
    expect(report.skipped).toBe(0);
    expect(report.passed).toBe(report.results.length);
    for (const kind of ALL) {
      const ran = report.results.filter((r) => r.transport === kind).map((r) => r.id);
      expect(ran).toEqual(transportChecks.filter((c) => !c.only || c.only.includes(kind)).map((c) => c.id));
    }
    expect(report.results.filter((r) => r.endpoint === HISTORY).map((r) => r.id)).toEqual(historyChecks.map((c) => c.id));
    // A2: another principal was refused on every transport (resume) and on SSE and poll (POST).
    expect(report.results.filter((r) => r.rule === 'A2').map((r) => `${r.id}@${r.transport}`).sort()).toEqual(['other-principal-post@poll', 'other-principal-post@sse', 'other-principal-resume@poll', 'other-principal-resume@sse', 'other-principal-resume@websocket']);
    // The trigger never reached the application: the runtime answered it.
    expect(server.handled).toEqual([]);
  }, 120_000);

  it('with the spec’s timers, skips what would wait out a TTL or a heartbeat, and says why', async () => {
    const server = await startGeneratedServer();
    closers.push(server.close);
    const report = await probe(server.url, { timers: false, only: ['S4', 'Q4'] });
    expect(report.failed).toBe(0);
    const skipped = report.results.filter((r) => r.status === 'skip').map((r) => `${r.id}@${r.transport}`);
    expect(skipped).toEqual(expect.arrayContaining(['session-expired@websocket', 'heartbeat-arrives@sse', 'heartbeat-latest-seq@poll', 'post-expired@poll']));
    const ttl = report.results.find((r) => r.id === 'session-expired')!;
    expect(ttl.evidence).toContain('the session TTL is 120000 ms');
    expect(ttl.evidence).toContain('pass --timers');
    expect(report.results.find((r) => r.id === 'supersede')!.status).toBe('pass');
  }, 120_000);

  it('without conformance mode the trigger goes to the handler: only its reply comes, and the probe says the data is missing', async () => {
    const server = await startGeneratedServer({ conformance: false, timers: true });
    closers.push(server.close);
    const report = await probe(server.url, { transports: ['websocket'], timeoutMs: 300 });
    const short = report.results.find((r) => r.id === 'seq-fresh-gap-free')!;
    expect(short.ok).toBe(false);
    expect(short.evidence).toContain('expected 10 data messages, got chat.accepted');
    expect(server.handled.some((h) => h.type === 'chat.send')).toBe(true);
    for (const id of ['hello-fields', 'id-entropy', 'version-negotiation', 'version-unsupported', 'unknown-session-refused', 'wrong-token-like-unknown']) {
      expect(report.results.find((r) => r.id === id)?.ok, id).toBe(true);
    }
  }, 120_000);
});

describe('the reference server (tests/probe/reference: node:http and ws, written from wire.md)', () => {
  it('passes every check when no fault is on', async () => {
    const server = await startReferenceServer([], REFERENCE_TIMERS);
    closers.push(server.close);
    const report = await probe(server.url);
    expect(failures(report)).toBe('');
    expect(report.skipped).toBe(0);
    expect(report.results.length).toBeGreaterThanOrEqual(200);
  }, 120_000);

  it('cuts its window by bytes when the byte bound binds first, and the probe sees it (R3.4)', async () => {
    const server = await startReferenceServer([], REFERENCE_TIMERS, BYTE_BOUND);
    closers.push(server.close);
    const report = await probe(server.url, { spec: byteBound(), only: ['R3'] });
    expect(failures(report)).toBe('');
    const bounds = report.results.find((r) => r.id === 'window-bounds' && r.transport === 'websocket')!;
    expect(bounds.evidence).toMatch(/^earliest_seq \d+: \d{3} messages, \d+ bytes within 1000 \/ 65536$/);
  }, 120_000);
});

interface FaultCase {
  readonly fault: Fault;
  /** Run against the spec variant whose byte bound binds first. */
  readonly bytes?: boolean;
  /** Exactly the checks that must fail, as `id@transport` or `id@endpoint`. */
  readonly failing: readonly string[];
  /** A failing check (`id@place`) and text its evidence must contain. */
  readonly evidence?: readonly [string, string];
}

const FAULT_CASES: readonly FaultCase[] = [
{ fault: 'hello-takes-seq', failing: [...on(['resumed-hello', 'no-implicit-session', 'no-default-session', 'seq-fresh-gap-free', 'seq-per-session', 'refused-frame-no-seq', 'resume-replays-missed', 'resume-cross-transport', 'refused-resume-harmless', 'resume-window-edge', 'control-no-seq', 'frames-valid'], ALL), ...on(['ws-second-resume'], ['websocket']), ...on(['sse-last-event-id', 'sse-event-ids'], ['sse']), ...on(['heartbeat-latest-seq', 'poll-cursor-after'], ['poll'])], evidence: ['control-no-seq@sse', 'control frames carry header.seq'] },
  { fault: 'implicit-default-session', failing: [...on(['no-implicit-session', 'no-default-session'], ALL), ...on(['post-batch-partial'], ['sse', 'poll'])], evidence: ['no-implicit-session@sse', 'POSTed with the session’s token was answered HTTP 202 {"accepted":1,"frames":[]}; expected 400 with protocol.error session_required'] },
  { fault: 'index-cursor', failing: [...on(['ack-releases', 'header-ack-releases', 'resume-cursor-acks', 'resume-window-exceeded', 'resume-before-window', 'resume-window-edge', 'earliest-empty-window'], ALL), ...on(['window-bounds'], ['websocket', 'sse']), ...on(['resume-replays-missed', 'poll-cursor-after'], ['poll'])], evidence: ['resume-window-exceeded@websocket', 'expected resume_failed window_exceeded'] },
  { fault: 'unstamped-data', failing: [...on(['session-survives-detach', 'seq-fresh-gap-free', 'seq-per-session', 'refused-frame-no-seq', 'resume-cursor-acks', 'resume-replays-missed', 'resume-cross-transport', 'refused-resume-harmless', 'resume-window-edge', 'data-carries-seq', 'frames-valid'], ALL), ...on(['header-ack-releases', 'window-bounds'], ['websocket', 'sse']), ...on(['ws-second-resume'], ['websocket']), ...on(['sse-last-event-id', 'sse-event-ids'], ['sse']), ...on(['heartbeat-latest-seq', 'poll-cursor-after'], ['poll'])], evidence: ['data-carries-seq@websocket', 'data messages have no seq (≥ 1)'] },
  { fault: 'resume-ignores-frame-session', failing: [...on(['ws-resume-other-session'], ['websocket'])], evidence: ['ws-resume-other-session@websocket', 'was answered with resume_failed unknown_session (close 4003, resume failed); expected protocol.error session_required'] },
  { fault: 'counter-ids', failing: [...on(['id-entropy'], ALL)], evidence: ['id-entropy@poll', 'closest pair 0 bits apart'] },
  { fault: 'token-rotates', failing: [...on(['resume-negotiates', 'token-stable', 'resume-cursor-acks'], ALL), ...on(['supersede', 'resume-replays-missed'], ['sse', 'poll']), ...on(['resume-at-latest', 'poll-attachment-stale'], ['poll'])] },
  { fault: 'token-oracle', failing: [...on(['wrong-token-like-unknown'], ALL), ...on(['post-wrong-token-like-unknown'], ['sse', 'poll'])], evidence: ['wrong-token-like-unknown@websocket', 'wrong token → resume_failed unknown_session "that resume_token is wrong", close 4003'] },
  { fault: 'no-expiry', failing: [...on(['session-expired'], ALL), ...on(['post-expired'], ['sse', 'poll'])], evidence: ['post-expired@poll', 'answered HTTP 202 {"accepted":1,"acked":0,"frames":[]}; expected 410 with protocol.error session_expired'] },
  { fault: 'expired-oracle', failing: [...on(['expired-wrong-token'], ALL)] },
  { fault: 'supersede-wrong-close', failing: [...on(['supersede'], ['websocket'])] },
  { fault: 'no-supersede', failing: [...on(['supersede'], ALL)] },
  { fault: 'comment-heartbeat', failing: [...on(['heartbeat-arrives', 'heartbeat-latest-seq', 'sse-framing'], ['sse'])], evidence: ['sse-framing@sse', 'a comment ": heartbeat'] },
  { fault: 'heartbeat-stale-latest', failing: [...on(['heartbeat-latest-seq'], ALL)] },
  { fault: 'off-by-one-replay', failing: [...on(['resume-negotiates', 'token-stable', 'session-survives-detach', 'supersede', 'ack-ahead', 'resume-at-latest', 'resume-replays-missed', 'resumed-latest-seq', 'resume-cross-transport', 'resume-window-edge'], ALL), ...on(['ws-second-resume'], ['websocket']), ...on(['sse-last-event-id'], ['sse']), ...on(['poll-resume-without-flag', 'poll-attachment-stale'], ['poll'])] },
  { fault: 'ack-ignored', failing: [...on(['ack-releases', 'earliest-empty-window'], ALL)] },
  { fault: 'duplicate-handled', failing: [...on(['cseq-duplicate-acknowledged'], ALL)], evidence: ['cseq-duplicate-acknowledged@websocket', 'the trigger sent again with cseq 1 was handled again'] },
  { fault: 'gap-accepted', failing: [...on(['cseq-gap-refused'], ALL)] },
  { fault: 'reply-without-cseq', failing: [...on(['reply-names-cseq', 'reply-replayed'], ALL)], evidence: ['reply-names-cseq@sse', 'carries header.cseq undefined; expected 1, the frame it answers'] },
  { fault: 'reply-first', failing: [...on(['reply-names-cseq'], ALL)], evidence: ['reply-names-cseq@poll', 'came before data the handler emitted'] },
  { fault: 'resumed-hello-stale', failing: [...on(['resumed-hello', 'resumed-latest-seq'], ALL)] },
  { fault: 'window-count-only', bytes: true, failing: [...on(['window-bounds'], ['websocket', 'sse'])], evidence: ['window-bounds@websocket', 'is the longest run that fits 1000 messages and 65536 bytes'] },
  { fault: 'window-one-short', failing: [...on(['window-bounds'], ['websocket', 'sse'])], evidence: ['window-bounds@sse', '11..1010 is the longest run that fits 1000 messages'] },
  { fault: 'invalid-cursor-410', failing: [...on(['resume-invalid-cursor'], ['poll'])] },
  { fault: 'partial-replay', failing: [...on(['ack-releases', 'header-ack-releases', 'resume-cursor-acks', 'resume-window-exceeded', 'resume-before-window', 'resume-window-edge', 'earliest-empty-window'], ALL), ...on(['window-bounds'], ['websocket', 'sse'])] },
  { fault: 'sse-control-ids', failing: [...on(['sse-event-ids'], ['sse'])] },
  { fault: 'last-event-id-ignored', failing: [...on(['sse-last-event-id'], ['sse'])] },
  { fault: 'lenient-cursor', failing: [...on(['cursor-syntax-leading-zero', 'cursor-syntax-plus', 'cursor-syntax-fraction', 'cursor-syntax-too-large'], ['sse', 'poll'])] },
  { fault: 'missing-cursor-zero', failing: [...on(['poll-missing-cursor'], ['poll'])] },
  { fault: 'no-token-404', failing: [...on(['post-no-token'], ['sse', 'poll']), ...on(['poll-no-token'], ['poll'])] },
  { fault: 'second-resume-closes', failing: [...on(['ws-second-resume', 'ws-second-resume-wrong-token'], ['websocket'])] },
  { fault: 'version-lowest', failing: [...on(['hello-fields', 'version-negotiation'], ALL)] },
  { fault: 'bare-error-body', failing: [...on(['no-implicit-session', 'no-default-session', 'post-unknown-session', 'post-wrong-token-like-unknown', 'post-expired', 'refused-frame-no-seq', 'post-no-token', 'post-resume-refused', 'malformed-frame', 'not-a-frame', 'unknown-type', 'invalid-message', 'post-batch-partial', 'frame-too-large', 'cseq-gap-refused'], ['sse', 'poll'])], evidence: ['post-unknown-session@poll', 'was refused with HTTP 404, but the body is not { "accepted": n, "frames": [...] } (L1.5)'] },
  { fault: 'no-version-refusal', failing: [...on(['version-unsupported', 'resume-negotiates'], ALL)] },
  { fault: 'post-200', failing: [...on(['token-in-query', 'ack-releases', 'ack-ahead', 'earliest-empty-window', 'post-accepted', 'cseq-duplicate-acknowledged', 'cseq-gap-refused', 'resumed-acked'], ['sse', 'poll'])] },
  { fault: 'batch-all-or-nothing', failing: [...on(['post-batch-partial'], ['sse', 'poll'])] },
  { fault: 'no-request-id', failing: [...on(['invalid-message'], ALL)] },
  { fault: 'error-closes-socket', failing: [...on(['no-implicit-session', 'no-default-session', 'ws-other-session', 'refused-frame-no-seq', 'malformed-frame', 'not-a-frame', 'unknown-type', 'invalid-message', 'ws-binary', 'frame-too-large'], ['websocket'])] },
  { fault: 'descending-history', failing: [...on(['history-whole-log', 'history-newest-window', 'history-selection', 'history-paging', 'history-tail-sync'], [HISTORY])], evidence: ['history-newest-window@conversationHistory', '?limit=31 → seqs 120 down to 90; expected 90..120'] },
  { fault: 'limit-zero-accepted', failing: [...on(['history-400-limit-zero'], [HISTORY])], evidence: ['history-400-limit-zero@conversationHistory', '?limit=0 → HTTP 200 with 120 items; expected 400 naming limit'] },
  { fault: 'repeated-parameter-first-wins', failing: [...on(['history-400-repeated-parameter'], [HISTORY])] },
  { fault: 'empty-selection-400', failing: [...on(['history-empty-selection'], [HISTORY])] },
  { fault: 'unreadable-refusal', failing: [...on(['unknown-session-refused', 'wrong-token-like-unknown', 'session-expired', 'expired-wrong-token', 'refused-resume-harmless', 'frames-are-json', 'frames-valid'], ['poll'])], evidence: ['wrong-token-like-unknown@poll', 'a wrong token was answered with nothing (HTTP 404, body no such session): no resume_failed to compare'] },
  { fault: 'poll-answers-at-once', failing: [...on(['supersede', 'poll-two-at-once', 'heartbeat-arrives', 'heartbeat-latest-seq'], ['poll'])], evidence: ['heartbeat-arrives@poll', 'polls)'] },
];

/**
 * The rules a fault touches: its own statement's and those of every check it must fail, and Q2
 * (which produces data) when one of those is an audit of what the others received.
 */
function rulesOf(c: FaultCase): string[] {
  const ids = new Set(c.failing.map((f) => f.split('@')[0]!));
  const touched = checks.filter((x) => ids.has(x.id));
  const audits = touched.some((x) => x.scope === 'transport' && x.audit) ? ['Q2'] : [];
  return [...new Set([FAULTS[c.fault].split('.')[0]!, ...touched.map((x) => x.rule), ...audits])];
}

describe('the fault matrix', () => {
  it('has a case for every fault, at least 25', () => {
    expect(FAULT_CASES.map((c) => c.fault).sort()).toEqual(Object.keys(FAULTS).sort());
    expect(FAULT_CASES.length).toBeGreaterThanOrEqual(25);
  });

  describe.concurrent.each(FAULT_CASES)('$fault', (c) => {
    it('fails exactly the checks the fault breaks among the checks of the rules it touches, with evidence', async () => {
      const server = await startReferenceServer([c.fault], REFERENCE_TIMERS, c.bytes ? BYTE_BOUND : undefined);
      try {
        const report = await probe(server.url, { only: rulesOf(c), timeoutMs: 1500, ...(c.bytes ? { spec: byteBound() } : {}) });
        expect(failing(report), failures(report)).toEqual([...c.failing].sort());
        if (c.evidence) {
          const [where, text] = c.evidence;
          const result = report.results.find((r) => `${r.id}@${r.transport ?? r.endpoint}` === where)!;
          expect(result.evidence).toContain(text);
        }
        expect(report.passed + report.failed + report.skipped).toBe(report.results.length);
      } finally {
        await server.close();
      }
    }, 120_000);
  });
});
