/**
 * Two server PROCESSES (the generated server on createRedisStore, forked with tsx) against one
 * real redis-server: a client on process A is cut off, comes back through the "load balancer" to
 * process B, resumes and gets exactly what it missed; data that A emits while the client sits on
 * B reaches it in order; a new connection on B supersedes the one on A; refusals are the same
 * typed answers whichever process gives them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createAgentUiClient } from '../../generated/client.js';
import { contract } from '../../generated/contract.js';
import type { ClientEvent } from '../../generated/runtime/client/client-core.js';
import type { AgentEvent } from '../../generated/types.js';
import { chatSend, cleanup, expectRefused, expectResumed, openSession, range, resumeChannel, seqsOf, target, waitFor } from '../server/helpers.js';
import { startServerProcess, startSwitchProxy, type ServerProcess } from './processes.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

let redis: RedisServer;
let a: ServerProcess;
let b: ServerProcess;
beforeAll(async () => {
  redis = await startRedisServer();
  const prefix = 'two:';
  [a, b] = await Promise.all([startServerProcess({ name: 'A', redisPort: redis.port, prefix }), startServerProcess({ name: 'B', redisPort: redis.port, prefix })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await redis?.close();
});
afterEach(cleanup);

/** Waits for an asynchronous condition (a question to a server process). */
async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const seqsOfResults = (results: Awaited<ReturnType<ServerProcess['emit']>>): number[] =>
  results.map((r) => {
    if (!('seq' in r)) throw new Error(`an emit failed: ${r.name}: ${r.error}`);
    return r.seq;
  });

