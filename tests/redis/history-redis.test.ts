/**
 * W1–W6 on Redis: the Redis history store answers every window exactly as the in-memory store
 * does (one log, a grid of queries), assigns seq = index + 1 gap-free under concurrent appends
 * from two connections, and serves GET /conversations/{id} through the generated server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentUiServer } from '../../generated/server.js';
import type { HistoryChunk } from '../../generated/types.js';
import { createMemoryHistoryStore, type HistoryWindowQuery } from '../../runtime/server/history.js';
import { createRedisHistoryStore } from '../../runtime/server/history-redis.js';
import { StoreUnavailableError } from '../../runtime/server/store.js';
import { connectRedis, startRedisServer, type RedisServer } from './redis-server.js';
import { accepted } from '../support/accepted.js';

let server: RedisServer;
let redis: Redis;
let other: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  redis = await connectRedis(server.port);
  other = await connectRedis(server.port);
});
afterAll(async () => {
  redis?.disconnect();
  other?.disconnect();
  await server?.close();
});

type Item = Omit<HistoryChunk, 'seq'>;
const item = (i: number): Item => ({ role: i % 3 === 0 ? 'assistant' : 'user', turn_id: `t-${i}`, chunk: { kind: 'text', text: `chunk ${i} — ü 😀` } });

describe('Redis history store (W1–W6)', () => {
  it('answers every window of a grid of queries exactly as the in-memory store', async () => {
    const memory = createMemoryHistoryStore<HistoryChunk>();
    const store = createRedisHistoryStore<HistoryChunk>({ redis, prefix: 'grid:' });
    const N = 60;
    for (let i = 1; i <= N; i++) {
      const a = memory.append('c-1', item(i));
      const b = await store.append('c-1', item(i));
      expect(b).toEqual(a);
      expect(Object.keys(b)[0]).toBe('seq');
      expect(Object.isFrozen(b)).toBe(true);
    }
    expect(await store.size('c-1')).toBe(N);
    const values = [undefined, 0, 1, 2, 29, 30, 59, 60, 61, 100];
    let compared = 0;
    for (const sinceSeq of [0, 1, 5, 30, 59, 60, 61, 200]) {
      for (const beforeSeq of values) {
        if (beforeSeq === 0) continue;
        for (const limit of [undefined, 1, 2, 7, 60, 500]) {
          const query: HistoryWindowQuery = { sinceSeq, ...(beforeSeq !== undefined ? { beforeSeq } : {}), ...(limit !== undefined ? { limit } : {}) };
          expect(await store.read('c-1', query), JSON.stringify(query)).toEqual(memory.read('c-1', query));
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(400);
    // The same argument checks as readWindow.
    await expect(store.read('c-1', { sinceSeq: -1 })).rejects.toBeInstanceOf(RangeError);
    await expect(store.read('c-1', { sinceSeq: 0, limit: 0 })).rejects.toBeInstanceOf(RangeError);
  });

  it('a missing conversation reads as undefined (404); create() makes an empty one; a stray seq in an item is ignored', async () => {
    const store = createRedisHistoryStore<HistoryChunk>({ redis, prefix: 'empty:' });
    expect(await store.read('nope', { sinceSeq: 0 })).toBeUndefined();
    expect(await store.size('nope')).toBe(0);
    await store.create('new');
    await store.create('new'); // idempotent
    expect(await store.read('new', { sinceSeq: 0 })).toEqual({ chunks: [], latestSeq: 0 });
    expect(await store.read('new', { sinceSeq: 5, limit: 3 })).toEqual({ chunks: [], latestSeq: 5 });
    const first = await store.append('new', { ...item(1), seq: 99 } as unknown as Item);
    expect(first.seq).toBe(1);
    expect(await store.read('new', { sinceSeq: 0 })).toEqual({ chunks: [first], latestSeq: 1 });
  });

  it('seq = index + 1, gap-free, with two connections appending at once (W4)', async () => {
    const a = createRedisHistoryStore<HistoryChunk>({ redis, prefix: 'race:' });
    const b = createRedisHistoryStore<HistoryChunk>({ redis: other, prefix: 'race:' });
    const N = 500;
    const stamped = await Promise.all(Array.from({ length: N }, (_, i) => (i % 2 === 0 ? a : b).append('c', item(i))));
    expect(stamped.map((s) => s.seq).sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    const window = await a.read('c', { sinceSeq: 0 });
    expect(window?.chunks.map((c) => c.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    // Each seq holds the item that was stamped with it.
    for (const s of stamped) expect(window!.chunks[s.seq - 1]).toEqual(s);
  });

  it('a window read of a 100 000-item log touches only the window (XRANGE between two ids)', async () => {
    const store = createRedisHistoryStore<HistoryChunk>({ redis, prefix: 'big:' });
    // Filled by one script (100 000 calls of the store's own append would take a while).
    await redis.eval(
      `for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], i .. '-0', 'i', ARGV[2]) end`,
      1,
      'big:log',
      100_000,
      JSON.stringify(item(0)),
    );
    const started = performance.now();
    for (let i = 0; i < 200; i++) {
      const w = await store.read('log', { sinceSeq: 0, beforeSeq: 50_000 + i, limit: 20 });
      expect(w!.chunks.length).toBe(20);
      expect(w!.latestSeq).toBe(49_999 + i);
    }
    const perRead = (performance.now() - started) / 200;
    expect(perRead).toBeLessThan(5); // a scan of 50 000 entries per read would take far longer
  });

  it('a Redis that is down makes reads and appends reject with StoreUnavailableError naming the conversation', async () => {
    const own = await startRedisServer();
    const conn = await connectRedis(own.port);
    const store = createRedisHistoryStore<HistoryChunk>({ redis: conn });
    await store.append('c', item(1));
    await own.close();
    await expect(store.read('c', { sinceSeq: 0 })).rejects.toThrow(StoreUnavailableError);
    await expect(store.append('c', item(2))).rejects.toThrow(/history append \(conversation "c"\) failed/);
    conn.disconnect();
  });

  it('serves GET /conversations/{id} through the generated server', async () => {
    const store = createRedisHistoryStore<HistoryChunk>({ redis, prefix: 'http:' });
    for (let i = 1; i <= 5; i++) await store.append('conv-1', item(i));
    const app = createAgentUiServer({ handlers: { chatSend: accepted, uiAction() {} }, history: { conversationHistory: store } });
    const httpServer = http.createServer();
    app.attach(httpServer);
    await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
    try {
      const res = await fetch(`${origin}/conversations/conv-1?sinceSeq=0&limit=2`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { chunks: HistoryChunk[]; latestSeq: number };
      expect(body.chunks.map((c) => c.seq)).toEqual([4, 5]);
      expect(body.latestSeq).toBe(5);
      expect((await fetch(`${origin}/conversations/other`)).status).toBe(404);
      expect((await fetch(`${origin}/conversations/conv-1?limit=0`)).status).toBe(400);
    } finally {
      app.close();
      httpServer.closeAllConnections();
      await new Promise<void>((r) => httpServer.close(() => r()));
    }
  });
});
