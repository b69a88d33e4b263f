/**
 * The SessionStore contract, run against both stores through the interface only: the in-memory
 * default and the Redis store on a real redis-server. Where the Redis store is used by two
 * "processes" (two store instances with their own connections sharing one Redis), the memory
 * store is used twice by one process — same assertions.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../runtime/server/memory-store.js';
import { createRedisStore } from '../../runtime/server/redis-store.js';
import { frameParts, stamp, UnknownSessionError, verdictOf, type RunAnswer, type SessionListener, type SessionStore, type StoreBounds } from '../../runtime/server/store.js';
import { connectRedis, startRedisServer, type RedisServer } from './redis-server.js';

let redisServer: RedisServer;
beforeAll(async () => {
  redisServer = await startRedisServer();
});
afterAll(async () => {
  await redisServer?.close();
});

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

const BOUNDS: StoreBounds = { ttlMs: 120_000, idBits: 128, tokenBits: 256, replayWindow: { maxMessages: 1000, maxBytes: 1024 * 1024 } };
let prefixes = 0;

interface Kind {
  readonly name: string;
  /** Two handles on one store: two instances sharing a Redis, or the same memory store twice. */
  pair(bounds?: Partial<StoreBounds>): Promise<[SessionStore, SessionStore]>;
}

const KINDS: readonly Kind[] = [
  {
    name: 'memory',
    async pair(bounds = {}) {
      const store = createMemoryStore({ ...BOUNDS, ...bounds });
      closers.push(() => store.close());
      return [store, store];
    },
  },
  {
    name: 'redis',
    async pair(bounds = {}) {
      const b = { ...BOUNDS, ...bounds };
      const prefix = `conformance${++prefixes}:`;
      const make = async (): Promise<SessionStore> => {
        const store = createRedisStore({
          redis: await connectRedis(redisServer.port),
          subscriber: await connectRedis(redisServer.port),
          contract: { session: { ttlMs: b.ttlMs, idBits: b.idBits, tokenBits: b.tokenBits }, replayWindow: b.replayWindow },
          prefix,
        });
        closers.push(() => store.close());
        return store;
      };
      return [await make(), await make()];
    },
  },
];

