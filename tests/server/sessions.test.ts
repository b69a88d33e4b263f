/**
 * S2–S5 over real sockets: there is no default session (frames without a session, with an
 * unknown one or another client's one are refused with typed errors, never routed), POSTs need
 * the token, and a second attachment of a session supersedes the first with a reason, whichever
 * transports the two use.
 */
import type { MemorySessionStore } from '../../runtime/server/memory-store.js';
import { afterEach, describe, expect, it } from 'vitest';
import { validateProtocolError } from '../../generated/validators.js';
import {
  chatSend,
  cleanup,
  connectSse,
  FAKE_SESSION_ID,
  FAKE_TOKEN,
  KINDS,
  openSession,
  pollOnce,
  postMessages,
  resumeChannel,
  seqsOf,
  sleep,
  startServer,
  type Kind,
} from './helpers.js';

afterEach(cleanup);

describe('no default session over WebSocket (S2, S5)', () => {
  it.each([
    ['a frame without header.session_id', (_own: string, _other: string) => chatSend(undefined), 'session_required', '/header/session_id'],
    ['a frame without a header', () => ({ type: 'chat.send', payload: { conversation_id: 'c-1', text: '1' } }), 'session_required', '/header'],
    ['a frame naming a session that does not exist', () => chatSend(FAKE_SESSION_ID), 'unknown_session', '/header/session_id'],
    ['a frame naming another live session', (_own: string, other: string) => chatSend(other), 'unknown_session', '/header/session_id'],
  ] as const)('%s is refused with a typed error and reaches no handler', async (_name, frame, code, path) => {
    const server = await startServer();
    const own = await openSession(server, 'websocket');
    const other = await openSession(server, 'websocket');
    await own.ch.send(frame(own.sessionId, other.sessionId));
    const err = await own.ch.next('protocol.error');
    expect(validateProtocolError(err).ok).toBe(true);
    expect(err.payload).toMatchObject({ code, path });
    // Nothing reached a handler, nothing was emitted to anyone, and the connection still works.
    await sleep(50);
    expect(server.handled).toEqual([]);
    expect(server.latestSeq(other.sessionId)).toBe(0);
    await own.ch.send(chatSend(own.sessionId, 1));
    expect(seqsOf(await own.ch.data(1))).toEqual([1]);
    await other.ch.idle(50);
  });
});

describe('no default session over POST (S2, S3, S5)', () => {
  it('a frame without header.session_id → 400 session_required', async () => {
    const server = await startServer();
    const s = await openSession(server, 'sse');
    const r = await postMessages(server, chatSend(undefined), s.token);
    expect(r.status).toBe(400);
    expect(r.body!.accepted).toBe(0);
    expect(r.body!.frames[0]!.payload).toMatchObject({ code: 'session_required', path: '/header/session_id' });
  });

  it('no token → 401, refused; a malformed Authorization header counts as none', async () => {
    const server = await startServer();
    const s = await openSession(server, 'sse');
    const none = await postMessages(server, chatSend(s.sessionId));
    expect(none.status).toBe(401);
    expect(none.body!.frames[0]!.payload.code).toBe('unknown_session');
    const basic = await postMessages(server, chatSend(s.sessionId), undefined, { authorization: `Basic ${s.token}` });
    expect(basic.status).toBe(401);
    expect(server.handled).toEqual([]);
  });

  it('another session\'s token, or a token for an id that does not exist → 404 unknown_session, the same answer', async () => {
    const server = await startServer();
    const a = await openSession(server, 'sse');
    const b = await openSession(server, 'poll');
    const crossed = await postMessages(server, chatSend(a.sessionId), b.token);
    const unknown = await postMessages(server, chatSend(FAKE_SESSION_ID), b.token);
    expect(crossed.status).toBe(404);
    expect(crossed).toEqual(unknown);
    expect(crossed.body!.frames[0]!.payload).toMatchObject({ code: 'unknown_session', path: '/header/session_id' });
    expect(server.handled).toEqual([]);
  });

  it('there is no way to reach a session that was never created (session_id "default")', async () => {
    const server = await startServer();
    const s = await openSession(server, 'sse');
    const before = (server.app.core.store as MemorySessionStore).size;
    const attempts = [
      await postMessages(server, chatSend('default'), s.token),
      await postMessages(server, chatSend('default')),
      await postMessages(server, chatSend('default'), 'default'),
      await postMessages(server, [chatSend('default'), chatSend(FAKE_SESSION_ID)], s.token),
    ];
    for (const r of attempts) {
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.body!.accepted).toBe(0);
    }
    // "default" is not even a well-formed session id: the schema refuses it before any lookup.
    expect(attempts[0]!.body!.frames[0]!.payload).toMatchObject({ code: 'invalid_message', path: '/header/session_id' });
    const sse = await connectSse(server, `?session_id=default&resume_token=${FAKE_TOKEN}&last_seen_seq=0`);
    expect((await sse.next('protocol.resume_failed')).payload.reason).toBe('unknown_session');
    const poll = await pollOnce(server, '?session_id=default&cursor=0', FAKE_TOKEN);
    expect(poll.status).toBe(404);
    await sleep(50);
    expect(server.handled).toEqual([]);
    expect((server.app.core.store as MemorySessionStore).size).toBe(before); // no session appeared
  });

  it('a good POST reaches the handler and its data arrives on the session\'s stream', async () => {
    const server = await startServer();
    const s = await openSession(server, 'sse');
    const r = await postMessages(server, [chatSend(s.sessionId, 2), { type: 'protocol.ack', header: { session_id: s.sessionId }, payload: { last_seen_seq: 0 } }], s.token);
    expect(r).toEqual({ status: 202, body: { accepted: 2, acked: 0, frames: [] } });
    expect(seqsOf(await s.ch.data(2))).toEqual([1, 2]);
    expect(server.handled).toEqual([{ type: 'chat.send', sessionId: s.sessionId, text: '2' }]);
  });
});

