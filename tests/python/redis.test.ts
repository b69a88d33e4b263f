/**
 * The Python server on the Redis store, across processes and runtimes (a real redis-server):
 *  - two Python processes share sessions: a session opened on one resumes on the other with
 *    exactly the missed frames, data emitted on either reaches the connection wherever it is, and
 *    an attachment on one supersedes the other's (R2, Q2, S4);
 *  - a Python process and a TypeScript process share Redis too (the same key layout and Lua
 *    scripts): a session opened on Python resumes on TypeScript, and the TypeScript process emits
 *    into it, seqs continuing;
 *  - fan-out across processes: `emit_to_principal` / `broadcast` on one Python process reach the
 *    principal's sessions attached to the other, each with its own gap-free seq, and a TypeScript
 *    store lists the very sessions the Python processes indexed (the same index keys and Lua);
 *  - `contractgen probe` passes against a Python server on Redis.
 */
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract } from '../../generated/contract.js';
import { runProbe } from '../../generator/probe/runner.js';
import { ownerDigest } from '../../runtime/server/ids.js';
import { createRedisStore } from '../../runtime/server/redis-store.js';
import { failures, probeSpec } from '../probe/helpers.js';
import { record, sequenceProblem, startClient, waitFor } from '../client/helpers.js';
import { startRoundRobinProxy, startServerProcess } from '../redis/processes.js';
import { connectRedis, startRedisServer, type RedisServer } from '../redis/redis-server.js';
import { startPythonServer, type PythonServer } from './helpers.js';

interface Frame {
  readonly type: string;
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
}

/** A WebSocket client that queues frames (heartbeats left out) and tells how it was closed. */
async function connect(origin: string, query = '', headers: Record<string, string> = {}): Promise<{ ws: WebSocket; next(): Promise<Frame>; closed: Promise<number> }> {
  const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws${query}`, { headers });
  const queue: Frame[] = [];
  const waiters: ((f: Frame) => void)[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as Frame;
    if (frame.type === 'protocol.heartbeat') return;
    const w = waiters.shift();
    if (w) w(frame);
    else queue.push(frame);
  });
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = (): Promise<Frame> =>
    new Promise<Frame>((resolve, reject) => {
      const f = queue.shift();
      if (f) return resolve(f);
      const timer = setTimeout(() => reject(new Error('no frame within 5 s')), 5000);
      waiters.push((frame) => {
        clearTimeout(timer);
        resolve(frame);
      });
    });
  return { ws, next, closed };
}

const chat = (sessionId: string, text: string): string => JSON.stringify({ type: 'chat.send', header: { session_id: sessionId }, payload: { conversation_id: 'c-1', text } });
const resume = (sessionId: string, token: string, lastSeen: number): string => JSON.stringify({ type: 'protocol.resume', header: { session_id: sessionId }, payload: { resume_token: token, last_seen_seq: lastSeen } });
const seqs = (frames: readonly Frame[]): unknown[] => frames.map((f) => f.header.seq);
const take = async (c: { next(): Promise<Frame> }, n: number): Promise<Frame[]> => {
  const out: Frame[] = [];
  for (let i = 0; i < n; i++) out.push(await c.next());
  return out;
};

let redis: RedisServer;
let a: PythonServer;
let b: PythonServer;
beforeAll(async () => {
  redis = await startRedisServer();
  const env = { REDIS_URL: `redis://127.0.0.1:${redis.port}`, STORE_PREFIX: 'xproc:', CONFORMANCE: '1' };
  [a, b] = await Promise.all([startPythonServer('agent_app:app', env), startPythonServer('agent_app:app', env)]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await redis?.close();
});