/** A listener that records what it is told. */
function recorder() {
  const seqs: number[] = [];
  const frames: string[] = [];
  const events: string[] = [];
  const listener: SessionListener = {
    frame(frame, seq) {
      seqs.push(seq);
      frames.push(frame);
    },
    superseded: () => void events.push('superseded'),
    ended: () => void events.push('ended'),
  };
  return { listener, seqs, frames, events };
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const partsOf = (id: string, text: string) => frameParts('agent.event', id, JSON.stringify({ conversation_id: 'c-1', turn_id: 't-1', kind: 'text', text }));

describe.each(KINDS)('SessionStore conformance: $name', (kind) => {
  it('create and authenticate: fresh ids and tokens (S1); a wrong token answers like an unknown id (S3)', async () => {
    const [a, b] = await kind.pair();
    const s1 = await a.create('1.1');
    const s2 = await a.create('1.0');
    expect(s1.id).not.toBe(s2.id);
    expect(Buffer.from(s1.id, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect(Buffer.from(s1.token, 'base64url').length * 8).toBeGreaterThanOrEqual(256);
    expect(await b.authenticate(s1.id, s1.token)).toEqual({ ok: true, protocolVersion: '1.1' });
    expect(await b.authenticate(s2.id, s2.token)).toEqual({ ok: true, protocolVersion: '1.0' });
    expect(await b.authenticate(s1.id, s2.token)).toEqual({ ok: false, reason: 'unknown_session' });
    expect(await b.authenticate(s1.id, '')).toEqual({ ok: false, reason: 'unknown_session' });
    expect(await b.authenticate('AAAAAAAAAAAAAAAAAAAAAA', s1.token)).toEqual({ ok: false, reason: 'unknown_session' });
  });

  it('append: seqs 1..N gap-free across concurrent appends from two instances, each listener in order (Q2)', async () => {
    const [a, b] = await kind.pair();
    const N = 400;
    const x = await a.create('1.1');
    const y = await b.create('1.1');
    const onX = recorder();
    const onY = recorder();
    await a.attach(x.id, '1.1', onX.listener); // x's connection is in "process" a
    await b.attach(y.id, '1.1', onY.listener); // y's in "process" b
    const appends: Promise<number>[] = [];
    for (let i = 0; i < N; i++) {
      // Both processes emit to both sessions, interleaved, without waiting.
      const store = i % 2 === 0 ? a : b;
      appends.push(Promise.resolve(store.append(x.id, partsOf(x.id, `x${i}`))));
      appends.push(Promise.resolve(store.append(y.id, partsOf(y.id, `y${i}`))));
    }
    const seqs = await Promise.all(appends);
    const xs = seqs.filter((_, i) => i % 2 === 0).sort((p, q) => p - q);
    const ys = seqs.filter((_, i) => i % 2 === 1).sort((p, q) => p - q);
    expect(xs).toEqual(range(1, N));
    expect(ys).toEqual(range(1, N));
    await waitFor(() => onX.seqs.length >= N && onY.seqs.length >= N, 'every frame delivered');
    expect(onX.seqs).toEqual(range(1, N));
    expect(onY.seqs).toEqual(range(1, N));
    // Each frame is stamped with its own seq.
    onX.frames.forEach((f, i) => expect(JSON.parse(f).header).toEqual({ session_id: x.id, seq: i + 1 }));
  });

  it('append to an unknown session rejects with UnknownSessionError and consumes nothing', async () => {
    const [a] = await kind.pair();
    await expect(Promise.resolve().then(() => a.append('AAAAAAAAAAAAAAAAAAAAAA', partsOf('AAAAAAAAAAAAAAAAAAAAAA', 'x')))).rejects.toBeInstanceOf(UnknownSessionError);
  });

  it('acceptRun: each cseq is accepted once, in order, across instances; at or below acked a duplicate, above acked + 1 a gap; replay reports acked (C2)', async () => {
    const [a, b] = await kind.pair();
    const s = await a.create('1.1');
    const run = async (store: SessionStore, first: number, count: number) => {
      const answer = await store.acceptRun(s.id, first, count);
      return { ...answer, verdicts: range(first, first + count - 1).map((c) => verdictOf(answer, c)) };
    };
    expect(await run(a, 1, 1)).toEqual({ before: 0, acked: 1, verdicts: ['accepted'] });
    expect(await run(b, 1, 1)).toEqual({ before: 1, acked: 1, verdicts: ['duplicate'] });
    expect(await run(b, 3, 2)).toEqual({ before: 1, acked: 1, verdicts: ['gap', 'gap'] });
    // A run straddling acked: 1 a duplicate, 2-4 accepted.
    expect(await run(b, 1, 4)).toEqual({ before: 1, acked: 4, verdicts: ['duplicate', 'accepted', 'accepted', 'accepted'] });
    expect(await run(a, 2, 3)).toEqual({ before: 4, acked: 4, verdicts: ['duplicate', 'duplicate', 'duplicate'] });
    // The same run offered by both at once: exactly one of them hands it over.
    const both = await Promise.all([run(a, 5, 3), run(b, 5, 3)]);
    expect(both.map((x) => x.verdicts.join()).sort()).toEqual(['accepted,accepted,accepted', 'duplicate,duplicate,duplicate']);
    expect(both.map((x) => x.acked)).toEqual([7, 7]);
    const replay = await b.replay(s.id, 0);
    expect(replay.ok && replay.acked).toBe(7);
    await expect(Promise.resolve().then(() => a.acceptRun('AAAAAAAAAAAAAAAAAAAAAA', 1, 2))).rejects.toBeInstanceOf(UnknownSessionError);
  });

  it('acceptRun from two instances at once, overlapping runs: every cseq up to acked accepted by exactly one run, none above it (C2)', async () => {
    const [a, b] = await kind.pair();
    const s = await a.create('1.1');
    // Each round, both "processes" offer overlapping runs around acked at once (as clients re-send
    // after a resume), a few in flight each: some straddle acked, some are gaps, some duplicates.
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const owners = new Map<number, string>();
    let acked = 0;
    for (let round = 0; round < 60; round++) {
      const asked: { first: number; count: number; who: string; answer: Promise<RunAnswer> }[] = [];
      for (let i = 0; i < 6; i++) {
        const first = Math.max(1, acked + 1 + random(5) - 2);
        const count = 1 + random(4);
        asked.push({ first, count, who: `${round}.${i}`, answer: Promise.resolve((i % 2 ? a : b).acceptRun(s.id, first, count)) });
      }
      for (const q of asked) {
        const answer = await q.answer;
        for (let c = q.first; c < q.first + q.count; c++) {
          if (verdictOf(answer, c) !== 'accepted') continue;
          expect(owners.get(c), `cseq ${c} accepted by ${owners.get(c)} and ${q.who}`).toBeUndefined();
          owners.set(c, q.who);
        }
        acked = Math.max(acked, answer.acked);
      }
    }
    expect(acked).toBeGreaterThan(60);
    expect([...owners.keys()].sort((p, q) => p - q)).toEqual(range(1, acked));
    const replay = await a.replay(s.id, 0);
    expect(replay.ok && replay.acked).toBe(acked);
  });

  it('replay: exactly the frames after the cursor, byte for byte; invalid_cursor when ahead (R2, R3)', async () => {
    const [a, b] = await kind.pair();
    const s = await a.create('1.1');
    const expected: string[] = [];
    for (let i = 1; i <= 10; i++) {
      const parts = partsOf(s.id, `m${i} é ✓ 😀`);
      expect(await a.append(s.id, parts)).toBe(i);
      expected.push(stamp(parts, i).frame);
    }
    const all = await b.replay(s.id, 0);
    expect(all).toEqual({ ok: true, fromSeq: 1, latestSeq: 10, frames: expected.map((frame, i) => ({ seq: i + 1, frame })), acked: 0 });
    const tail = await b.replay(s.id, 7);
    expect(tail.ok && tail.frames.map((f) => f.seq)).toEqual([8, 9, 10]);
    expect(await b.replay(s.id, 10)).toEqual({ ok: true, fromSeq: 11, latestSeq: 10, frames: [], acked: 0 });
    expect(await b.replay(s.id, 11)).toEqual({ ok: false, reason: 'invalid_cursor', earliestSeq: 1, latestSeq: 10 });
    await expect(b.replay('AAAAAAAAAAAAAAAAAAAAAA', 0)).rejects.toBeInstanceOf(UnknownSessionError);
  });

  it('the window is bounded by count: older cursors get window_exceeded with earliest_seq, never a partial replay (R3)', async () => {
    const [a, b] = await kind.pair({ replayWindow: { maxMessages: 5, maxBytes: 1024 * 1024 } });
    const s = await a.create('1.1');
    for (let i = 1; i <= 12; i++) await a.append(s.id, partsOf(s.id, `m${i}`));
    const ok = await b.replay(s.id, 7);
    expect(ok.ok && ok.frames.map((f) => f.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(await b.replay(s.id, 6)).toEqual({ ok: false, reason: 'window_exceeded', earliestSeq: 8, latestSeq: 12 });
    expect(await b.replay(s.id, 0)).toEqual({ ok: false, reason: 'window_exceeded', earliestSeq: 8, latestSeq: 12 });
  });

  it('the window is bounded by bytes (a running total); one frame larger than the bound is still kept alone', async () => {
    const probe = stamp(partsOf('x'.repeat(22), 'm1'), 1);
    const frameBytes = Buffer.byteLength(probe.frame);
    expect(probe.bytes).toBe(frameBytes);
    const [a, b] = await kind.pair({ replayWindow: { maxMessages: 1000, maxBytes: 3 * frameBytes + 1 } });
    const s = await a.create('1.1');
    expect(s.id.length).toBe(22);
    for (let i = 1; i <= 9; i++) await a.append(s.id, partsOf(s.id, `m${i}`)); // equal sizes: 3 fit
    const ok = await b.replay(s.id, 6);
    expect(ok.ok && ok.frames.map((f) => f.seq)).toEqual([7, 8, 9]);
    expect(await b.replay(s.id, 5)).toEqual({ ok: false, reason: 'window_exceeded', earliestSeq: 7, latestSeq: 9 });
    // A big frame evicts everything else but stays itself; the next small one evicts it.
    await a.append(s.id, partsOf(s.id, 'B'.repeat(4 * frameBytes)));
    expect(await b.replay(s.id, 8)).toEqual({ ok: false, reason: 'window_exceeded', earliestSeq: 10, latestSeq: 10 });
    const big = await b.replay(s.id, 9);
    expect(big.ok && big.frames.map((f) => f.seq)).toEqual([10]);
    await a.append(s.id, partsOf(s.id, 'm11'));
    expect(await b.replay(s.id, 9)).toEqual({ ok: false, reason: 'window_exceeded', earliestSeq: 11, latestSeq: 11 });
  });

  it('release drops the window through the acknowledged seq (Q5); bytes are given back', async () => {
    const [a, b] = await kind.pair({ replayWindow: { maxMessages: 1000, maxBytes: 4096 } });
    const s = await a.create('1.1');
    for (let i = 1; i <= 10; i++) await a.append(s.id, partsOf(s.id, `m${i}`));
    await b.release(s.id, 6);
    const after = await a.replay(s.id, 6);
    expect(after.ok && after.frames.map((f) => f.seq)).toEqual([7, 8, 9, 10]);
    expect(await a.replay(s.id, 5)).toEqual({ ok: false, reason: 'window_exceeded', earliestSeq: 7, latestSeq: 10 });
    await b.release(s.id, 3); // behind the window: nothing happens
    await b.release(s.id, 100); // beyond latest: everything up to latest
    expect(await a.replay(s.id, 10)).toEqual({ ok: true, fromSeq: 11, latestSeq: 10, frames: [], acked: 0 });
    expect(await a.replay(s.id, 9)).toEqual({ ok: false, reason: 'window_exceeded', earliestSeq: 11, latestSeq: 10 });
    // The byte total went back to 0: a window of 4096 bytes holds as many frames as at the start.
    for (let i = 11; i <= 60; i++) await a.append(s.id, partsOf(s.id, `m${i}`));
    const n = Math.floor(4096 / stamp(partsOf(s.id, 'm11'), 11).bytes);
    const window = await a.replay(s.id, 60 - n);
    expect(window.ok).toBe(true);
    await b.release(s.id, 0); // a no-op
    await b.release('AAAAAAAAAAAAAAAAAAAAAA', 5); // unknown: a no-op
  });

  it('expiry after the TTL: the right token hears session_expired, any other unknown_session (S3, S4)', async () => {
    const [a, b] = await kind.pair({ ttlMs: 400 });
    const gone = await a.create('1.1');
    const kept = await a.create('1.1');
    const onKept = recorder();
    const sub = await a.attach(gone.id, '1.1', recorder().listener);
    await a.attach(kept.id, '1.1', onKept.listener); // stays attached: never expires
    await a.append(gone.id, partsOf(gone.id, 'm1'));
    await a.detach(sub);
    await sleep(1000); // 2.5 TTLs
    const swept = await a.sweep(Date.now());
    expect(swept).toContain(gone.id);
    expect(swept).not.toContain(kept.id);
    expect(await a.sweep(Date.now())).toEqual([]); // reported once
    expect(await b.authenticate(gone.id, gone.token)).toEqual({ ok: false, reason: 'session_expired' });
    expect(await b.authenticate(gone.id, kept.token)).toEqual({ ok: false, reason: 'unknown_session' });
    await expect(Promise.resolve().then(() => b.append(gone.id, partsOf(gone.id, 'late')))).rejects.toBeInstanceOf(UnknownSessionError);
    expect(await b.authenticate(kept.id, kept.token)).toEqual({ ok: true, protocolVersion: '1.1' });
    expect(await b.append(kept.id, partsOf(kept.id, 'still here'))).toBe(1);
    await waitFor(() => onKept.seqs.length === 1, 'the kept session to get its frame');
  });

  it('attach supersedes across instances (S4): the old listener is told, frames go to the new one only', async () => {
    const [a, b] = await kind.pair({ ttlMs: 400 });
    const s = await a.create('1.1');
    const first = recorder();
    const second = recorder();
    const sub1 = await a.attach(s.id, '1.1', first.listener);
    await a.append(s.id, partsOf(s.id, 'm1'));
    await waitFor(() => first.seqs.length === 1, 'm1 on the first attachment');
    await b.attach(s.id, '1.0', second.listener);
    await waitFor(() => first.events.includes('superseded'), 'the first attachment to be superseded');
    expect(second.events).toEqual([]);
    await a.append(s.id, partsOf(s.id, 'm2'));
    await b.append(s.id, partsOf(s.id, 'm3'));
    await waitFor(() => second.seqs.length === 2, 'm2 and m3 on the second attachment');
    expect(second.seqs).toEqual([2, 3]);
    expect(first.seqs).toEqual([1]);
    // The superseded attachment's detach changes nothing: the session stays attached (no TTL).
    await a.detach(sub1);
    await sleep(900);
    expect(await a.sweep(Date.now())).toEqual([]);
    expect(await a.authenticate(s.id, s.token)).toEqual({ ok: true, protocolVersion: '1.0' });
    expect(first.events).toEqual(['superseded']);
  });

  it('end: the attachment is told, a resume hears session_expired, appends are refused, sweep does not report it', async () => {
    const [a, b] = await kind.pair({ ttlMs: 300 });
    const s = await a.create('1.1');
    const rec = recorder();
    await a.attach(s.id, '1.1', rec.listener);
    await b.end(s.id);
    await waitFor(() => rec.events.includes('ended'), 'the attachment to hear the end');
    expect(await a.authenticate(s.id, s.token)).toEqual({ ok: false, reason: 'session_expired' });
    const other = await a.create('1.1');
    expect(await a.authenticate(s.id, other.token)).toEqual({ ok: false, reason: 'unknown_session' });
    await expect(Promise.resolve().then(() => a.append(s.id, partsOf(s.id, 'x')))).rejects.toBeInstanceOf(UnknownSessionError);
    await sleep(500);
    expect(await a.sweep(Date.now())).not.toContain(s.id);
    await b.end(s.id); // twice: a no-op
  });
});
