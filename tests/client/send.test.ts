/**
 * The send path: send.<message> validates before a frame leaves (S5), frames sent while the client
 * is disconnected wait and go out after the resume, and acknowledgements (Q5) reach the server —
 * protocol.ack on WebSocket and SSE, the cursor itself on poll.
 */
import type { MemorySessionStore } from '../../runtime/server/memory-store.js';
import { afterEach, describe, expect, it } from 'vitest';
import { ClientSendError } from '../../generated/runtime/client/client-core.js';
import type { TransportKind } from '../../generated/runtime/contract.js';
import { contract } from '../../generated/contract.js';
import type { UiAction } from '../../generated/types.js';
import {
  connectedClient,
  agentEvent,
  cleanup,
  FAKE_SESSION,
  frames,
  nextEvent,
  sleep,
  startChaosProxy,
  startClient,
  startFakeServer,
  startServer,
  TRANSPORTS,
  waitFor,
} from './helpers.js';

afterEach(cleanup);

/** A proxy that never cuts by itself (only when told `down`). */
const plainProxy = (targetPort: number) => startChaosProxy({ targetPort, random: () => 0.999, meanBytes: Number.MAX_SAFE_INTEGER / 4, minMs: 3_600_000, maxMs: 3_600_001 });

describe.each(TRANSPORTS)('sending over %s', (transport: TransportKind) => {
  it('an invalid payload is refused with ClientSendError invalid_message naming the field, and never reaches the server', async () => {
    const fake = await startFakeServer((req) => (req.n === 1 ? [frames.hello()] : []));
    const client = startClient(fake.url, { transport });
    await nextEvent(client, 'session');

    const wrongEnum = await client.send.uiAction({ view_id: 'main', component_id: 'ok', action: 'hover' as UiAction['payload']['action'] }).catch((e: unknown) => e);
    expect(wrongEnum).toBeInstanceOf(ClientSendError);
    expect(wrongEnum).toMatchObject({ code: 'invalid_message' });
    expect((wrongEnum as ClientSendError).issues).toEqual([expect.objectContaining({ path: '/payload/action' })]);
    expect((wrongEnum as Error).message).toContain('/payload/action');

    const missing = await client.send.chatSend({ conversation_id: 'c-1' } as { conversation_id: string; text: string }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ClientSendError);
    expect((missing as ClientSendError).issues).toEqual([expect.objectContaining({ path: '/payload/text', keyword: 'required' })]);

    const badPattern = await client.send.chatSend({ conversation_id: 'not a valid id!', text: 'hi' }).catch((e: unknown) => e);
    expect((badPattern as ClientSendError).issues).toEqual([expect.objectContaining({ path: '/payload/conversation_id' })]);

    const badRequestId = await client.send.chatSend({ conversation_id: 'c-1', text: 'hi' }, { requestId: 'spaces are not allowed' }).catch((e: unknown) => e);
    expect((badRequestId as ClientSendError).issues).toEqual([expect.objectContaining({ path: '/header/request_id' })]);

    // A valid frame goes through: the invalid ones were not merely delayed. (The fake server never
    // answers it with chat.accepted, so its send stays pending until the client closes.)
    client.send.chatSend({ conversation_id: 'c-1', text: 'valid' }, { requestId: 'r-1' }).catch(() => undefined);
    await waitFor(() => fake.received.some((f) => f.type === 'chat.send'), 'the valid frame at the server');
    await sleep(50);
    const app = fake.received.filter((f) => f.type !== 'protocol.ack' && f.type !== 'protocol.resume');
    expect(app).toEqual([{ type: 'chat.send', header: { session_id: FAKE_SESSION, request_id: 'r-1', cseq: 1 }, payload: { conversation_id: 'c-1', text: 'valid' } }]);
  });

  it('frames sent while disconnected are queued and delivered after the resume, in order', async () => {
    const { port, server, received } = await startServer();
    const proxy = await plainProxy(port);
    const { client, rec } = await connectedClient(proxy.url, { transport });
    const sessionId = client.sessionId!;

    proxy.down = true; // a network outage: the connection is cut and reconnects are refused
    await waitFor(() => client.state === 'reconnecting', 'the client to notice the outage', 5000, rec.summary);
    const outcomes: string[] = [];
    const sends = [1, 2, 3].map((i) => client.send.chatSend({ conversation_id: 'c-1', text: `queued ${i}` }).then(() => outcomes.push(`ok ${i}`)));
    await sleep(150); // several refused reconnect attempts
    expect(client.state).toBe('reconnecting');
    expect(outcomes).toEqual([]);
    expect(received).toEqual([]);
    // Data emitted during the outage is replayed on the resume, too.
    server.session(sessionId)!.emit.agentEvent(agentEvent(1));

    proxy.down = false;
    await Promise.all(sends);
    expect(outcomes).toEqual(['ok 1', 'ok 2', 'ok 3']);
    await waitFor(() => received.length === 3, 'the queued frames at the server');
    expect(received.map((m) => m.payload)).toEqual([1, 2, 3].map((i) => ({ conversation_id: 'c-1', text: `queued ${i}` })));
    expect(received.every((m) => m.header.session_id === sessionId)).toBe(true);
    await waitFor(() => rec.seqs.length === 1, 'the message emitted during the outage');
    expect(client.sessionId).toBe(sessionId);
    expect(rec.ofKind('session').map((s) => s.resumed)).toEqual([false, true]);
  });

  it('close() rejects queued frames and later sends with ClientSendError closed', async () => {
    const { port } = await startServer();
    const proxy = await plainProxy(port);
    const client = startClient(proxy.url, { transport });
    await nextEvent(client, 'session');
    proxy.down = true;
    await waitFor(() => client.state === 'reconnecting', 'the outage');
    const queued = client.send.chatSend({ conversation_id: 'c-1', text: 'never sent' });
    client.close();
    await expect(queued).rejects.toMatchObject({ name: 'ClientSendError', code: 'closed' });
    await expect(client.send.chatSend({ conversation_id: 'c-1', text: 'too late' })).rejects.toMatchObject({ code: 'closed' });
  });

  it('connect() after close() resumes the session, and new sends follow what the server accepted: none is taken for a duplicate (C1, C2)', async () => {
    const { url, received } = await startServer();
    const { client } = await connectedClient(url, { transport });
    const sessionId = client.sessionId;
    const click = (component_id: string): Promise<unknown> => client.send.uiAction({ view_id: 'main', component_id, action: 'click' });
    await click('a');
    await click('b');
    // One more written, and likely not acknowledged yet, when the client closes: it may or may not be handled.
    const inFlight = click('x').then(
      () => 'acknowledged',
      (e: ClientSendError) => e.code,
    );
    await new Promise((resolve) => process.nextTick(resolve));
    client.close();
    expect(['acknowledged', 'closed']).toContain(await inFlight);
    client.connect();
    expect(await nextEvent(client, 'session')).toMatchObject({ sessionId, resumed: true });
    await click('c');
    await click('d');
    const handled = (): string[] => received.map((m) => (m.payload as { component_id: string }).component_id);
    await waitFor(() => handled().includes('d'), 'the sends after the resume handled');
    expect(handled().filter((c) => c !== 'x')).toEqual(['a', 'b', 'c', 'd']);
    expect(handled().filter((c) => c === 'x').length).toBeLessThanOrEqual(1);
  });
});

