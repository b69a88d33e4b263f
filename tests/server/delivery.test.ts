/**
 * C1–C2 over real sockets, on every transport: the server hands each cseq of a session to its
 * handler once, in order, and acknowledges the highest one accepted (protocol.received on
 * WebSocket, `acked` in every POST answer, in heartbeats and in protocol.resumed); a frame sent
 * again is acknowledged and not handled again; a frame above acked + 1 is refused as a gap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { validateServerMessage } from '../../generated/validators.js';
import type { WsChannel } from '../support/transports.js';
import { chatSend, cleanup, connectPoll, qs, waitFor, KINDS, openSession, resumeChannel, startServer, type Channel, type Frame, type Kind, type SendResult } from './helpers.js';

afterEach(cleanup);

/** The acknowledgement a send earned: the POST answer's `acked`, or the next protocol.received on the socket. */
async function ackOf(ch: Channel, sent: SendResult): Promise<number> {
  if (ch.kind !== 'websocket') return (sent.body as { acked?: number } | undefined)?.acked ?? -1;
  const received = await nextControl(ch, 'protocol.received');
  expect(validateServerMessage(received).ok).toBe(true);
  return received.payload.acked as number;
}

/** The next frame that is not data (errors come between the agent.events the handler emits). */
async function nextControl(ch: Channel, type: string): Promise<Frame> {
  for (;;) {
    const f = await ch.next();
    if (f.type === type) return f;
  }
}

