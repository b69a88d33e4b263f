/**
 * R1–R4 and S3 over real sockets: after a forced disconnect a resume replays exactly the missed
 * data and then live data (no loss, no duplicate); refusals name their reason (window_exceeded
 * with earliest_seq, invalid_cursor, unknown_session) the same way on every transport, a wrong
 * token is indistinguishable from an unknown id; and one session moves WebSocket → SSE → poll →
 * WebSocket → … with every message delivered exactly once. (Expiry: expiry.test.ts.)
 */
import type { MemorySessionStore } from '../../runtime/server/memory-store.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanup,
  expectRefused,
  expectResumed,
  FAKE_SESSION_ID,
  FAKE_TOKEN,
  isData,
  KINDS,
  openSession,
  range,
  resumeChannel,
  seqsOf,
  startServer,
  waitFor,
  type Channel,
  type Frame,
  type Kind,
  type TestServer,
} from './helpers.js';

afterEach(cleanup);

describe.each(KINDS)('resume over %s after a forced disconnect (R1, R2)', (kind: Kind) => {
  it.each([
    ['the last seq received', 3],
    ['an older cursor (the client processed less than it got)', 1],
  ])('from %s: exactly the missed messages, then live ones', async (_name, cursor) => {
    let lastSeen = cursor;
    const server = await startServer();
    const s = await openSession(server, 'websocket');
    const first = await resumeChannel(server, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: 0 });
    s.ch.drop();
    await expectResumed(first, s.sessionId, 1, 0);
    server.emit(s.sessionId, 3);
    expect(seqsOf(await first.data(3))).toEqual([1, 2, 3]);

    first.drop();
    server.emit(s.sessionId, 2); // the server keeps emitting while nobody listens
    await waitFor(() => server.transportOf(s.sessionId) === undefined || kind === 'poll', 'the server to notice the disconnect');
    server.emit(s.sessionId, 1);

    if (kind === 'poll' && lastSeen < 3) {
      // Over poll the cursor of each poll acknowledges (Q5): the poll after seq 3 said "processed
      // 3", so seqs 1..3 are released and an older cursor is refused, never half-served (R3).
      const refused = await resumeChannel(server, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: lastSeen });
      expect((await expectRefused(refused, 'window_exceeded')).payload).toMatchObject({ earliest_seq: 4, latest_seq: 6 });
      lastSeen = 3;
    }
    const again = await resumeChannel(server, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: lastSeen });
    let replay: Frame[];
    if (kind === 'poll') {
      // Within the lease a poll is a continuation of the same attachment: just the data after the cursor.
      replay = await again.data(6 - lastSeen);
    } else {
      replay = await expectResumed(again, s.sessionId, lastSeen + 1, 6);
    }
    expect(seqsOf(replay)).toEqual(range(lastSeen + 1, 6));
    server.emit(s.sessionId, 2);
    expect(seqsOf(await again.data(2))).toEqual([7, 8]);
    await again.idle();
    expect(server.transportOf(s.sessionId)).toBe(kind);
  });
});

