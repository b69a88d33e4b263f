/**
 * Reconnect and liveness: reconnect() resumes the same session without loss; a poll resume that
 * the server takes as a continuation (held, no hello, no resumed) still reopens the session; an
 * idle poll connection is not mistaken for a dead one; a silent connection is.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { contract } from '../../generated/contract.js';
import { createClientCore, type ClientEvent } from '../../generated/runtime/client/client-core.js';
import type { WebSocketConstructor } from '../../generated/runtime/client/transport.js';
import type { TransportKind } from '../../generated/runtime/contract.js';
import { validators } from '../../generated/validators.js';
import { agentEvent, cleanup, contractWith, FAKE_SESSION, frames, nextEvent, onCleanup, range, record, resumeAnswer, sleep, startClient, startFakeServer, startServer, TRANSPORTS, waitFor, connectedClient } from './helpers.js';

afterEach(cleanup);

describe.each(TRANSPORTS)('reconnect() over %s', (transport: TransportKind) => {
  it('resumes the same session; messages emitted around the reconnect arrive once, in order', async () => {
    const { server, url } = await startServer();
    const { client, rec } = await connectedClient(url, { transport });
    const id = client.sessionId!;
    const ctx = server.session(id)!;
    for (let i = 1; i <= 20; i++) ctx.emit.agentEvent(agentEvent(i));
    await waitFor(() => rec.seqs.length === 20, '20 messages');
    for (let round = 0; round < 5; round++) {
      client.reconnect();
      for (let i = 0; i < 10; i++) ctx.emit.agentEvent(agentEvent(21 + round * 10 + i));
      await nextEvent(client, 'session', (e) => e.resumed);
    }
    await waitFor(() => rec.seqs.length >= 70, '70 messages', 5000, rec.summary);
    await sleep(50);
    expect(rec.seqs).toEqual(range(1, 70));
    expect(rec.ofKind('session').map((s) => [s.sessionId, s.resumed])).toEqual([[id, false], ...range(1, 5).map(() => [id, true])]);
    expect(rec.ofKind('sequence')).toEqual([]);
  });
});

describe('poll resume taken as a continuation', () => {
  it('a held poll with no hello and no resumed still reopens the session and flushes queued frames', async () => {
    const { url, received } = await startServer();
    const { client, rec } = await connectedClient(url, { transport: 'poll' });
    client.reconnect(); // the server's poll attachment is still live: the next poll is a continuation
    const sent = client.send.chatSend({ conversation_id: 'c-1', text: 'after the reconnect' });
    const resumed = await nextEvent(client, 'session', (e) => e.resumed, 2000);
    expect(resumed.sessionId).toBe(client.sessionId);
    expect(client.state).toBe('open');
    await sent;
    await waitFor(() => received.length === 1, 'the queued frame');
    expect(rec.ofKind('error')).toEqual([]);
  });
});

describe('liveness', () => {
  it('an idle poll connection (empty answers after each hold) is not taken for a dead one', async () => {
    // Short hold and heartbeat so the watchdog (hold + 2 × heartbeat = 300 ms) would fire within the test.
    const fast = contractWith((c) => {
      c.heartbeatMs = 100;
      c.transports = { ...c.transports, poll: { ...contract.transports.poll, holdMs: 100 } };
    });
    const { url } = await startServer({ contract: fast });
    const events: ClientEvent[] = [];
    const core = createClientCore({
      contract: fast,
      validators,
      env: { baseUrl: url, fetch: globalThis.fetch.bind(globalThis), WebSocket: WebSocket as unknown as WebSocketConstructor },
      transport: 'poll',
      backoff: { initialMs: 5, maxMs: 50 },
      autoConnect: false,
    });
    onCleanup(() => core.close());
    core.onEvent((e) => events.push(e));
    core.connect();
    await waitFor(() => core.state === 'open', 'the session');
    await sleep(1500); // about 15 empty answers
    expect(events.filter((e) => e.kind === 'state').map((e) => (e as { state: string }).state)).toEqual(['connecting', 'open']);
    expect(core.state).toBe('open');
  });

  it.each(['websocket', 'sse'] as const)('%s: a connection that goes silent (no heartbeat) is dropped by the watchdog and resumed', async (transport) => {
    // heartbeat_ms 100 in the hello: the watchdog is 2.5 × 100 ms.
    const fake = await startFakeServer((req) => (req.n === 1 ? [frames.hello({ heartbeatMs: 100 }), frames.data(1)] : resumeAnswer(req.resume?.lastSeenSeq ?? 0, 2)));
    const client = startClient(fake.url, { transport });
    const rec = record(client);
    await waitFor(() => rec.seqs.length >= 2, 'the resume after the silence', 3000, rec.summary);
    expect(rec.seqs).toEqual([1, 2]);
    expect(fake.requests[1]!.resume).toMatchObject({ sessionId: FAKE_SESSION, lastSeenSeq: 1 });
  });
});