describe('POST batches (L2, L4)', () => {
  it.each(['sse', 'poll'] as const)('%s: 40 frames queued in an outage go as POSTs of at most maxFramesPerPost, each naming its session in the query', async (transport) => {
    const { port, http, received } = await startServer();
    const posts: string[] = [];
    http.on('request', (req) => {
      if (req.method === 'POST') posts.push(req.url ?? '');
    });
    const proxy = await plainProxy(port);
    const client = startClient(proxy.url, { transport });
    await nextEvent(client, 'session');
    proxy.down = true;
    await waitFor(() => client.state === 'reconnecting', 'the client to notice the outage');
    const sends = Array.from({ length: 40 }, (_, i) => client.send.chatSend({ conversation_id: 'c-1', text: `queued ${i}` }));
    proxy.down = false;
    await Promise.all(sends); // a batch over the limit would be refused with 413 and reject them
    expect(received.map((m) => m.payload)).toEqual(Array.from({ length: 40 }, (_, i) => ({ conversation_id: 'c-1', text: `queued ${i}` })));
    expect(posts.length).toBeGreaterThanOrEqual(Math.ceil(40 / contract.limits.maxFramesPerPost));
    expect(posts.every((url) => url === `/messages?session_id=${client.sessionId}`)).toBe(true);
  });
});