describe('two server processes on one Redis', () => {
  it('the generated client: cut off from A, back through B, it resumes with exactly the missed messages; A keeps emitting to it', async () => {
    const proxy = await startSwitchProxy(a.port);
    const received: AgentEvent[] = [];
    const events: ClientEvent[] = [];
    const client = createAgentUiClient({ url: `http://127.0.0.1:${proxy.port}`, transport: 'websocket', WebSocket: WebSocket as never, backoff: { initialMs: 20, maxMs: 100 } });
    client.on.agentEvent((m) => void received.push(m));
    client.onEvent((e) => void events.push(e));
    try {
      await waitFor(() => client.sessionId !== undefined && client.state === 'open', 'the client to open a session on A');
      const sessionId = client.sessionId!;
      expect(seqsOfResults(await a.emit(sessionId, 5, 'first'))).toEqual([1, 2, 3, 4, 5]);
      await waitFor(() => received.length === 5, 'seqs 1..5 on A');

      // The balancer loses A: the connection is cut and, for a while, nothing answers.
      proxy.refuse(true);
      proxy.switchTo(b.port);
      proxy.cut();
      await waitFor(() => client.state !== 'open', 'the client to notice the cut');
      expect(seqsOfResults(await a.emit(sessionId, 3, 'missed'))).toEqual([6, 7, 8]);
      proxy.refuse(false);
      await waitFor(() => received.length === 8, 'the missed seqs 6..8 replayed by B', 10_000);
      expect(client.sessionId).toBe(sessionId);
      expect(events).toContainEqual(expect.objectContaining({ kind: 'session', sessionId, resumed: true }));

      // The client sits on B; A emits (emitTo: the session's connection is in another process).
      expect(seqsOfResults(await a.emit(sessionId, 4, 'from A'))).toEqual([9, 10, 11, 12]);
      expect(seqsOfResults(await b.emit(sessionId, 2, 'from B'))).toEqual([13, 14]);
      await waitFor(() => received.length === 14, 'seqs 9..14 on B');
      await new Promise((r) => setTimeout(r, 200));
      expect(received.map((m) => m.header.seq)).toEqual(range(1, 14));
      expect(received.map((m) => m.payload.text)).toEqual([
        ...range(0, 4).map((i) => `first ${i}`),
        ...range(0, 2).map((i) => `missed ${i}`),
        ...range(0, 3).map((i) => `from A ${i}`),
        ...range(0, 1).map((i) => `from B ${i}`),
      ]);
      expect(events.filter((e) => e.kind === 'sequence')).toEqual([]); // no duplicate, no gap
      expect(await a.errors()).toEqual([]);
      expect(await b.errors()).toEqual([]);
    } finally {
      client.close();
      await proxy.close();
    }
  });

  it.each(['websocket', 'sse'] as const)('a %s resume on B supersedes the WebSocket on A (closed with superseded); later data from A reaches B', async (kind) => {
    const onA = target(a.port, contract);
    const onB = target(b.port, contract);
    const s = await openSession(onA, 'websocket');
    expect(seqsOfResults(await a.emit(s.sessionId, 2))).toEqual([1, 2]);
    expect(seqsOf(await s.ch.data(2))).toEqual([1, 2]);

    const moved = await resumeChannel(onB, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: 1 });
    expect(seqsOf(await expectResumed(moved, s.sessionId, 2, 2))).toEqual([2]);
    const notice = await s.ch.next('protocol.error');
    expect(notice.payload.code).toBe('superseded');
    expect((await s.ch.ended).code).toBe(4001);

    expect(seqsOfResults(await a.emit(s.sessionId, 3))).toEqual([3, 4, 5]);
    expect(seqsOf(await moved.data(3))).toEqual([3, 4, 5]);
    await moved.idle();
  });

  it('B answers a resume of a session created on A with the same typed refusals: window, cursor, token', async () => {
    const onA = target(a.port, contract);
    const onB = target(b.port, contract);
    const s = await openSession(onA, 'websocket');
    seqsOfResults(await a.emit(s.sessionId, 3));
    const ahead = await resumeChannel(onB, 'websocket', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 9 });
    expect((await expectRefused(ahead, 'invalid_cursor')).payload).toMatchObject({ latest_seq: 3 });
    const wrong = await resumeChannel(onB, 'websocket', { sessionId: s.sessionId, token: s.token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), lastSeenSeq: 0 });
    await expectRefused(wrong, 'unknown_session');
    // The refusals left A's connection alone (R3: a refused resume does not take the session over).
    expect(seqsOfResults(await b.emit(s.sessionId, 1))).toEqual([4]);
    expect(seqsOf(await s.ch.data(4))).toEqual([1, 2, 3, 4]);
  });

  it('a session ended by another process (a logout elsewhere): the connection on A is closed, a resume on B gets session_expired', async () => {
    const onA = target(a.port, contract);
    const onB = target(b.port, contract);
    const s = await openSession(onA, 'websocket');
    expect(seqsOfResults(await b.emit(s.sessionId, 1))).toEqual([1]);
    await s.ch.data(1);
    // A third process (here: a store on its own connections, same prefix) ends the session.
    const { createRedisStore } = await import('../../runtime/server/redis-store.js');
    const { connectRedis } = await import('./redis-server.js');
    const third = createRedisStore({ redis: await connectRedis(redis.port), subscriber: await connectRedis(redis.port), contract, prefix: 'two:' });
    try {
      await third.end(s.sessionId);
    } finally {
      await third.close();
    }
    expect((await s.ch.ended).code).toBe(4002);
    const again = await resumeChannel(onB, 'websocket', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 1 });
    await expectRefused(again, 'session_expired');
  });

  it('C2 across processes: frames sent to A and sent again to B after a cut are handed over exactly once; a gap on B is refused', async () => {
    const s = await openSession(target(a.port, contract), 'websocket');
    const acked = async (ch: typeof s.ch): Promise<number> => {
      for (;;) {
        const f = await ch.next();
        if (f.type === 'protocol.received') return f.payload.acked as number;
      }
    };
    for (const c of [1, 2, 3]) await s.ch.send(chatSend(s.sessionId, `x${c}`, { cseq: c }));
    await until(async () => (await a.handled()).filter((h) => h.startsWith(s.sessionId)).length === 3, 'A to hand over 1..3');
    expect(await acked(s.ch)).toBeGreaterThanOrEqual(1);
    s.ch.drop();
    // The client never saw every acknowledgement: it resumes on B and sends 2..5 again.
    const again = await resumeChannel(target(b.port, contract), 'websocket', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 3 });
    await again.next('protocol.hello');
    expect((await again.next('protocol.resumed')).payload.acked).toBe(3);
    for (const c of [2, 3, 4, 5]) await again.send(chatSend(s.sessionId, `x${c}`, { cseq: c }));
    await until(async () => (await acked(again)) === 5, 'B to acknowledge 5');
    // A POST to A (the other process) of an old cseq is a duplicate there too; a gap is refused.
    const dup = await fetch(`http://127.0.0.1:${a.port}/messages?session_id=${s.sessionId}`, { method: 'POST', headers: { 'resume-token': s.token, 'content-type': 'application/json' }, body: JSON.stringify(chatSend(s.sessionId, 'x4', { cseq: 4 })) });
    expect(await dup.json()).toMatchObject({ accepted: 1, acked: 5, frames: [] });
    const gap = await fetch(`http://127.0.0.1:${a.port}/messages?session_id=${s.sessionId}`, { method: 'POST', headers: { 'resume-token': s.token, 'content-type': 'application/json' }, body: JSON.stringify(chatSend(s.sessionId, 'x7', { cseq: 7 })) });
    expect(gap.status).toBe(409);
    const mine = async (p: ServerProcess): Promise<string[]> => (await p.handled()).filter((h) => h.startsWith(`${s.sessionId}:`)).map((h) => h.slice(s.sessionId.length + 1));
    expect(await mine(a)).toEqual(['x1', 'x2', 'x3']);
    expect(await mine(b)).toEqual(['x4', 'x5']);
    again.drop();
  });

  it('C2 across processes: the same cseq POSTed to A and B at once is handed over by exactly one of them', async () => {
    const s = await openSession(target(a.port, contract), 'sse');
    const post = (p: ServerProcess, c: number) =>
      fetch(`http://127.0.0.1:${p.port}/messages?session_id=${s.sessionId}`, { method: 'POST', headers: { 'resume-token': s.token, 'content-type': 'application/json' }, body: JSON.stringify(chatSend(s.sessionId, `y${c}`, { cseq: c })) }).then((r) => r.json() as Promise<{ acked: number }>);
    for (let c = 1; c <= 20; c++) {
      const answers = await Promise.all([post(a, c), post(b, c)]);
      expect(answers.map((x) => x.acked)).toEqual([c, c]);
    }
    const all = [...(await a.handled()), ...(await b.handled())].filter((h) => h.startsWith(`${s.sessionId}:`)).map((h) => h.slice(s.sessionId.length + 1));
    expect(all.sort()).toEqual(range(1, 20).map((c) => `y${c}`).sort());
    s.ch.drop();
  });

  it.each(['websocket', 'sse', 'poll'] as const)('the generated client over %s, cut from A with sends in flight, resumes on B: every send handled exactly once, in order, across the two (C2, C3)', async (transport) => {
    const proxy = await startSwitchProxy(a.port);
    const client = createAgentUiClient({ url: `http://127.0.0.1:${proxy.port}`, transport, WebSocket: WebSocket as never, backoff: { initialMs: 20, maxMs: 100 } });
    try {
      await waitFor(() => client.sessionId !== undefined && client.state === 'open', 'the client to open a session on A');
      const sessionId = client.sessionId!;
      const mine = async (p: ServerProcess): Promise<string[]> => (await p.handled()).filter((h) => h.startsWith(`${sessionId}:`)).map((h) => h.slice(sessionId.length + 1));
      const TOTAL = 120;
      let queued = 0;
      const failures: unknown[] = [];
      const sender = async (): Promise<void> => {
        while (queued < TOTAL) await client.send.chatSend({ conversation_id: 'c-1', text: `z${++queued}` }).catch((e: unknown) => void failures.push(e));
      };
      const senders = Promise.all(Array.from({ length: 10 }, sender));
      await until(async () => (await mine(a)).length >= 30, 'A to handle some sends');
      // The balancer loses A with sends in flight, some handled there and not yet acknowledged.
      proxy.switchTo(b.port);
      proxy.cut();
      await senders;
      expect(failures).toEqual([]);
      const onA = await mine(a);
      const onB = await mine(b);
      expect(onB.length).toBeGreaterThan(0);
      expect([...onA, ...onB]).toEqual(range(1, TOTAL).map((i) => `z${i}`));
      expect(client.acked).toBe(TOTAL);
    } finally {
      client.close();
      await proxy.close();
    }
  });
});