describe('superseding (S4)', () => {
  const pairs = KINDS.flatMap((first) => KINDS.map((second) => [first, second] as const));
  it.each(pairs)('%s then %s: the first is closed with superseded, the second gets the data', async (first: Kind, second: Kind) => {
    const server = await startServer();
    const s = await openSession(server, first);
    server.emit(s.sessionId, 1);
    expect(seqsOf(await s.ch.data(1))).toEqual([1]);
    if (first === 'poll') await server.pollArrived(s.sessionId, 1); // the first client's next poll is held

    const next = await resumeChannel(server, second, { sessionId: s.sessionId, token: s.token, lastSeenSeq: 1 });
    const notice = await s.ch.next('protocol.error');
    expect(validateProtocolError(notice).ok).toBe(true);
    expect(notice.payload.code).toBe('superseded');
    expect(notice.header).toEqual({ session_id: s.sessionId });
    const end = await s.ch.ended;
    if (first === 'websocket') expect(end.code).toBe(4001);

    if (!(first === 'poll' && second === 'poll')) {
      // (poll then poll: the second poll continues the same attachment; no new hello.)
      await next.next('protocol.hello');
      expect((await next.next('protocol.resumed')).payload).toEqual({ from_seq: 2, latest_seq: 1, acked: 0 });
    }
    server.emit(s.sessionId, 2);
    expect(seqsOf(await next.data(2))).toEqual([2, 3]);
    expect(server.transportOf(s.sessionId)).toBe(second);
    await s.ch.idle(100);
    expect(s.ch.log.filter((f) => f.header.seq > 1)).toEqual([]);
  });
});

describe('shutdown', () => {
  it('close() ends every attachment with a reason and serves nothing afterwards (a poll client cannot hold the host open)', async () => {
    const server = await startServer();
    const [ws, sse, poll] = await Promise.all(KINDS.map((k) => openSession(server, k)));
    await server.pollArrived(poll!.sessionId, 0); // the poll client's next poll is held
    server.app.close();
    expect(await ws!.ch.ended).toMatchObject({ code: 1001, reason: expect.stringMatching(/shutting down/) });
    await sse!.ch.ended;
    expect(await poll!.ch.ended).toEqual({ status: 503 }); // the held poll was answered, the next one refused
    const late = await pollOnce(server, `?session_id=${sse!.sessionId}&cursor=0`, sse!.token);
    expect(late.status).toBe(503);
    expect((await fetch(`${server.origin}/events`)).status).toBe(503);
    expect((await postMessages(server, chatSend(ws!.sessionId), ws!.token)).status).toBe(503);
    // The host's own shutdown completes without cutting connections.
    const t0 = Date.now();
    await new Promise<void>((resolve) => server.http.close(() => resolve()));
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
