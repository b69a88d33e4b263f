/**
 * Bad server behaviour the client must survive, against a fake server that speaks the protocol by
 * hand over WebSocket, SSE and poll: repeated seqs, skipped seqs, invalid frames, connections that
 * end in the middle of a frame, a heartbeat that shows a lost tail, resume_failed, superseded and
 * unsupported_version.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TransportKind } from '../../generated/runtime/contract.js';
import { cleanup, END, FAKE_SESSION, FAKE_TOKEN, frames, KILL, nextEvent, range, record, resumeAnswer, sleep, startClient, startFakeServer, TRANSPORTS, waitFor, type FakeRequest, type Step } from './helpers.js';

afterEach(cleanup);

/** The n-th connection (WS, SSE) or GET (poll) gets `steps[n - 1]`; later ones get nothing (WS/SSE stay open, polls are held and answered empty). */
const scripted =
  (steps: Step[][]) =>
  (req: FakeRequest): Step[] =>
    steps[req.n - 1] ?? [];

const SECOND_SESSION = 'secondSession0123456789AB';

describe.each(TRANSPORTS)('a misbehaving server over %s', (transport: TransportKind) => {
  it('repeats seqs: the client drops the duplicates and the application sees each message once', async () => {
    const fake = await startFakeServer(scripted([[frames.hello(), frames.data(1), frames.data(2), frames.data(2), frames.data(3), frames.data(1), frames.data(3), frames.data(4)]]));
    const client = startClient(fake.url, { transport });
    const rec = record(client);
    await waitFor(() => rec.seqs.length >= 4, 'seqs 1..4', 5000, rec.summary);
    await sleep(100);
    expect(rec.seqs).toEqual([1, 2, 3, 4]);
    expect(rec.ofKind('sequence').map((e) => [e.verdict, e.seq, e.lastSeen])).toEqual([
      ['duplicate', 2, 2],
      ['duplicate', 1, 3],
      ['duplicate', 3, 3],
    ]);
    expect(client.lastSeenSeq).toBe(4);
    expect(rec.reconnects).toBe(0); // a duplicate is dropped, not a reason to reconnect
  });

  it('skips a seq: the client resumes from the last seen one and then gets the missing one', async () => {
    const fake = await startFakeServer(scripted([[frames.hello(), frames.data(1), frames.data(2), frames.data(4), frames.data(5)], resumeAnswer(2, 5)]));
    const client = startClient(fake.url, { transport });
    const rec = record(client);
    await waitFor(() => rec.seqs.length >= 5, 'seqs 1..5', 5000, rec.summary);
    await sleep(100);
    expect(rec.seqs).toEqual([1, 2, 3, 4, 5]);
    expect(rec.ofKind('sequence')[0]).toMatchObject({ verdict: 'gap', seq: 4, lastSeen: 2 });
    // R1: the resume names the session, its token and the last seq processed.
    expect(fake.requests[1]).toMatchObject({ kind: transport, resume: { sessionId: FAKE_SESSION, token: FAKE_TOKEN, lastSeenSeq: 2 } });
    expect(rec.ofKind('session').map((s) => s.resumed)).toEqual([false, true]);
  });

  it('answers every resume with the same gap: the client backs off instead of reconnecting in a loop', async () => {
    const fake = await startFakeServer((req) => (req.n === 1 ? [frames.hello(), frames.data(1), frames.data(3)] : [frames.hello(), frames.resumed(3, 3), frames.data(3)]));
    // random just under 1: each delay is its cap minus 1 ms — 0 (the first gap), 99, 199, 399, 799…
    const client = startClient(fake.url, { transport, backoff: { initialMs: 100, maxMs: 10_000, random: () => 0.999 } });
    const rec = record(client);
    await sleep(1000);
    // Without backoff this is hundreds of connections a second.
    expect(fake.requests.length).toBeGreaterThanOrEqual(3);
    expect(fake.requests.length).toBeLessThanOrEqual(6);
    expect(rec.seqs).toEqual([1]);
    expect(fake.requests.slice(1).every((r) => r.resume?.lastSeenSeq === 1)).toBe(true);
  });

  it('a heartbeat whose latest_seq is ahead (a lost tail) triggers a resume that recovers the tail', async () => {
    const fake = await startFakeServer(scripted([[frames.hello(), frames.data(1), frames.heartbeat(1), frames.heartbeat(3)], resumeAnswer(1, 3)]));
    const client = startClient(fake.url, { transport });
    const rec = record(client);
    await waitFor(() => rec.seqs.length >= 3, 'seqs 1..3', 5000, rec.summary);
    await sleep(100);
    expect(rec.seqs).toEqual([1, 2, 3]);
    expect(rec.ofKind('sequence')).toEqual([{ kind: 'sequence', verdict: 'gap', seq: 3, lastSeen: 1 }]);
    expect(fake.requests[1]!.resume).toMatchObject({ lastSeenSeq: 1 });
  });

  it('sends frames that fail validation: an invalid_frame error event each, and the client keeps going', async () => {
    const badData = { type: 'agent.event', header: { session_id: FAKE_SESSION, seq: 2 }, payload: { conversation_id: 'c-1', kind: 'nonsense' } };
    const unknownType = { type: 'agent.unknown', header: {}, payload: {} };
    const badHello = { type: 'protocol.hello', header: {}, payload: { protocol_version: '9.9' } };
    const fake = await startFakeServer(scripted([[frames.hello(), frames.data(1), badData, unknownType, badHello, frames.data(3), frames.data(4)]]));
    const client = startClient(fake.url, { transport });
    const rec = record(client);
    await waitFor(() => rec.seqs.includes(4), 'seq 4', 5000, rec.summary);
    await sleep(100);
    // The invalid data frame consumed its seq (loudly) so a replay of it cannot loop; 3 and 4 follow.
    expect(rec.seqs).toEqual([1, 3, 4]);
    const errors = rec.ofKind('error');
    expect(errors.map((e) => e.code)).toEqual(['invalid_frame', 'invalid_frame', 'invalid_frame']);
    expect(errors[0]!.message).toMatch(/payload/);
    expect(client.state).toBe('open');
    expect(client.sessionId).toBe(FAKE_SESSION);
    expect(rec.reconnects).toBe(0);
  });

  it('resume_failed (window_exceeded) is surfaced with reason and earliest_seq; the client then starts a new session', async () => {
    const first = transport === 'poll' ? [[frames.hello(), frames.data(1), frames.data(2)], [KILL], [{ status: 410 }, frames.resumeFailed('window_exceeded', { earliest_seq: 1500, latest_seq: 2600 })]] : [[frames.hello(), frames.data(1), frames.data(2), KILL], [frames.resumeFailed('window_exceeded', { earliest_seq: 1500, latest_seq: 2600 }), END]];
    const fake = await startFakeServer(scripted([...first, [frames.hello({ sessionId: SECOND_SESSION }), frames.data(1, SECOND_SESSION), frames.data(2, SECOND_SESSION)]]));
    const client = startClient(fake.url, { transport });
    const rec = record(client);
    const failed = nextEvent(client, 'resume-failed');
    await waitFor(() => client.sessionId === SECOND_SESSION && rec.seqs.length >= 4, 'the second session', 5000, rec.summary);
    expect(await failed).toEqual({ kind: 'resume-failed', reason: 'window_exceeded', message: 'resume refused: window_exceeded', earliestSeq: 1500, latestSeq: 2600 });
    // The failed resume asked from seq 2; the next connection asked for a new session.
    const resumes = fake.requests.filter((r) => r.resume && r.resume.sessionId === FAKE_SESSION);
    expect(resumes.at(-1)!.resume!.lastSeenSeq).toBe(2);
    const fresh = fake.requests.filter((r) => !r.resume);
    expect(fresh).toHaveLength(2);
    expect(rec.seqs).toEqual([1, 2, 1, 2]); // the new session starts at seq 1 (Q2)
    expect(rec.ofKind('session').map((s) => [s.sessionId, s.resumed])).toEqual([
      [FAKE_SESSION, false],
      [SECOND_SESSION, false],
    ]);
    expect(client.lastSeenSeq).toBe(2);
  });

  it("resume_failed with onResumeFailed: 'stop' surfaces the event and stops the client", async () => {
    const first = transport === 'poll' ? [[frames.hello(), frames.data(1)], [KILL], [{ status: 410 }, frames.resumeFailed('window_exceeded', { earliest_seq: 7 })]] : [[frames.hello(), frames.data(1), KILL], [frames.resumeFailed('window_exceeded', { earliest_seq: 7 }), END]];
    const fake = await startFakeServer(scripted(first));
    const client = startClient(fake.url, { transport, onResumeFailed: 'stop' });
    const rec = record(client);
    const failed = await nextEvent(client, 'resume-failed');
    expect(failed).toMatchObject({ reason: 'window_exceeded', earliestSeq: 7 });
    await waitFor(() => client.state === 'closed', 'the client to stop', 2000, rec.summary);
    const count = fake.requests.length;
    await sleep(300);
    expect(fake.requests).toHaveLength(count); // no new session, no reconnect loop
    expect(rec.seqs).toEqual([1]);
  });

  it('protocol.error superseded stops the client: no reconnect loop', async () => {
    const fake = await startFakeServer(scripted(transport === 'poll' ? [[frames.hello(), frames.data(1)], [frames.error('superseded')]] : [[frames.hello(), frames.data(1), frames.error('superseded'), END]]));
    const client = startClient(fake.url, { transport });
    const rec = record(client);
    await waitFor(() => client.state === 'closed', 'the client to stop', 5000, rec.summary);
    const count = fake.requests.length;
    await sleep(300);
    expect(fake.requests).toHaveLength(count);
    expect(rec.ofKind('error').map((e) => e.code)).toEqual(['superseded']);
    expect(rec.seqs).toEqual([1]);
  });

  it('protocol.error unsupported_version stops the client (H2)', async () => {
    const refusal = frames.error('unsupported_version', { supported_versions: ['1.0'] });
    const fake = await startFakeServer(scripted(transport === 'poll' ? [[{ status: 400 }, refusal]] : [[refusal, END]]));
    const client = startClient(fake.url, { transport, versions: ['1.1'] });
    const rec = record(client);
    await waitFor(() => client.state === 'closed', 'the client to stop', 5000, rec.summary);
    await sleep(300);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.versions).toEqual(['1.1']);
    expect(rec.ofKind('error').map((e) => e.code)).toEqual(['unsupported_version']);
    expect(client.sessionId).toBeUndefined();
  });
});