describe('acknowledgements (Q5)', () => {
  it.each(['websocket', 'sse'] as const)('%s: after ackEvery messages the server gets protocol.ack and releases its replay ring', async (transport) => {
    const { server, http, url } = await startServer();
    let posts = 0;
    http.on('request', (req) => {
      if (req.method === 'POST') posts++;
    });
    const { client, rec } = await connectedClient(url, { transport, ackEvery: 10, ackAfterMs: 60_000 });
    const store = server.core.store as MemorySessionStore;
    const id = client.sessionId!;
    const ctx = server.session(client.sessionId!)!;
    for (let i = 1; i <= 25; i++) ctx.emit.agentEvent(agentEvent(i));
    await waitFor(() => rec.seqs.length === 25, '25 messages');
    // Acks after 10 and 20: the ring holds 21..25 only.
    await waitFor(() => store.peek(id)!.earliestSeq === 21, 'the ring to release up to 20', 3000, () => `earliest ${store.peek(id)!.earliestSeq}`);
    expect(store.peek(id)!.windowSize).toBe(5);
    // Over SSE the ack travels by POST (there is no upstream channel); over WebSocket on the socket.
    if (transport === 'sse') expect(posts).toBe(2);
    else expect(posts).toBe(0);
  });

  it.each(['websocket', 'sse'] as const)('%s: ackAfterMs acknowledges a short burst that never reaches ackEvery', async (transport) => {
    const { server, url } = await startServer();
    const { client, rec } = await connectedClient(url, { transport, ackEvery: 1000, ackAfterMs: 40 });
    const store = server.core.store as MemorySessionStore;
    const id = client.sessionId!;
    for (let i = 1; i <= 5; i++) server.session(client.sessionId!)!.emit.agentEvent(agentEvent(i));
    await waitFor(() => rec.seqs.length === 5, '5 messages');
    expect(store.peek(id)!.earliestSeq).toBe(1); // not yet: the timer runs
    await waitFor(() => store.peek(id)!.earliestSeq === 6, 'the timed ack', 3000, () => `earliest ${store.peek(id)!.earliestSeq}`);
  });

  it('poll: the cursor of the next poll acknowledges; no protocol.ack is POSTed', async () => {
    const { server, http, url } = await startServer();
    let posts = 0;
    http.on('request', (req) => {
      if (req.method === 'POST') posts++;
    });
    const { client, rec } = await connectedClient(url, { transport: 'poll', ackEvery: 10, ackAfterMs: 20 });
    const store = server.core.store as MemorySessionStore;
    const id = client.sessionId!;
    const ctx = server.session(client.sessionId!)!;
    for (let i = 1; i <= 25; i++) ctx.emit.agentEvent(agentEvent(i));
    await waitFor(() => rec.seqs.length === 25, '25 messages');
    await waitFor(() => store.peek(id)!.earliestSeq === 26 && store.peek(id)!.windowSize === 0, 'the ring to release up to the cursor', 3000, () => `earliest ${store.peek(id)!.earliestSeq}`);
    await sleep(100);
    expect(posts).toBe(0);
  });
});