describe('resume specifics', () => {
  it('poll: the token may travel as resume_token in the query (S5)', async () => {
    const server = await startServer();
    const s = await openSession(server, 'websocket');
    server.emit(s.sessionId, 2);
    const p = await resumeChannel(server, 'poll', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 1, tokenInQuery: true });
    expect(seqsOf(await expectResumed(p, s.sessionId, 2, 2))).toEqual([2]);
  });

  it('SSE: Last-Event-ID wins over last_seen_seq', async () => {
    const server = await startServer();
    const s = await openSession(server, 'sse');
    server.emit(s.sessionId, 5);
    const data = await s.ch.data(5);
    const lastId = s.ch.idOf(data[3]!)!;
    expect(lastId).toBe('4');
    s.ch.drop();
    const again = await resumeChannel(server, 'sse', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 0, lastEventId: lastId });
    expect(seqsOf(await expectResumed(again, s.sessionId, 5, 5))).toEqual([5]);
  });

  it('WebSocket: protocol.resume on the live connection replays again from its cursor', async () => {
    const server = await startServer();
    const s = await openSession(server, 'websocket');
    server.emit(s.sessionId, 3);
    await s.ch.data(3);
    await s.ch.send({ type: 'protocol.resume', header: { session_id: s.sessionId }, payload: { resume_token: s.token, last_seen_seq: 1 } });
    const resumed = await s.ch.next('protocol.resumed');
    expect(resumed.payload).toEqual({ from_seq: 2, latest_seq: 3, acked: 0 });
    expect(seqsOf(await s.ch.data(2))).toEqual([2, 3]);
  });

  it('onSessionResume runs after the replay: what it emits follows the replayed data', async () => {
    const server = await startServer({
      handlers: {
        onSessionResume(ctx) {
          ctx.emit.uiRender({ view_id: 'main', root: { id: 'root', component: 'Column', props: { transport: ctx.session.transport } } });
        },
      },
    });
    const s = await openSession(server, 'websocket');
    server.emit(s.sessionId, 2);
    await s.ch.data(2);
    s.ch.drop();
    const again = await resumeChannel(server, 'sse', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 1 });
    expect(seqsOf(await expectResumed(again, s.sessionId, 2, 2))).toEqual([2]);
    const [render] = await again.data(1);
    expect(render).toMatchObject({ type: 'ui.render', header: { seq: 3 }, payload: { root: { props: { transport: 'sse' } } } });
  });

  it('an ack (Q5) releases the window: a resume from before it is window_exceeded', async () => {
    const server = await startServer();
    const s = await openSession(server, 'websocket');
    server.emit(s.sessionId, 4);
    await s.ch.data(4);
    await s.ch.send({ type: 'protocol.ack', header: { session_id: s.sessionId }, payload: { last_seen_seq: 3 } });
    await waitFor(() => (server.app.core.store as MemorySessionStore).peek(s.sessionId)!.earliestSeq === 4, 'the ack to release seqs 1..3');
    s.ch.drop();
    const bad = await resumeChannel(server, 'websocket', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 2 });
    expect((await expectRefused(bad, 'window_exceeded')).payload).toMatchObject({ earliest_seq: 4, latest_seq: 4 });
    const good = await resumeChannel(server, 'websocket', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 3 });
    expect(seqsOf(await expectResumed(good, s.sessionId, 4, 4))).toEqual([4]);
  });
});

describe.each(KINDS)('refused resumes over %s (R3, S3)', (kind: Kind) => {
  /** A session with `n` data messages whose first attachment (a WebSocket) is gone. */
  async function detached(server: TestServer, n: number) {
    const s = await openSession(server, 'websocket');
    if (n > 0) server.emit(s.sessionId, n);
    s.ch.drop();
    await waitFor(() => server.transportOf(s.sessionId) === undefined, 'the server to notice the disconnect');
    return s;
  }

  it('window_exceeded with earliest_seq when the cursor is older than the window; the session survives', async () => {
    const server = await startServer({ contract: { replayWindow: { maxMessages: 5, maxBytes: 1_048_576 } } });
    const s = await detached(server, 10);
    const ch = await resumeChannel(server, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: 2 });
    const f = await expectRefused(ch, 'window_exceeded');
    expect(f.payload).toMatchObject({ earliest_seq: 6, latest_seq: 10 });
    expect(f.payload.message).toMatch(/history/);
    // The refusal did not take the session over; the edge of the window still resumes.
    expect(server.alive(s.sessionId)).toBe(true);
    const ok = await resumeChannel(server, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: 5 });
    expect(seqsOf(await expectResumed(ok, s.sessionId, 6, 10))).toEqual(range(6, 10));
  });

  it('window_exceeded also when the window is bounded by bytes', async () => {
    const server = await startServer({ contract: { replayWindow: { maxMessages: 1000, maxBytes: 1000 } } });
    const s = await detached(server, 12); // ~200 bytes each: the window keeps the newest few
    const earliest = (server.app.core.store as MemorySessionStore).peek(s.sessionId)!.earliestSeq;
    expect(earliest).toBeGreaterThan(2);
    const ch = await resumeChannel(server, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: earliest - 2 });
    expect((await expectRefused(ch, 'window_exceeded')).payload).toMatchObject({ earliest_seq: earliest, latest_seq: 12 });
  });

  it('invalid_cursor when the cursor is ahead of latest_seq', async () => {
    const server = await startServer();
    const s = await detached(server, 3);
    const ch = await resumeChannel(server, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: 4 });
    expect((await expectRefused(ch, 'invalid_cursor')).payload).toMatchObject({ latest_seq: 3 });
    const ok = await resumeChannel(server, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: 3 });
    expect(await expectResumed(ok, s.sessionId, 4, 3)).toEqual([]);
  });

  it('a wrong token answers exactly like an unknown session id (no oracle)', async () => {
    const server = await startServer();
    const s = await detached(server, 2);
    const wrong = await resumeChannel(server, kind, { sessionId: s.sessionId, token: FAKE_TOKEN, lastSeenSeq: 0 });
    const wrongFrame = await expectRefused(wrong, 'unknown_session');
    const unknown = await resumeChannel(server, kind, { sessionId: FAKE_SESSION_ID, token: s.token, lastSeenSeq: 0 });
    const unknownFrame = await expectRefused(unknown, 'unknown_session');
    expect(wrongFrame).toEqual(unknownFrame);
    expect(wrong.status).toBe(unknown.status);
    // The wrong token did not disturb the session.
    const ok = await resumeChannel(server, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: 0 });
    expect(seqsOf(await expectResumed(ok, s.sessionId, 1, 2))).toEqual([1, 2]);
  });

});

