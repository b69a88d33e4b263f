/**
 * H1/H2/S1 over real sockets: the hello of each transport carries every field with the
 * contract's values, ids and tokens are long enough and never shared, the version is negotiated
 * (or refused with the supported list), and heartbeats arrive while a session is idle.
 */
import type { MemorySessionStore } from '../../runtime/server/memory-store.js';
import { afterEach, describe, expect, it } from 'vitest';
import { validateProtocolError, validateProtocolHello } from '../../generated/validators.js';
import { canonicalContract, cleanup, connectWs, FAST, isData, KINDS, openChannel, openSession, resumeChannel, startServer, waitFor, type Channel, type Frame, type Kind } from './helpers.js';

afterEach(cleanup);

const decodedBits = (text: string): number => Buffer.from(text, 'base64url').length * 8;

/** How each transport answers an unsupported version on connect. */
async function expectUnsupported(ch: Channel): Promise<Frame> {
  const f = await ch.next('protocol.error');
  expect(validateProtocolError(f).ok).toBe(true);
  expect(f.payload.code).toBe('unsupported_version');
  expect(f.payload.supported_versions).toEqual(['1.0', '1.1']);
  expect(f.header.seq).toBeUndefined();
  const end = await ch.ended;
  if (ch.kind === 'websocket') expect(end.code).toBe(4004);
  if (ch.kind === 'sse') expect(ch.status).toBe(200); // EventSource would hide any other status's body
  if (ch.kind === 'poll') expect(ch.status).toBe(400);
  await ch.idle(50);
  return f;
}

describe.each(KINDS)('hello over %s (H1, S1)', (kind: Kind) => {
  it('is the first frame and carries every H1 field with the contract values', async () => {
    const server = await startServer();
    const ch = await openChannel(server, kind);
    const hello = await ch.next();
    expect(hello.type).toBe('protocol.hello');
    expect(validateProtocolHello(hello).ok).toBe(true);
    const id = hello.payload.session_id;
    expect(hello.header).toEqual({ session_id: id }); // Q1: a control frame, no seq
    expect(hello.payload).toEqual({
      protocol_version: '1.1',
      session_id: id,
      resume_token: hello.payload.resume_token,
      latest_seq: 0,
      replay_window: { max_messages: canonicalContract.replayWindow.maxMessages, max_bytes: canonicalContract.replayWindow.maxBytes },
      heartbeat_ms: canonicalContract.heartbeatMs,
      session_ttl_ms: canonicalContract.session.ttlMs,
      max_frame_bytes: canonicalContract.maxFrameBytes,
      transports: ['websocket', 'sse', 'poll'],
      capabilities: [...canonicalContract.capabilities],
    });
    expect(server.transportOf(id)).toBe(kind);
    if (kind === 'sse') expect(ch.idOf(hello)).toBeUndefined(); // control frames carry no SSE id
  });

  it('session_id has >= 128 bits and resume_token >= 256 bits of URL-safe base64', async () => {
    const server = await startServer();
    const { sessionId, token } = await openSession(server, kind);
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    expect(decodedBits(sessionId)).toBeGreaterThanOrEqual(128);
    expect(decodedBits(token)).toBeGreaterThanOrEqual(256);
  });
});

describe('ids are never shared (S1)', () => {
  it('twelve sessions over the three transports get twelve ids and twelve tokens', async () => {
    const server = await startServer();
    const sessions = await Promise.all(Array.from({ length: 12 }, (_, i) => openSession(server, KINDS[i % 3]!)));
    expect(new Set(sessions.map((s) => s.sessionId)).size).toBe(12);
    expect(new Set(sessions.map((s) => s.token)).size).toBe(12);
    for (const s of sessions) expect(s.token).not.toContain(s.sessionId);
    expect((server.app.core.store as MemorySessionStore).size).toBe(12);
  });
});

