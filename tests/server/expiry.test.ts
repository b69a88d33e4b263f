/**
 * S4 with real clocks: a session outlives its transport for the TTL and is then gone —
 * session_expired for the holder of the token, unknown_session for anyone else (S3) — while an
 * attached session never expires; a poll attachment lapses when its client stops polling. The
 * contract is shrunk (FAST: TTL 1.5 s, sweeps every 300 ms) so that this takes seconds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  chatSend,
  cleanup,
  expectRefused,
  expectResumed,
  FAKE_SESSION_ID,
  FAKE_TOKEN,
  FAST,
  KINDS,
  openSession,
  postMessages,
  resumeChannel,
  seqsOf,
  startServer,
  waitFor,
  type Kind,
} from './helpers.js';

afterEach(cleanup);

describe.each(KINDS)('expiry over %s (S3, S4)', (kind: Kind) => {
  it('session_expired after the TTL; with a wrong token the expired id is unknown_session', async () => {
    const ends: string[] = [];
    const server = await startServer({ contract: FAST, handlers: { onSessionEnd: (session, reason) => void ends.push(`${session.id}:${reason}`) } });
    const s = await openSession(server, kind);
    server.emit(s.sessionId, 1);
    await s.ch.data(1);
    s.ch.drop();
    await waitFor(() => !server.alive(s.sessionId), 'the session to expire', 6000);
    expect(ends).toEqual([`${s.sessionId}:expired`]);

    const expired = await resumeChannel(server, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: 1 });
    expect((await expectRefused(expired, 'session_expired')).payload.message).toMatch(/expired/);
    const wrong = await resumeChannel(server, kind, { sessionId: s.sessionId, token: FAKE_TOKEN, lastSeenSeq: 1 });
    const wrongFrame = await expectRefused(wrong, 'unknown_session');
    const unknown = await resumeChannel(server, kind, { sessionId: FAKE_SESSION_ID, token: FAKE_TOKEN, lastSeenSeq: 1 });
    expect(await expectRefused(unknown, 'unknown_session')).toEqual(wrongFrame);
    expect(wrong.status).toBe(unknown.status);
  });
});

describe('expired sessions over POST (S3, S4)', () => {
  it('right token → 410 session_expired; wrong token → 404 unknown_session like an unknown id', async () => {
    const server = await startServer({ contract: FAST });
    const s = await openSession(server, 'sse');
    s.ch.drop();
    await waitFor(() => !server.alive(s.sessionId), 'the session to expire', 6000);
    const expired = await postMessages(server, chatSend(s.sessionId), s.token);
    expect(expired.status).toBe(410);
    expect(expired.body!.frames[0]!.payload.code).toBe('session_expired');
    const wrong = await postMessages(server, chatSend(s.sessionId), FAKE_TOKEN);
    const unknown = await postMessages(server, chatSend(FAKE_SESSION_ID), FAKE_TOKEN);
    expect(wrong.status).toBe(404);
    expect(wrong).toEqual(unknown);
    expect(wrong.body!.frames[0]!.payload.code).toBe('unknown_session');
    expect(server.handled).toEqual([]);
  });
});

describe('the TTL counts from the detach (S4)', () => {
  it('sessions attached over each transport outlive the TTL; each still gets its next message', async () => {
    const server = await startServer({ contract: FAST });
    const sessions = await Promise.all(KINDS.map((k) => openSession(server, k)));
    // TTL 1500 ms, sweeps every 300 ms: a detached session would be gone by now.
    await new Promise((r) => setTimeout(r, server.contract.session.ttlMs + 700));
    for (const s of sessions) {
      expect(server.alive(s.sessionId), s.ch.kind).toBe(true);
      expect(server.transportOf(s.sessionId)).toBe(s.ch.kind);
      server.emit(s.sessionId, 1);
      expect(seqsOf(await s.ch.data(1))).toEqual([1]);
    }
  });
});

describe('poll attachments lapse (S4)', () => {
  it('poll: after the attachment lapsed, a poll is a resume — hello, resumed, the replay', async () => {
    const server = await startServer({ contract: FAST });
    const s = await openSession(server, 'poll');
    server.emit(s.sessionId, 2);
    expect(seqsOf(await s.ch.data(2))).toEqual([1, 2]);
    s.ch.drop();
    server.emit(s.sessionId, 2);
    await waitFor(() => server.transportOf(s.sessionId) === undefined, 'the poll attachment to lapse');
    const again = await resumeChannel(server, 'poll', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 2 });
    expect(seqsOf(await expectResumed(again, s.sessionId, 3, 4))).toEqual([3, 4]);
    server.emit(s.sessionId, 1);
    expect(seqsOf(await again.data(1))).toEqual([5]);
  });
});