describe('one session moves between transports (R4)', () => {
  it('WebSocket → SSE → poll → WebSocket → poll → SSE → WebSocket: every message exactly once', async () => {
    const server = await startServer();
    const s = await openSession(server, 'websocket');
    const processed: number[] = [];
    const take = async (ch: Channel, n: number): Promise<void> => {
      for (const f of await ch.data(n)) processed.push(f.header.seq);
    };
    let current: Channel = s.ch;
    server.emit(s.sessionId, 3);
    await take(current, 3);

    const route: { to: Kind; how: 'drop' | 'supersede' }[] = [
      { to: 'sse', how: 'drop' },
      { to: 'poll', how: 'supersede' },
      { to: 'websocket', how: 'supersede' },
      { to: 'poll', how: 'drop' },
      { to: 'sse', how: 'supersede' },
      { to: 'websocket', how: 'drop' },
    ];
    for (const step of route) {
      if (step.how === 'drop') {
        current.drop();
        server.emit(s.sessionId, 2); // emitted between transports
      } else {
        server.emit(s.sessionId, 1); // delivered live to the attachment about to be superseded
        await take(current, 1);
      }
      const cursor = processed[processed.length - 1]!;
      const latest = server.latestSeq(s.sessionId);
      const previous = current;
      current = await resumeChannel(server, step.to, { sessionId: s.sessionId, token: s.token, lastSeenSeq: cursor });
      const replay = await expectResumed(current, s.sessionId, cursor + 1, latest);
      processed.push(...seqsOf(replay));
      if (step.how === 'supersede') {
        const notice = await previous.next('protocol.error');
        expect(notice.payload.code).toBe('superseded');
      }
      server.emit(s.sessionId, 2); // live on the new attachment
      await take(current, 2);
      expect(server.transportOf(s.sessionId)).toBe(step.to);
    }
    await current.idle();
    const latest = server.latestSeq(s.sessionId);
    expect(latest).toBe(3 + 2 * 3 + 1 * 3 + 2 * route.length);
    expect(processed).toEqual(range(1, latest));
  });

  it('data never rides a refused or foreign attachment: a failed resume on another transport changes nothing', async () => {
    const server = await startServer();
    const s = await openSession(server, 'sse');
    server.emit(s.sessionId, 2);
    await s.ch.data(2);
    const refused = await resumeChannel(server, 'poll', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 9 });
    await expectRefused(refused, 'invalid_cursor');
    server.emit(s.sessionId, 1);
    expect(seqsOf(await s.ch.data(1))).toEqual([3]);
    expect(s.ch.log.filter((f) => !isData(f)).map((f) => f.type)).toEqual(['protocol.hello']);
  });
});