describe.each(KINDS)('client → server delivery over %s (C1, C2)', (kind: Kind) => {
  it('hands each cseq over once, in order, and acknowledges the highest; a frame sent again is acknowledged, not handled', async () => {
    const server = await startServer();
    const { ch, sessionId, token } = await openSession(server, kind);
    expect(await ackOf(ch, await ch.send(chatSend(sessionId, 'one', { cseq: 1 }), token))).toBe(1);
    expect(await ackOf(ch, await ch.send(chatSend(sessionId, 'two', { cseq: 2 }), token))).toBe(2);
    // Sent again (the client never saw the acknowledgement): acknowledged again, never handled again.
    expect(await ackOf(ch, await ch.send(chatSend(sessionId, 'two', { cseq: 2 }), token))).toBe(2);
    expect(await ackOf(ch, await ch.send(chatSend(sessionId, 'one', { cseq: 1 }), token))).toBe(2);
    expect(server.handled.map((h) => h.text)).toEqual(['one', 'two']);
    expect(server.app.core.local(sessionId)?.acked).toBe(2);
  });

  it('refuses a frame above acked + 1 as a gap, naming its cseq (HTTP 409 on POST), and hands nothing over', async () => {
    const server = await startServer();
    const { ch, sessionId, token } = await openSession(server, kind);
    await ackOf(ch, await ch.send(chatSend(sessionId, 'one', { cseq: 1 }), token));
    const sent = await ch.send(chatSend(sessionId, 'three', { cseq: 3, request_id: 'r-3' }), token);
    const error = kind === 'websocket' ? await nextControl(ch, 'protocol.error') : sent.body!.frames[0]!;
    if (kind !== 'websocket') {
      expect(sent.status).toBe(409);
      expect(sent.body).toMatchObject({ accepted: 0, acked: 1 });
    }
    expect(validateServerMessage(error).ok).toBe(true);
    expect(error.payload).toMatchObject({ code: 'cseq_gap', cseq: 3, request_id: 'r-3', path: '/header/cseq' });
    expect(server.handled.map((h) => h.text)).toEqual(['one']);
    // The next one in order is still accepted.
    expect(await ackOf(ch, await ch.send(chatSend(sessionId, 'two', { cseq: 2 }), token))).toBe(2);
    expect(server.handled.map((h) => h.text)).toEqual(['one', 'two']);
  });

  it('a POST batch is decided in order: duplicates acknowledged, new frames handed over once', async () => {
    if (kind === 'websocket') return; // a batch is a POST
    const server = await startServer();
    const { ch, sessionId, token } = await openSession(server, kind);
    const batch = [1, 2, 3].map((c) => chatSend(sessionId, `m${c}`, { cseq: c }));
    expect((await ch.send(batch, token)).body).toMatchObject({ accepted: 3, acked: 3, frames: [] });
    const again = [2, 3, 4, 5].map((c) => chatSend(sessionId, `m${c}`, { cseq: c }));
    expect((await ch.send(again, token)).body).toMatchObject({ accepted: 4, acked: 5, frames: [] });
    expect(server.handled.map((h) => h.text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('protocol.resumed carries acked, so a client knows what to send again after a reconnect', async () => {
    const server = await startServer();
    const { ch, sessionId, token } = await openSession(server, kind);
    for (const c of [1, 2, 3]) await ackOf(ch, await ch.send(chatSend(sessionId, `m${c}`, { cseq: c }), token));
    ch.drop();
    // A poll client that connects again says so (resume=1): the server still counts its last poll as live.
    const again =
      kind === 'poll'
        ? await connectPoll(server, { query: qs(['versions=1.0,1.1', `session_id=${sessionId}`, 'cursor=3', 'resume=1']), token, cursor: 3 })
        : await resumeChannel(server, kind, { sessionId, token, lastSeenSeq: 3 });
    await again.next('protocol.hello');
    const resumed = await again.next('protocol.resumed');
    expect(resumed.payload).toEqual({ from_seq: 4, latest_seq: 3, acked: 3 });
    expect(await ackOf(again, await again.send(chatSend(sessionId, 'm3', { cseq: 3 }), token))).toBe(3);
    expect(await ackOf(again, await again.send(chatSend(sessionId, 'm4', { cseq: 4 }), token))).toBe(4);
    expect(server.handled.map((h) => h.text)).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('a handler that throws is answered handler_failed with the cseq, and its frame is not handled again', async () => {
    const server = await startServer();
    const { ch, sessionId, token } = await openSession(server, kind);
    const sent = await ch.send(chatSend(sessionId, 'throw', { cseq: 1 }), token);
    if (kind !== 'websocket') expect(sent.body).toMatchObject({ acked: 1 });
    const failed = await nextControl(ch, 'protocol.error');
    expect(failed.payload).toMatchObject({ code: 'handler_failed', cseq: 1 });
    expect(validateServerMessage(failed).ok).toBe(true);
    await ch.send(chatSend(sessionId, 'throw', { cseq: 1 }), token);
    await ch.send(chatSend(sessionId, 'after', { cseq: 2 }), token);
    await waitFor(() => server.handled.length === 2, 'the frame after the failed one handled');
    expect(server.handled.map((h) => h.text)).toEqual(['throw', 'after']);
  });
});

describe('acknowledgements beside replies over websocket (C2.1, C4)', () => {
  it('frames of one read are acknowledged together, not once per reply; data a handler emits still comes after the acknowledgement', async () => {
    const server = await startServer();
    const { ch, sessionId } = await openSession(server, 'websocket');
    const socket = (ch as WsChannel).ws as unknown as { _socket: { cork(): void; uncork(): void } };
    // Five frames in one write, so the server reads them together; the last one's handler emits an agent.event first.
    socket._socket.cork();
    for (let cseq = 1; cseq <= 5; cseq++) await ch.send(chatSend(sessionId, cseq === 5 ? 2 : 1, { cseq }));
    socket._socket.uncork();
    const got: Frame[] = [];
    while (got.filter((f) => f.type === 'chat.accepted').length < 5 || !got.some((f) => f.type === 'protocol.received' && f.payload.acked === 5)) got.push(await ch.next());
    expect(got.filter((f) => f.type === 'chat.accepted').map((f) => f.header.cseq)).toEqual([1, 2, 3, 4, 5]);
    // Each reply settles the sends up to its cseq itself: a protocol.received ahead of every reply
    // was one control frame per send. (One read, so one acknowledgement; two should TCP split the write.)
    expect(got.filter((f) => f.type === 'protocol.received').length).toBeLessThanOrEqual(2);
    const event = got.findIndex((f) => f.type === 'agent.event');
    expect(got.slice(0, event).some((f) => f.type === 'protocol.received' && (f.payload.acked as number) >= 5)).toBe(true);
  });

  it('one read that re-sends a run straddling acked, repeats a frame and skips one: duplicates acknowledged only, the rest handled once, the gap refused', async () => {
    const server = await startServer();
    const { ch, sessionId } = await openSession(server, 'websocket');
    const socket = (ch as WsChannel).ws as unknown as { _socket: { cork(): void; uncork(): void } };
    for (let cseq = 1; cseq <= 3; cseq++) await ch.send(chatSend(sessionId, `t${cseq}`, { cseq }));
    while (server.app.core.local(sessionId)?.acked !== 3) await ch.next();
    // One write, read together: 2–5 straddles acked (2, 3 duplicates), 5 again, then 7 (6 never sent).
    socket._socket.cork();
    for (const cseq of [2, 3, 4, 5, 5, 7]) await ch.send(chatSend(sessionId, `t${cseq}`, { cseq }));
    socket._socket.uncork();
    const got: Frame[] = [];
    while (!got.some((f) => f.type === 'protocol.error') || !got.some((f) => f.type === 'protocol.received' && f.payload.acked === 5)) got.push(await ch.next());
    expect(Math.max(...got.filter((f) => f.type === 'protocol.received').map((f) => f.payload.acked as number))).toBe(5);
    expect(got.find((f) => f.type === 'protocol.error')?.payload).toMatchObject({ code: 'cseq_gap', cseq: 7 });
    expect(server.handled.map((h) => h.text)).toEqual(['t1', 't2', 't3', 't4', 't5']);
    expect(server.app.core.local(sessionId)?.acked).toBe(5);
  });

  it('a read of twenty frames and a gap is acknowledged once, up to the last frame accepted and never beyond it', async () => {
    const server = await startServer();
    const { ch, sessionId } = await openSession(server, 'websocket');
    const socket = (ch as WsChannel).ws as unknown as { _socket: { cork(): void; uncork(): void } };
    const uiAction = (cseq: number): object => ({ type: 'ui.action', header: { session_id: sessionId, cseq }, payload: { view_id: 'v', component_id: 'c', action: 'click' } });
    // One write: the server reads the frames together (cseq 21 never sent: 22 is a gap).
    socket._socket.cork();
    for (let cseq = 1; cseq <= 20; cseq++) await ch.send(uiAction(cseq));
    await ch.send(uiAction(22));
    socket._socket.uncork();
    const got: Frame[] = [];
    while (!got.some((f) => f.type === 'protocol.error') || !got.some((f) => f.type === 'protocol.received' && f.payload.acked === 20)) got.push(await ch.next());
    const acks = got.filter((f) => f.type === 'protocol.received').map((f) => f.payload.acked as number);
    // One acknowledgement per read (two should TCP split the write), none above what was accepted.
    expect(acks.length).toBeLessThanOrEqual(2);
    expect(Math.max(...acks)).toBe(20);
    expect(got.find((f) => f.type === 'protocol.error')?.payload).toMatchObject({ code: 'cseq_gap', cseq: 22 });
    expect(server.handled.filter((h) => h.type === 'ui.action')).toHaveLength(20);
    expect(server.app.core.local(sessionId)?.acked).toBe(20);
  });
});