describe('Python servers on Redis', () => {
  it('two Python processes share a session: resume elsewhere, emit from either, supersede across them', async () => {
    const first = await connect(a.url);
    const hello = await first.next();
    const sessionId = hello.payload.session_id as string;
    const token = hello.payload.resume_token as string;
    // Three events and the handler's reply, chat.accepted (C4): four data messages.
    first.ws.send(chat(sessionId, 'emit 3 3 0'));
    expect(seqs(await take(first, 4))).toEqual([1, 2, 3, 4]);
    first.ws.close();
    await first.closed;

    const onB = await connect(b.url, `?session_id=${sessionId}`);
    onB.ws.send(resume(sessionId, token, 1));
    const [helloB, resumed, ...replay] = await take(onB, 5);
    expect(helloB!.payload.session_id).toBe(sessionId);
    expect(resumed!.payload).toEqual({ from_seq: 2, latest_seq: 4, acked: 0 });
    expect(seqs(replay)).toEqual([2, 3, 4]);

    // Emitted by process A (a POSTed frame handled there), delivered by process B.
    const posted = await fetch(`${a.url}/messages`, { method: 'POST', headers: { "resume-token": token, 'content-type': 'application/json' }, body: chat(sessionId, 'emit 2 2 0') });
    expect(posted.status).toBe(202);
    const fromA = await take(onB, 3);
    expect(seqs(fromA)).toEqual([5, 6, 7]);
    expect(fromA.every((f) => f.header.session_id === sessionId)).toBe(true);

    // An attachment on A supersedes B's.
    const again = await connect(a.url, `?session_id=${sessionId}`);
    again.ws.send(resume(sessionId, token, 7));
    expect((await again.next()).type).toBe('protocol.hello');
    expect((await onB.next()).payload.code).toBe('superseded');
    expect(await onB.closed).toBe(4001);
    again.ws.close();
  });

  it('a Python process and a TypeScript process share a session through Redis', async () => {
    const ts = await startServerProcess({ name: 'ts', redisPort: redis.port, prefix: 'xproc:' });
    try {
      const onPy = await connect(a.url);
      const hello = await onPy.next();
      const sessionId = hello.payload.session_id as string;
      const token = hello.payload.resume_token as string;
      onPy.ws.send(chat(sessionId, 'emit 2 2 0'));
      const fromPython = await take(onPy, 3); // two events and the reply, chat.accepted (C4)
      onPy.ws.close();
      await onPy.closed;

      const onTs = await connect(ts.origin, `?session_id=${sessionId}`);
      onTs.ws.send(resume(sessionId, token, 0));
      const [helloTs, resumed, ...replay] = await take(onTs, 5);
      expect(helloTs!.type).toBe('protocol.hello');
      expect(resumed!.payload).toEqual({ from_seq: 1, latest_seq: 3, acked: 0 });
      // The very frames the Python outbox stamped, replayed by the TypeScript runtime.
      expect(replay).toEqual(fromPython);
      expect((await ts.emit(sessionId, 2)).map((r) => ('seq' in r ? r.seq : r.error))).toEqual([4, 5]);
      expect(seqs(await take(onTs, 2))).toEqual([4, 5]);
      onTs.ws.close();
    } finally {
      await ts.close();
    }
  }, 60_000);

  it('fan-out across two Python processes: emit_to_principal and broadcast on A reach sessions attached to B; a TypeScript store lists the same indexes', async () => {
    const env = { REDIS_URL: `redis://127.0.0.1:${redis.port}`, STORE_PREFIX: 'fanout:', CONFORMANCE: '0', USERS: '1' };
    const [fa, fb] = await Promise.all([startPythonServer('agent_app:fanout_app', env), startPythonServer('agent_app:fanout_app', env)]);
    const ts = createRedisStore({ redis: await connectRedis(redis.port), subscriber: await connectRedis(redis.port), contract, prefix: 'fanout:' });
    try {
      const as = (user: string) => ({ authorization: `Bearer ${user}` });
      const alice1 = await connect(fa.url, '', as('alice'));
      const alice2 = await connect(fb.url, '', as('alice'));
      const bob = await connect(fb.url, '', as('bob'));
      const ids = [];
      for (const c of [alice1, alice2, bob]) ids.push((await c.next()).payload.session_id as string);
      const fanOut = async (query: string) => (await fetch(`${fa.url}/test/fanout?${query}`, { method: 'POST' })).json();
      expect(await fanOut('principal=alice&text=to%20alice')).toEqual({ sent: 2, gone: 0, failed: 0 });
      expect(await fanOut('text=to%20all')).toEqual({ sent: 3, gone: 0, failed: 0 });
      const texts = (frames: readonly Frame[]) => frames.map((f) => [f.header.seq, f.payload.text, f.header.session_id]);
      expect(texts(await take(alice1, 2))).toEqual([[1, 'to alice', ids[0]], [2, 'to all', ids[0]]]);
      expect(texts(await take(alice2, 2))).toEqual([[1, 'to alice', ids[1]], [2, 'to all', ids[1]]]);
      expect(texts(await take(bob, 1))).toEqual([[1, 'to all', ids[2]]]);
      // The TypeScript store reads the indexes the Python processes wrote (index:o:<sha256(key)>, index:all).
      expect([...(await ts.sessionsOf('alice'))].sort()).toEqual([ids[0], ids[1]].sort());
      expect([...(await ts.sessionsOf(undefined))].sort()).toEqual([...ids].sort());
      const raw = await connectRedis(redis.port);
      expect((await raw.smembers(`fanout:index:o:${ownerDigest('alice')}`)).sort()).toEqual([ids[0], ids[1]].sort());
      await raw.quit();
      // And the other way: a session the TypeScript store creates for alice is reached by Python's fan-out.
      const made = await ts.create('1.1', { key: 'alice', principal: '"alice"' });
      expect(await fanOut('principal=alice&text=again')).toEqual({ sent: 3, gone: 0, failed: 0 });
      const replay = await ts.replay(made.id, 0);
      expect(replay.ok && replay.frames.map((f) => JSON.parse(f.frame).payload.text)).toEqual(['again']);
      expect(seqs(await take(alice1, 1))).toEqual([3]);
      for (const c of [alice1, alice2, bob]) c.ws.close();
    } finally {
      await ts.close();
      await Promise.all([fa.close(), fb.close()]);
    }
  }, 60_000);

  it('S4.10: the generated poll client through a round-robin balancer over two Python processes and a TypeScript one continues its attachment on each: 600 messages, none lost or repeated, one hello, no resume', async () => {
    const ts = await startServerProcess({ name: 'ts', redisPort: redis.port, prefix: 'xproc:' });
    const proxy = await startRoundRobinProxy([a.port, b.port, ts.port]);
    const client = startClient(proxy.origin, { transport: 'poll' });
    try {
      const rec = record(client);
      await waitFor(() => client.state === 'open' && client.sessionId !== undefined, 'the session');
      const N = 600;
      for (let sent = 0; sent < N; sent += 10) {
        expect((await ts.emit(client.sessionId!, 10)).every((r) => 'seq' in r)).toBe(true);
        await waitFor(() => rec.seqs.length >= sent + 10, `message ${sent + 10}`, 10_000, () => rec.summary());
      }
      expect(sequenceProblem(rec.seqs, N)).toBeUndefined();
      expect(rec.ofKind('sequence')).toEqual([]);
      expect(proxy.counts.hellos).toBe(1);
      expect(proxy.counts.resumes).toBe(0);
      for (const port of [a.port, b.port, ts.port]) expect(proxy.counts.polls.get(port)).toBeGreaterThanOrEqual(15);
    } finally {
      client.close();
      await proxy.close();
      await ts.close();
    }
  }, 90_000);

  it('contractgen probe passes against a Python server on Redis', async () => {
    const report = await runProbe({ spec: probeSpec(), url: b.url, timeoutMs: 5000 });
    expect(failures(report), b.stderr()).toBe('');
    expect(report.failed).toBe(0);
  }, 180_000);
});