describe.each(KINDS)('version negotiation over %s (H2)', (kind: Kind) => {
  it.each([
    ['1.0', '1.0'],
    ['1.0,1.1', '1.1'],
    ['1.1,1.0', '1.1'],
    ['0.9,1.0,2.0', '1.0'],
    [null, '1.1'],
  ] as const)('versions=%s picks %s', async (versions, picked) => {
    const server = await startServer();
    const { hello, sessionId } = await openSession(server, kind, { versions });
    expect(hello.payload.protocol_version).toBe(picked);
    expect(server.app.core.local(sessionId)!.protocolVersion).toBe(picked);
  });

  it('versions=9.9 is refused with unsupported_version and the supported list; no session is made', async () => {
    const server = await startServer();
    const ch = await openChannel(server, kind, { versions: '9.9' });
    const f = await expectUnsupported(ch);
    expect(f.payload.message).toMatch(/9\.9/);
    expect((server.app.core.store as MemorySessionStore).size).toBe(0);
  });

  it('a resume negotiates too: versions=1.0 gives a 1.0 hello, 9.9 is refused and leaves the session alone', async () => {
    const server = await startServer();
    const s = await openSession(server, 'websocket');
    s.ch.drop();
    const ok = await resumeChannel(server, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: 0, versions: '1.0' });
    expect((await ok.next('protocol.hello')).payload.protocol_version).toBe('1.0');
    await ok.next('protocol.resumed');
    ok.drop();
    const refused = await resumeChannel(server, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: 0, versions: '9.9' });
    await expectUnsupported(refused);
    expect(server.alive(s.sessionId)).toBe(true);
  });
});

describe('heartbeats', () => {
  it('WebSocket: protocol.heartbeat frames with latest_seq, a session_id and no seq', async () => {
    const server = await startServer({ contract: FAST });
    const s = await openSession(server, 'websocket');
    server.emit(s.sessionId, 2);
    await s.ch.data(2);
    const first = await s.ch.next('protocol.heartbeat', 2000);
    const second = await s.ch.next('protocol.heartbeat', 2000);
    for (const hb of [first, second]) {
      expect(hb).toEqual({ type: 'protocol.heartbeat', header: { session_id: s.sessionId }, payload: { latest_seq: 2, acked: 0 } });
      expect(isData(hb)).toBe(false);
    }
    expect(server.transportOf(s.sessionId)).toBe('websocket'); // the ws client answered the pings
  });

  it('WebSocket: a peer that answers no pings is cut off; its session stays resumable', async () => {
    const server = await startServer({ contract: FAST });
    const ch = await connectWs(server, '?versions=1.1', { autoPong: false });
    const hello = await ch.next('protocol.hello');
    const end = await ch.ended;
    expect(end.code).toBe(1006); // terminated without a close frame
    await waitFor(() => server.transportOf(hello.payload.session_id) === undefined, 'the server to detach the dead peer');
    expect(server.alive(hello.payload.session_id)).toBe(true);
  });

  it('SSE: protocol.heartbeat events (no id:) carrying latest_seq, readable by EventSource', async () => {
    const server = await startServer({ contract: FAST });
    const s = await openSession(server, 'sse');
    server.emit(s.sessionId, 3);
    await s.ch.data(3);
    const first = await s.ch.next('protocol.heartbeat', 2000);
    const second = await s.ch.next('protocol.heartbeat', 2000);
    for (const hb of [first, second]) {
      expect(hb).toEqual({ type: 'protocol.heartbeat', header: { session_id: s.sessionId }, payload: { latest_seq: 3, acked: 0 } });
      expect(s.ch.idOf(hb)).toBeUndefined(); // control: Last-Event-ID stays the last data seq (R4)
    }
    expect(s.ch.comments).toEqual([]); // events, not comments: EventSource never shows a comment
  });

  it('poll: an idle poll is answered empty after holdMs and the session stays attached', async () => {
    const server = await startServer({ contract: FAST });
    const s = await openSession(server, 'poll');
    const ch = s.ch as Channel & { statuses: readonly number[] };
    const until = Date.now() + 2500;
    while (ch.statuses.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(ch.statuses.slice(0, 3)).toEqual([200, 200, 200]);
    await ch.idle(0);
    expect(server.transportOf(s.sessionId)).toBe('poll');
  });
});