describe('invalid frames that are not JSON (WebSocket and SSE; a poll answer is one JSON body)', () => {
  it.each(['websocket', 'sse'] as const)('%s: a frame that is not JSON is an invalid_frame error event and the stream goes on', async (transport) => {
    const notJson = transport === 'sse' ? { raw: 'data: {"type": "agent.event", oops\n\n' } : { raw: '{"type": "agent.event", oops' };
    const fake = await startFakeServer(scripted([[frames.hello(), frames.data(1), notJson, frames.data(2)]]));
    const client = startClient(fake.url, { transport });
    const rec = record(client);
    await waitFor(() => rec.seqs.length >= 2, 'seqs 1..2', 5000, rec.summary);
    expect(rec.seqs).toEqual([1, 2]);
    expect(rec.ofKind('error')).toEqual([{ kind: 'error', code: 'invalid_frame', message: 'the server sent a frame that is not JSON; it was dropped' }]);
    expect(client.state).toBe('open');
    expect(rec.reconnects).toBe(0);
  });
});

describe('a server that closes in the middle of a frame', () => {
  const partial = JSON.stringify(frames.data(3)).slice(0, 40);

  it.each([
    ['ends the stream', END],
    ['drops the connection', KILL],
  ] as const)('SSE: a stream that %s in the middle of a data: line loses nothing — the client resumes', async (_what, how) => {
    const fake = await startFakeServer(scripted([[frames.hello(), frames.data(1), frames.data(2), { raw: `id: 3\ndata: ${partial}` }, how], resumeAnswer(2, 5)]));
    const client = startClient(fake.url, { transport: 'sse' });
    const rec = record(client);
    await waitFor(() => rec.seqs.length >= 5, 'seqs 1..5', 5000, rec.summary);
    await sleep(100);
    expect(rec.seqs).toEqual(range(1, 5));
    expect(fake.requests[1]!.resume).toMatchObject({ lastSeenSeq: 2, token: FAKE_TOKEN });
    expect(rec.ofKind('error')).toEqual([]); // the partial event was never dispatched
    expect(rec.reconnects).toBe(1);
  });

  it('poll: a truncated JSON body loses nothing — the client polls again from its cursor', async () => {
    const fake = await startFakeServer(scripted([[frames.hello(), frames.data(1), frames.data(2)], [frames.data(3), frames.data(4), { truncate: true }], resumeAnswer(2, 5)]));
    const client = startClient(fake.url, { transport: 'poll' });
    const rec = record(client);
    await waitFor(() => rec.seqs.length >= 5, 'seqs 1..5', 5000, rec.summary);
    await sleep(100);
    expect(rec.seqs).toEqual(range(1, 5));
    expect(fake.requests.map((r) => r.resume?.lastSeenSeq)).toEqual([undefined, 2, 2, 5, ...fake.requests.slice(4).map(() => 5)]);
    expect(rec.ofKind('error')).toEqual([]);
  });

  it('WebSocket: a terminated connection loses nothing — the client resumes with protocol.resume', async () => {
    const fake = await startFakeServer(scripted([[frames.hello(), frames.data(1), frames.data(2), KILL], resumeAnswer(2, 5)]));
    const client = startClient(fake.url, { transport: 'websocket' });
    const rec = record(client);
    await waitFor(() => rec.seqs.length >= 5, 'seqs 1..5', 5000, rec.summary);
    await sleep(100);
    expect(rec.seqs).toEqual(range(1, 5));
    // R1 over WebSocket: the token travels in the protocol.resume frame, never in the URL.
    expect(fake.received[0]).toEqual({ type: 'protocol.resume', header: { session_id: FAKE_SESSION }, payload: { resume_token: FAKE_TOKEN, last_seen_seq: 2 } });
    expect(rec.reconnects).toBe(1);
  });
});
