/**
 * What only the Redis store has: its key layout and TTLs (refreshed while attached, so a crashed
 * process's sessions still expire), connections that must fail fast (and are refused when they
 * would queue), failures that reject with StoreUnavailableError at once, and delivery that stays
 * gap-free and in order when the subscriber or the commands connection is killed mid-stream.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRedisStore, StoreOutcomeUnknownError } from '../../runtime/server/redis-store.js';
import { frameParts, StoreUnavailableError, UnknownSessionError, type SessionListener } from '../../runtime/server/store.js';
import { startSwitchProxy } from './processes.js';
import { connectRedis, startRedisServer, type RedisServer } from './redis-server.js';

let server: RedisServer;
let admin: Redis;
beforeAll(async () => {
  server = await startRedisServer();
  admin = await connectRedis(server.port);
});
afterAll(async () => {
  admin?.disconnect();
  await server?.close();
});

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

let prefixes = 0;
const contract = (ttlMs = 120_000, maxMessages = 1000) => ({ session: { ttlMs, idBits: 128, tokenBits: 256 }, replayWindow: { maxMessages, maxBytes: 1024 * 1024 } });

async function makeStore(options: { ttlMs?: number; maxMessages?: number; prefix?: string; port?: number; onError?: (e: StoreUnavailableError) => void } = {}) {
  const redis = await connectRedis(options.port ?? server.port);
  const subscriber = await connectRedis(options.port ?? server.port);
  const store = createRedisStore({
    redis,
    subscriber,
    contract: contract(options.ttlMs, options.maxMessages),
    prefix: options.prefix ?? `rs${++prefixes}:`,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  closers.push(() => store.close());
  return { store, redis, subscriber };
}

function recorder() {
  const seqs: number[] = [];
  const events: string[] = [];
  const listener: SessionListener = { frame: (_f, seq) => void seqs.push(seq), superseded: () => void events.push('superseded'), ended: () => void events.push('ended') };
  return { listener, seqs, events };
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000, detail?: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const partsOf = (id: string, text: string) => frameParts('agent.event', id, JSON.stringify({ conversation_id: 'c-1', turn_id: 't-1', kind: 'text', text }));

describe('key layout and TTLs', () => {
  it('one hash tag per session; TTL refreshed while attached, counted from detach, tombstone outlives it', async () => {
    const { store } = await makeStore({ ttlMs: 600, prefix: 'layout:' });
    const s = await store.create('1.1');
    const keys = store.keysOf(s.id);
    expect(keys).toEqual({ meta: `layout:{${s.id}}:meta`, log: `layout:{${s.id}}:log`, tomb: `layout:{${s.id}}:tomb`, channel: `layout:{${s.id}}:ch` });
    const meta = await admin.hgetall(keys.meta);
    expect(meta).toMatchObject({ v: '1.1', latest: '0', earliest: '1', bytes: '0', epoch: '0' });
    expect(meta.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(meta)).not.toContain(s.token); // only the digest is stored (S3)
    expect(await admin.get(keys.tomb)).toBe(meta.digest);

    const sub = await store.attach(s.id, '1.1', recorder().listener);
    expect(await admin.hget(keys.meta, 'owner')).toMatch(/^[A-Za-z0-9_-]{16}$/);
    await store.append(s.id, partsOf(s.id, 'm1'));
    expect(await admin.xrange(keys.log, '-', '+')).toEqual([['1-0', ['b', expect.any(String), 'a', expect.any(String), 'f', expect.stringContaining('"seq":1}')]]]);
    // Attached for 3 TTLs: the owner's refresh keeps every key alive.
    await sleep(1800);
    for (const key of [keys.meta, keys.log]) {
      const ttl = await admin.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600);
    }
    expect(await admin.pttl(keys.tomb)).toBeGreaterThan(600);
    await store.detach(sub);
    expect(await admin.hget(keys.meta, 'owner')).toBeNull();
    await sleep(800);
    expect(await admin.exists(keys.meta, keys.log)).toBe(0);
    expect(await admin.exists(keys.tomb)).toBe(1);
    expect(await store.sweep(Date.now())).toEqual([s.id]);
    expect(await store.authenticate(s.id, s.token)).toEqual({ ok: false, reason: 'session_expired' });
  });

  it('a crashed process does not keep its sessions alive: without refreshes they expire after the TTL', async () => {
    const a = await makeStore({ ttlMs: 500 });
    const b = await makeStore({ ttlMs: 500, prefix: `rs${prefixes}:` });
    const s = await a.store.create('1.1');
    await a.store.attach(s.id, '1.1', recorder().listener);
    await sleep(700);
    expect(await b.store.authenticate(s.id, s.token)).toEqual({ ok: true, protocolVersion: '1.1' });
    // The process dies: no detach, no more refreshes.
    a.redis.disconnect();
    a.subscriber.disconnect();
    await a.store.close();
    await sleep(800);
    expect(await b.store.authenticate(s.id, s.token)).toEqual({ ok: false, reason: 'session_expired' });
    // Another process never reports a session it did not hold.
    expect(await b.store.sweep(Date.now())).toEqual([]);
  });

  it('sweep does not report a session that another process attached after this one detached it', async () => {
    const a = await makeStore({ ttlMs: 400 });
    const b = await makeStore({ ttlMs: 400, prefix: `rs${prefixes}:` });
    const s = await a.store.create('1.1');
    await a.store.detach(await a.store.attach(s.id, '1.1', recorder().listener));
    await b.store.attach(s.id, '1.1', recorder().listener);
    await sleep(700);
    expect(await a.store.sweep(Date.now())).toEqual([]);
    expect(await b.store.authenticate(s.id, s.token)).toEqual({ ok: true, protocolVersion: '1.1' });
  });
});

describe('connections that would queue are refused; failures surface at once', () => {
  it('refuses connections with the offline queue on or retries per request (TypeError naming the option)', async () => {
    const lazy = { host: '127.0.0.1', port: server.port, lazyConnect: true };
    const defaults = new Redis(lazy);
    const sub = new Redis({ ...lazy, enableOfflineQueue: false });
    expect(() => createRedisStore({ redis: defaults, subscriber: sub, contract: contract() })).toThrow(/commands connection has enableOfflineQueue: true/);
    const retrying = new Redis({ ...lazy, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    expect(() => createRedisStore({ redis: retrying, subscriber: sub, contract: contract() })).toThrow(/maxRetriesPerRequest: 1/);
    const good = new Redis({ ...lazy, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    expect(() => createRedisStore({ redis: good, subscriber: new Redis(lazy), contract: contract() })).toThrow(/subscriber connection has enableOfflineQueue: true/);
    expect(() => createRedisStore({ redis: good, subscriber: sub, contract: contract() })).toThrow(/subscriber connection has autoResubscribe: true/);
    const quiet = new Redis({ ...lazy, enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResubscribe: false });
    expect(() => createRedisStore({ redis: quiet, subscriber: quiet, contract: contract() })).toThrow(/two connections/);
    void createRedisStore({ redis: good, subscriber: quiet, contract: contract() }).close();
    for (const c of [defaults, sub, retrying, good, quiet]) c.disconnect();
  });

  it('with Redis down every operation rejects with StoreUnavailableError naming it, within milliseconds; after a restart it works again', async () => {
    const own = await startRedisServer();
    closers.push(() => own.close());
    const { store } = await makeStore({ port: own.port });
    const s = await store.create('1.1');
    expect(await store.append(s.id, partsOf(s.id, 'm1'))).toBe(1);
    await own.stop();
    const started = Date.now();
    const outcomes = await Promise.allSettled([
      store.append(s.id, partsOf(s.id, 'm2')),
      store.authenticate(s.id, s.token),
      store.create('1.1'),
      store.replay(s.id, 0),
      store.attach(s.id, '1.1', recorder().listener),
    ]);
    expect(Date.now() - started).toBeLessThan(3000); // the verify window of an in-flight append is 2 s at most
    const reasons = outcomes.map((o) => (o.status === 'rejected' ? (o.reason as Error) : undefined));
    for (const r of reasons) expect(r).toBeInstanceOf(StoreUnavailableError);
    expect(reasons.map((r) => r!.message.match(/redis store: (\w+)/)?.[1])).toEqual(['append', 'authenticate', 'create', 'replay', 'subscribe']);
    expect(reasons[0]).not.toBeInstanceOf(StoreOutcomeUnknownError); // never sent: certainly not stored
    await own.start();
    const until = Date.now() + 5000;
    for (;;) {
      try {
        const fresh = await store.create('1.1');
        expect(await store.append(fresh.id, partsOf(fresh.id, 'm1'))).toBe(1);
        break;
      } catch (error) {
        expect(error).toBeInstanceOf(StoreUnavailableError);
        if (Date.now() > until) throw error;
        await sleep(50);
      }
    }
    // That Redis kept nothing (no persistence): the old session is unknown, a typed answer.
    expect(await store.authenticate(s.id, s.token)).toEqual({ ok: false, reason: 'unknown_session' });
    await expect(store.replay(s.id, 0)).rejects.toBeInstanceOf(UnknownSessionError);
  });
});

describe('delivery survives killed connections', () => {
  it('the subscriber is killed mid-stream: the listener still gets every seq once, in order (the gap is read from the window)', async () => {
    const errors: StoreUnavailableError[] = [];
    const { store, subscriber } = await makeStore({ onError: (e) => errors.push(e) });
    let reconnects = 0;
    subscriber.on('ready', () => reconnects++);
    const s = await store.create('1.1');
    const rec = recorder();
    await store.attach(s.id, '1.1', rec.listener);
    const N = 600;
    const appends: Promise<number>[] = [];
    for (let i = 1; i <= N; i++) {
      appends.push(store.append(s.id, partsOf(s.id, `m${i}`)));
      if (i === 200) await admin.client('KILL', 'TYPE', 'pubsub');
      if (i % 50 === 0) await sleep(5);
    }
    expect((await Promise.all(appends)).sort((a, b) => a - b)).toEqual(range(1, N));
    await waitFor(() => rec.seqs.length >= N, 'every frame delivered', 5000, () => `got ${rec.seqs.length}`);
    expect(rec.seqs).toEqual(range(1, N));
    expect(rec.events).toEqual([]);
    expect(reconnects).toBe(1); // the kill did cut the subscription
  });

  it('the subscriber is cut again while it subscribes after a reconnect: onError is told, nothing is unhandled, and every seq still arrives once, in order', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    closers.push(async () => void process.off('unhandledRejection', onUnhandled));
    const proxy = await startSwitchProxy(server.port);
    closers.push(() => proxy.close());
    const errors: StoreUnavailableError[] = [];
    const redis = await connectRedis(server.port);
    const subscriber = await connectRedis(proxy.port);
    const store = createRedisStore({ redis, subscriber, contract: contract(), prefix: `rs${++prefixes}:`, onError: (e) => void errors.push(e) });
    closers.push(() => store.close());
    const s = await store.create('1.1');
    const rec = recorder();
    await store.attach(s.id, '1.1', rec.listener);
    // On the first ready after the cut the store has just written SUBSCRIBE: it gets no answer,
    // and the connection is cut again under it (ioredis' own resubscribe would be unhandled here).
    let readies = 0;
    subscriber.on('ready', () => {
      if (readies++ > 0) return;
      proxy.hold();
      setTimeout(() => proxy.cut(), 50);
    });
    expect(await store.append(s.id, partsOf(s.id, 'm1'))).toBe(1);
    await waitFor(() => rec.seqs.length === 1, 'seq 1 delivered');
    proxy.cut();
    for (let i = 2; i <= 20; i++) {
      expect(await store.append(s.id, partsOf(s.id, `m${i}`))).toBe(i);
      await sleep(10);
    }
    await waitFor(() => readies >= 2, 'the subscriber ready again after the second cut');
    await waitFor(() => rec.seqs.length >= 20, 'every frame delivered', 5000, () => `got ${rec.seqs.join(',')}`);
    expect(rec.seqs).toEqual(range(1, 20));
    expect(rec.events).toEqual([]);
    expect(errors.map((e) => e.message)).toContainEqual(expect.stringMatching(/subscribing again after a reconnect failed/));
    await sleep(100);
    expect(unhandled).toEqual([]);
  });

  it('frames that leave the window while the subscriber is down are skipped, never half-replayed: the listener sees the jump (the client resumes and hears window_exceeded)', async () => {
    const proxy = await startSwitchProxy(server.port);
    closers.push(() => proxy.close());
    const redis = await connectRedis(server.port);
    const subscriber = await connectRedis(proxy.port);
    const store = createRedisStore({ redis, subscriber, contract: contract(120_000, 5), prefix: `rs${++prefixes}:` });
    closers.push(() => store.close());
    const s = await store.create('1.1');
    const rec = recorder();
    await store.attach(s.id, '1.1', rec.listener);
    let readies = 0;
    subscriber.on('ready', () => readies++);
    expect(await store.append(s.id, partsOf(s.id, 'm1'))).toBe(1);
    await waitFor(() => rec.seqs.length === 1, 'seq 1 delivered');
    proxy.refuse(true); // the subscriber cannot come back yet
    proxy.cut();
    for (let i = 2; i <= 20; i++) expect(await store.append(s.id, partsOf(s.id, `m${i}`))).toBe(i);
    proxy.refuse(false);
    await waitFor(() => readies >= 1, 'the subscriber back');
    await waitFor(() => rec.seqs.includes(20), 'the newest frame delivered', 5000, () => `got ${rec.seqs.join(',')}`);
    // The window holds 16..20: 2..15 are gone, so the listener jumps from 1 to 16 and gets the rest in order.
    expect(rec.seqs).toEqual([1, 16, 17, 18, 19, 20]);
    expect(await store.replay(s.id, 1)).toMatchObject({ ok: false, reason: 'window_exceeded', earliestSeq: 16, latestSeq: 20 });
  });

  it('the commands connection is killed mid-stream: each append resolves (stored, delivered) or rejects with StoreUnavailableError (not stored); seqs stay gap-free', async () => {
    const { store, redis } = await makeStore({ maxMessages: 5000 });
    const s = await store.create('1.1');
    const rec = recorder();
    await store.attach(s.id, '1.1', rec.listener);
    const id = await redis.client('ID');
    const N = 3000;
    const appends: Promise<PromiseSettledResult<number>>[] = [];
    let killed: Promise<unknown> | undefined;
    for (let i = 1; i <= N; i++) {
      // Settled at once: a rejection is an outcome here, not an unhandled error.
      appends.push(Promise.allSettled([store.append(s.id, partsOf(s.id, `m${i}`))]).then(([o]) => o!));
      if (i === 1000) killed = admin.client('KILL', 'ID', String(id));
      if (i % 100 === 0) await sleep(2);
    }
    expect(await killed).toBe(1); // CLIENT KILL ID answers how many it killed
    const outcomes = await Promise.all(appends);
    const stored = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    const refused = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as Error] : []));
    for (const r of refused) expect(r).toBeInstanceOf(StoreUnavailableError);
    const unknown = refused.filter((r) => r instanceof StoreOutcomeUnknownError);
    expect(unknown).toEqual([]); // Redis was back in time to answer every "did it land?"
    expect(stored.length + refused.length).toBe(N);
    expect(refused.length).toBeGreaterThan(0); // the kill did cut something
    expect([...stored].sort((a, b) => a - b)).toEqual(range(1, stored.length)); // gap-free, none twice
    await waitFor(() => rec.seqs.length >= stored.length, 'every stored frame delivered', 5000);
    await sleep(100);
    expect(rec.seqs).toEqual(range(1, stored.length));
    const replay = await store.replay(s.id, 0);
    expect(replay.ok && replay.frames.length).toBe(stored.length);
  });
});

describe('a poll attachment continued on another process (S4.10)', () => {
  const prefix = 'proceed:';
  it('proceed binds B to the live attachment without a claim: data reaches both, A is not superseded, and an attachment id that is not the live one is refused', async () => {
    const { store: a } = await makeStore({ prefix });
    const { store: b } = await makeStore({ prefix });
    const s = await a.create('1.1');
    const onA = recorder();
    const sub = await a.attach(s.id, '1.1', onA.listener);
    await a.append(s.id, partsOf(s.id, 'm1'));
    expect(await b.proceed(s.id, 'not-the-live-one', 1000, recorder().listener)).toBeUndefined();
    const onB = recorder();
    const continued = await b.proceed(s.id, sub.attachmentId, 1000, onB.listener);
    expect(continued).toMatchObject({ latestSeq: 1, acked: 0, subscription: { sessionId: s.id, attachmentId: sub.attachmentId } });
    expect(await admin.hget(a.keysOf(s.id).meta, 'epoch')).toBe('1'); // no claim
    await a.append(s.id, partsOf(s.id, 'm2'));
    await waitFor(() => onA.seqs.includes(2) && onB.seqs.includes(2), 'seq 2 on both');
    expect(onB.seqs).toEqual([2]); // from the seq it continued at
    expect([...onA.events, ...onB.events]).toEqual([]);
    // A new attachment (a claim) supersedes it everywhere; the old id then proceeds nowhere.
    const c = await makeStore({ prefix });
    await c.store.attach(s.id, '1.1', recorder().listener);
    await waitFor(() => onA.events.length === 1 && onB.events.length === 1, 'both told');
    expect([...onA.events, ...onB.events]).toEqual(['superseded', 'superseded']);
    expect(await a.proceed(s.id, sub.attachmentId, 1000, recorder().listener)).toBeUndefined();
  });

  it('a process whose earlier poll ran out does not detach the attachment while a later poll elsewhere keeps it live; the last one does, after its lease', async () => {
    const { store: a } = await makeStore({ prefix });
    const { store: b } = await makeStore({ prefix });
    const s = await a.create('1.1');
    const subA = await a.attach(s.id, '1.1', recorder().listener);
    const meta = a.keysOf(s.id).meta;
    const continued = await b.proceed(s.id, subA.attachmentId, 400, recorder().listener);
    await a.detach(subA); // A's lease ran out first
    expect(await admin.hget(meta, 'owner')).toBe(subA.attachmentId); // still attached: B's poll keeps it live
    expect(await b.renew(continued!.subscription, 400)).toBe(true);
    await sleep(450);
    await b.detach(continued!.subscription); // B's lease ran out: the TTL starts now
    expect(await admin.hget(meta, 'owner')).toBeNull();
    expect(await b.proceed(s.id, subA.attachmentId, 400, recorder().listener)).toBeUndefined(); // detached: a later poll is a resume
  });
});
