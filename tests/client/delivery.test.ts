/**
 * C1–C3 from the generated client: every send carries its cseq (1, 2, 3, … per session), resolves
 * only once the server acknowledged it, is sent again after a reconnect until it is, and is
 * handed to the handler exactly once, in send order; when the session is lost, what it never
 * acknowledged rejects with a typed ClientSendError, never re-sent into the new session.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ClientSendError } from '../../generated/runtime/client/client-core.js';
import type { TransportKind } from '../../generated/runtime/contract.js';
import { agentEvent, cleanup, connectedClient, contractWith, nextEvent, range, startChaosProxy, startClient, startServer, TRANSPORTS, waitFor } from './helpers.js';
import { accepted } from '../support/accepted.js';

afterEach(cleanup);

/** The text of a chat.send the server received. */
const textOf = (m: { readonly payload: object }): string | undefined => (m.payload as { text?: string }).text;

/** A proxy that never cuts by itself (only when told `down`). */
const plainProxy = (targetPort: number) => startChaosProxy({ targetPort, random: () => 0.999, meanBytes: Number.MAX_SAFE_INTEGER / 4, minMs: 3_600_000, maxMs: 3_600_001 });

describe.each(TRANSPORTS)('client sends over %s (C1–C3)', (transport: TransportKind) => {
  it('numbers each send, resolves it on the acknowledgement, and the handler sees each once, in send order', async () => {
    const { url, received } = await startServer();
    const { client } = await connectedClient(url, { transport });
    const sends = range(1, 40).map((i) => client.send.chatSend({ conversation_id: 'c-1', text: `t${i}` }));
    await Promise.all(sends);
    expect(client.acked).toBe(40);
    expect(received.map(textOf)).toEqual(range(1, 40).map((i) => `t${i}`));
    expect(received.map((m) => m.header.cseq)).toEqual(range(1, 40));
  });

  it('sends made before the session opened carry its id once it is known, numbered 1, 2, 3 …, each handled once', async () => {
    const { url, received } = await startServer();
    const client = startClient(url, { transport });
    // Serialized for no session yet: written with the hello's session id (outbound.ts rewrites them).
    const early = range(1, 5).map((i) => client.send.chatSend({ conversation_id: 'c-1', text: `early ${i}` }));
    await Promise.all(early);
    const later = range(1, 5).map((i) => client.send.chatSend({ conversation_id: 'c-1', text: `later ${i}` }));
    await Promise.all(later);
    expect(received.map(textOf)).toEqual([...range(1, 5).map((i) => `early ${i}`), ...range(1, 5).map((i) => `later ${i}`)]);
    expect(received.map((m) => m.header.cseq)).toEqual(range(1, 10));
    expect(new Set(received.map((m) => m.header.session_id))).toEqual(new Set([client.sessionId]));
  });

  it('sends made while the connection is down go after the resume, each handled once', async () => {
    const { url, port, received } = await startServer();
    const proxy = await plainProxy(port);
    const { client } = await connectedClient(proxy.url, { transport });
    await client.send.chatSend({ conversation_id: 'c-1', text: 'before' });
    proxy.down = true;
    await waitFor(() => client.state !== 'open', 'the client to notice the cut');
    const later = range(1, 10).map((i) => client.send.chatSend({ conversation_id: 'c-1', text: `while down ${i}` }));
    proxy.down = false;
    await Promise.all(later);
    expect(received.map(textOf)).toEqual(['before', ...range(1, 10).map((i) => `while down ${i}`)]);
    void url;
  });

  it('a lost session (window_exceeded) rejects the sends it never acknowledged with session_lost; none reaches the new session', async () => {
    const small = contractWith((c) => {
      c.replayWindow = { maxMessages: 5, maxBytes: 1024 * 1024 };
    });
    const { server, port, received } = await startServer({ contract: small });
    const proxy = await plainProxy(port);
    const { client } = await connectedClient(proxy.url, { transport, onResumeFailed: 'new-session' });
    const first = client.sessionId!;
    proxy.down = true;
    await waitFor(() => client.state !== 'open', 'the client to notice the cut');
    const pending = client.send.chatSend({ conversation_id: 'c-1', text: 'never delivered' }).catch((e: unknown) => e);
    const ctx = server.session(first)!;
    for (let i = 1; i <= 20; i++) await ctx.emit.agentEvent(agentEvent(i));
    proxy.down = false;
    const failed = nextEvent(client, 'resume-failed');
    expect((await failed).reason).toBe('window_exceeded');
    const error = await pending;
    expect(error).toBeInstanceOf(ClientSendError);
    expect(error).toMatchObject({ code: 'session_lost', reason: 'window_exceeded', maybeHandled: false });
    await waitFor(() => client.sessionId !== undefined && client.sessionId !== first && client.state === 'open', 'a new session');
    await client.send.chatSend({ conversation_id: 'c-1', text: 'new session' });
    expect(received.map((m) => [m.header.session_id === first ? 'old' : 'new', textOf(m), m.header.cseq])).toEqual([['new', 'new session', 1]]);
  });
});

describe('ordering on WebSocket (C2)', () => {
  it('the acknowledgement of a frame arrives ahead of what its handler sends: the send has resolved when the handler\'s data arrives', async () => {
    const { url } = await startServer({ handlers: { chatSend: (m, ctx) => (void ctx.emit.agentEvent(agentEvent(Number(m.payload.text))), accepted(m)) } });
    const { client } = await connectedClient(url, { transport: 'websocket' });
    // The client's acknowledged cseq moves as the acknowledgement is read (its send resolves then).
    const early: number[] = [];
    let seen = 0;
    client.on.agentEvent((m) => {
      seen++;
      const i = Number(m.payload.text?.slice(1));
      if (client.acked < i) early.push(i);
    });
    await Promise.all(range(1, 50).map((i) => client.send.chatSend({ conversation_id: 'c-1', text: String(i) })));
    await waitFor(() => seen === 50, 'every handler\'s data');
    expect(early).toEqual([]);
  });
});
