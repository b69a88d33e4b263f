/**
 * Long-polling keeps moving under cuts (L2, R2): a backlog far larger than what the link lets
 * through before it cuts is delivered whole, because a poll answer cut short makes the client ask
 * for smaller ones (`max_bytes`) and answers that arrive whole let it grow back to the server's
 * cap. A client that gets nothing through at all says so with a typed `stalled` event.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { seededRandom } from '../../generated/runtime/client/backoff.js';
import { createPollSize } from '../../runtime/client/transport.js';
import { agentEvent, cleanup, contractWith, nextEvent, range, record, sequenceProblem, startChaosProxy, startClient, startServer, waitFor } from './helpers.js';

afterEach(cleanup);

describe('poll answers shrink after a cut and grow back', () => {
  it('createPollSize: a quarter after each cut, down to the floor; twice after each whole answer, up to the cap (undefined: ask for the cap)', () => {
    const size = createPollSize(256 * 1024, 1024);
    expect(size.maxBytes).toBeUndefined();
    size.cut();
    expect(size.maxBytes).toBe(64 * 1024);
    for (let i = 0; i < 10; i++) size.cut();
    expect(size.maxBytes).toBe(1024);
    const grown: (number | undefined)[] = [];
    for (let i = 0; i < 9; i++) {
      size.whole();
      grown.push(size.maxBytes);
    }
    expect(grown).toEqual([2048, 4096, 8192, 16384, 32768, 65536, 131072, undefined, undefined]);
  });

  it('a 1 000-message backlog reaches a poll client through a link that cuts every connection after 1..12 000 bytes', async () => {
    const N = 1000;
    const big = contractWith((c) => {
      c.replayWindow = { maxMessages: 2 * N, maxBytes: 4 * 1024 * 1024 };
    });
    const { server, port, http } = await startServer({ contract: big });
    const asked: string[] = [];
    http.on('request', (req: { url?: string }) => void (req.url?.startsWith('/poll') && asked.push(req.url)));
    const proxy = await startChaosProxy({ targetPort: port, random: seededRandom(0x5eed), meanBytes: 6_000, minMs: 3_600_000, maxMs: 3_600_001 });
    proxy.chaos = false;
    const client = startClient(proxy.url, { transport: 'poll', backoff: { initialMs: 5, maxMs: 50 } });
    const rec = record(client);
    await waitFor(() => client.state === 'open' && client.sessionId !== undefined, 'the session');
    const ctx = server.session(client.sessionId!)!;
    proxy.down = true;
    await waitFor(() => client.state !== 'open', 'the client to notice the outage');
    for (let i = 1; i <= N; i++) await ctx.emit.agentEvent(agentEvent(i)); // about 160 KB waiting
    proxy.down = false;
    proxy.chaos = true;
    await waitFor(() => rec.seqs.length >= N, `all ${N} messages`, 30_000, () => `${rec.summary()}; proxy cut ${proxy.cuts}`);
    proxy.chaos = false;
    expect(sequenceProblem(rec.seqs, N)).toBeUndefined();
    expect(proxy.cuts).toBeGreaterThan(5);
    // It asked for less after the cuts…
    expect(asked.some((u) => /[?&]max_bytes=\d+/.test(u))).toBe(true);
    // …and grows back once answers arrive whole: a dozen answers later it asks for the server's cap again.
    for (let i = 1; i <= 12; i++) {
      await ctx.emit.agentEvent(agentEvent(N + i));
      await waitFor(() => rec.seqs.length === N + i, `message ${N + i}`, 10_000);
    }
    expect(asked.at(-1)).not.toMatch(/max_bytes/);
    expect(rec.seqs).toEqual(range(1, N + 12));
  }, 60_000);

  it('SSE needs no such bound: a replay burst streams frame by frame, so each connection that lives a few hundred bytes delivers some (the same link and backlog)', async () => {
    const N = 1000;
    const big = contractWith((c) => {
      c.replayWindow = { maxMessages: 2 * N, maxBytes: 4 * 1024 * 1024 };
    });
    const { server, port } = await startServer({ contract: big });
    const proxy = await startChaosProxy({ targetPort: port, random: seededRandom(0x5eed), meanBytes: 6_000, minMs: 3_600_000, maxMs: 3_600_001 });
    proxy.chaos = false;
    const client = startClient(proxy.url, { transport: 'sse', backoff: { initialMs: 5, maxMs: 50 } });
    const rec = record(client);
    await waitFor(() => client.state === 'open' && client.sessionId !== undefined, 'the session');
    const ctx = server.session(client.sessionId!)!;
    proxy.down = true;
    await waitFor(() => client.state !== 'open', 'the client to notice the outage');
    for (let i = 1; i <= N; i++) await ctx.emit.agentEvent(agentEvent(i));
    proxy.down = false;
    proxy.chaos = true;
    await waitFor(() => rec.seqs.length >= N, `all ${N} messages`, 30_000, () => `${rec.summary()}; proxy cut ${proxy.cuts}`);
    proxy.chaos = false;
    expect(sequenceProblem(rec.seqs, N)).toBeUndefined();
    expect(proxy.cuts).toBeGreaterThan(5);
  }, 60_000);

  it('a client that gets no frame through for stallMs emits a typed stalled event, once, and keeps trying', async () => {
    const { port } = await startServer();
    const proxy = await startChaosProxy({ targetPort: port, random: () => 0.999, meanBytes: Number.MAX_SAFE_INTEGER / 4, minMs: 3_600_000, maxMs: 3_600_001 });
    const client = startClient(proxy.url, { transport: 'poll', backoff: { initialMs: 5, maxMs: 50 }, stallMs: 300 });
    await nextEvent(client, 'session');
    await client.send.chatSend({ conversation_id: 'c-1', text: 'before' });
    proxy.down = true;
    const stalled = await nextEvent(client, 'stalled', () => true, 5_000);
    // The send resolved to its reply chat.accepted, seq 1 (C4): the last seq the client saw.
    expect(stalled).toMatchObject({ kind: 'stalled', transport: 'poll', lastSeenSeq: 1, unacknowledged: 0 });
    expect(stalled.sinceMs).toBeGreaterThanOrEqual(300);
    const again = await nextEvent(client, 'stalled', () => true, 800).catch(() => undefined);
    expect(again).toBeUndefined(); // once per stall
    proxy.down = false;
    await waitFor(() => client.state === 'open', 'the client to come back');
  });
});
