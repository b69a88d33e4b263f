/**
 * Q1–Q3 over real sockets: data frames are stamped 1..N per session with header.session_id,
 * control frames never carry seq, SSE ids are the seqs, and a refused emit consumes no seq.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { validateAgentEvent, validateChatAccepted, validateServerMessage } from '../../generated/validators.js';
import { OutboundRejectedError } from '../../runtime/server/outbox.js';
import { chatSend, cleanup, isData, KINDS, openSession, range, seqsOf, startServer, type Kind } from './helpers.js';
import { accepted } from '../support/accepted.js';

afterEach(cleanup);

describe.each(KINDS)('sequencing over %s (Q1, Q2)', (kind: Kind) => {
  it('data seqs are exactly 1..N with header.session_id; control frames carry no seq', async () => {
    const server = await startServer();
    const { ch, sessionId, token } = await openSession(server, kind);
    // Five from a handler (chat.send → 4 agent.events and its reply chat.accepted, C4), then three pushed from outside a handler.
    const sent = await ch.send(chatSend(sessionId, 5), token);
    if (kind !== 'websocket') expect(sent).toEqual({ status: 202, body: { accepted: 1, acked: 0, frames: [] } });
    const first = await ch.data(5);
    expect(await Promise.all(server.emit(sessionId, 3))).toEqual([6, 7, 8]);
    const rest = await ch.data(3);
    const data = [...first, ...rest];
    expect(seqsOf(data)).toEqual(range(1, 8));
    for (const f of data) {
      expect(f.header).toEqual({ session_id: sessionId, seq: f.header.seq });
      expect((f.header.seq === 5 ? validateChatAccepted : validateAgentEvent)(f).ok).toBe(true);
      if (kind === 'sse') expect(ch.idOf(f)).toBe(String(f.header.seq)); // R4: SSE id = seq
    }
    await ch.idle();
    for (const f of ch.log) {
      expect(validateServerMessage(f).ok).toBe(true);
      if (!isData(f)) {
        expect(f.header).not.toHaveProperty('seq');
        if (kind === 'sse') expect(ch.idOf(f)).toBeUndefined();
      }
    }
    expect(server.latestSeq(sessionId)).toBe(8);
  });

  it('data emitted in onSessionStart follows the hello as seq 1', async () => {
    const server = await startServer({
      handlers: {
        onSessionStart(ctx) {
          ctx.emit.uiRender({ view_id: 'main', root: { id: 'root', component: 'Column' } });
          ctx.emit.uiPatch({ view_id: 'main', ops: [{ op: 'add', path: '/children/0', value: { id: 'a', component: 'Text' } }] });
        },
      },
    });
    const { ch, sessionId } = await openSession(server, kind);
    const [render, patch] = await ch.data(2);
    expect(render).toMatchObject({ type: 'ui.render', header: { session_id: sessionId, seq: 1 } });
    expect(patch).toMatchObject({ type: 'ui.patch', header: { session_id: sessionId, seq: 2 } });
  });

  it('sessions count separately: two sessions each start at seq 1', async () => {
    const server = await startServer();
    const a = await openSession(server, kind);
    const b = await openSession(server, kind);
    server.emit(a.sessionId, 3);
    server.emit(b.sessionId, 2);
    expect(seqsOf(await a.ch.data(3))).toEqual([1, 2, 3]);
    const bData = await b.ch.data(2);
    expect(seqsOf(bData)).toEqual([1, 2]);
    for (const f of bData) expect(f.header.session_id).toBe(b.sessionId);
  });
});

describe('one send path (Q3)', () => {
  it('an emit the contract rejects throws OutboundRejectedError and consumes no seq', async () => {
    const rejected: unknown[] = [];
    const server = await startServer({
      handlers: {
        chatSend(message, ctx) {
          ctx.emit.agentEvent({ conversation_id: 'c-1', turn_id: 't', kind: 'text', text: 'before' });
          try {
            ctx.emit.agentEvent({ conversation_id: 'c-1', turn_id: 't', kind: 'shout' } as never);
          } catch (err) {
            rejected.push(err);
          }
          try {
            ctx.emit.agentEvent({ conversation_id: 'c-1', turn_id: 't', kind: 'text', text: 'x'.repeat(70_000) });
          } catch (err) {
            rejected.push(err);
          }
          ctx.emit.agentEvent({ conversation_id: 'c-1', turn_id: 't', kind: 'text', text: 'after' });
          return accepted(message);
        },
      },
    });
    const { ch, sessionId } = await openSession(server, 'websocket');
    await ch.send(chatSend(sessionId));
    const data = await ch.data(3);
    expect(data.map((f) => [f.header.seq, f.payload.text ?? f.type])).toEqual([
      [1, 'before'],
      [2, 'after'],
      [3, 'chat.accepted'], // the handler's reply (C4)
    ]);
    expect(rejected.map((e) => (e as OutboundRejectedError).code)).toEqual(['invalid_message', 'frame_too_large']);
    expect(rejected.every((e) => e instanceof OutboundRejectedError)).toBe(true);
    await ch.idle();
  });
});
