/**
 * Redis failing under a running generated server (createAgentUiServer with createRedisStore):
 * connections killed while the server emits — every emit resolves (and the client receives it)
 * or rejects with StoreUnavailableError and onError is told, none is lost silently; Redis killed
 * and restarted — while it is down the server answers typed errors and keeps serving HTTP, after
 * a restart without persistence a resume gets a typed refusal, and with persistence it succeeds.
 */
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { contract } from '../../generated/contract.js';
import { createMemoryHistoryStore } from '../../generated/runtime/server/history.js';
import { createRedisStore, StoreOutcomeUnknownError } from '../../generated/runtime/server/redis-store.js';
import { StoreUnavailableError } from '../../generated/runtime/server/store.js';
import { createAgentUiServer, type AgentUiServer } from '../../generated/server.js';
import type { HistoryChunk } from '../../generated/types.js';
import { cleanup, connectWs, expectResumed, onCleanup, openSession, range, resumeChannel, seqsOf, serve, target, type Target } from '../server/helpers.js';
import { connectRedis, startRedisServer, type RedisServer } from './redis-server.js';
import { accepted } from '../support/accepted.js';

afterEach(cleanup);

interface Running {
  readonly app: AgentUiServer;
  readonly at: Target;
  readonly origin: string;
  readonly redis: RedisServer;
  readonly admin: Redis;
  /** What onError was told, in order. */
  readonly errors: { error: unknown; where: { sessionId?: string; type?: string } }[];
  /** One emit from outside a handler; the outcome, never a throw. */
  emit(sessionId: string, text: string): Promise<{ seq: number } | { error: unknown }>;
}

async function start(options: { persistence?: boolean } = {}): Promise<Running> {
  const redis = await startRedisServer(options);
  onCleanup(() => redis.close());
  const admin = await connectRedis(redis.port);
  onCleanup(() => admin.disconnect());
  // A window larger than any test here emits: however long a killed connection takes to come back
  // under load, no frame leaves the window, so every stored frame must reach the client (what
  // happens to frames that do leave it is tested in redis-store.test.ts).
  const window = { ...contract.replayWindow, maxMessages: 5000, maxBytes: 16 * 1024 * 1024 };
  const store = createRedisStore({ redis: await connectRedis(redis.port), subscriber: await connectRedis(redis.port), contract: { ...contract, replayWindow: window }, refreshMs: 200 });
  const errors: Running['errors'] = [];
  const history = createMemoryHistoryStore<HistoryChunk>();
  history.append('c-1', { role: 'user', chunk: { kind: 'text', text: 'hi' } });
  const app = createAgentUiServer({
    store,
    history: { conversationHistory: history },
    handlers: { chatSend: accepted, uiAction() {}, onError: (error, where) => void errors.push({ error, where }) },
  });
  onCleanup(() => store.close()); // after the server (last registered, first closed)
  const { port } = await serve(app);
  return {
    app,
    at: target(port, contract),
    origin: `http://127.0.0.1:${port}`,
    redis,
    admin,
    errors,
    emit: (sessionId, text) =>
      app
        .emitTo(sessionId)
        .agentEvent({ conversation_id: 'c-1', turn_id: 't-1', kind: 'text', text })
        .then(
          (seq) => ({ seq }),
          (error: unknown) => ({ error }),
        ),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Redis connections killed while the server emits', () => {
  it('every emit resolves and is received, or rejects with StoreUnavailableError and onError is told; none is lost silently', async () => {
    const r = await start();
    const s = await openSession(r.at, 'websocket');
    const N = 3000;
    const outcomes: Promise<{ seq: number } | { error: unknown }>[] = [];
    const kills: Promise<unknown>[] = []; // not awaited in the loop (the emits go on), but awaited
    for (let i = 1; i <= N; i++) {
      outcomes.push(r.emit(s.sessionId, `m${i}`));
      if (i === 800) kills.push(r.admin.client('KILL', 'TYPE', 'normal')); // the commands connection (not the admin: SKIPME)
      if (i === 1600) kills.push(r.admin.client('KILL', 'TYPE', 'pubsub')); // the subscriber
      if (i === 2400) kills.push(r.admin.client('KILL', 'TYPE', 'normal')); // may also catch the subscriber mid-resubscribe
      if (i % 100 === 0) await sleep(3);
    }
    await Promise.all(kills);
    const results = await Promise.all(outcomes);
    const stored = results.flatMap((o) => ('seq' in o ? [o.seq] : []));
    const refused = results.flatMap((o) => ('error' in o ? [o.error] : []));
    expect(stored.length + refused.length).toBe(N);
    expect(refused.length).toBeGreaterThan(0); // the kills did cut something
    for (const e of refused) {
      expect(e).toBeInstanceOf(StoreUnavailableError);
      expect(e).not.toBeInstanceOf(StoreOutcomeUnknownError); // Redis came back in time to say
    }
    // onError was told about each refused emit, with its session and type.
    const told = r.errors.filter((e) => e.where.type === 'agent.event');
    expect(told.map((e) => e.error)).toEqual(expect.arrayContaining(refused));
    expect(told.length).toBe(refused.length);
    for (const t of told) expect(t.where.sessionId).toBe(s.sessionId);
    // Stored = seqs 1..k, none twice; the client got exactly those, in order.
    const k = stored.length;
    expect([...stored].sort((x, y) => x - y)).toEqual(range(1, k));
    const got = await s.ch.data(k);
    expect(seqsOf(got)).toEqual(range(1, k));
    const bySeq = new Map(results.flatMap((o, i) => ('seq' in o ? [[o.seq, `m${i + 1}`] as const] : [])));
    for (const f of got) expect(f.payload.text).toBe(bySeq.get(f.header.seq));
    await s.ch.idle(300);
  });
});

describe('Redis killed and restarted', () => {
  it('without persistence: while down, typed errors and HTTP still served; after the restart a resume gets unknown_session and new sessions work', async () => {
    const r = await start();
    const s = await openSession(r.at, 'websocket');
    for (let i = 1; i <= 3; i++) expect(await r.emit(s.sessionId, `m${i}`)).toEqual({ seq: i });
    expect(seqsOf(await s.ch.data(3))).toEqual([1, 2, 3]);

    await r.redis.stop(); // SIGKILL: a crash
    const during = await r.emit(s.sessionId, 'lost?');
    expect('error' in during && during.error).toBeInstanceOf(StoreUnavailableError);
    expect(r.errors.some((e) => e.error === ('error' in during ? during.error : undefined))).toBe(true);
    // A new connection and a resume: typed handler_failed, closed with 1013 (try again later).
    const fresh = await connectWs(r.at, '?versions=1.0,1.1');
    const refusal = await fresh.next('protocol.error');
    expect(refusal.payload.code).toBe('handler_failed');
    expect(refusal.payload.message).toMatch(/redis store: create failed/);
    expect((await fresh.ended).code).toBe(1013);
    const resume = await resumeChannel(r.at, 'websocket', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 3 });
    expect((await resume.next('protocol.error')).payload.code).toBe('handler_failed');
    expect((await resume.ended).code).toBe(1013);
    // SSE says the same in its stream; HTTP routes that do not need Redis keep working.
    const sse = await fetch(`${r.origin}${contract.transports.sse!.path}`);
    expect(await sse.text()).toContain('handler_failed');
    const history = await fetch(`${r.origin}/conversations/c-1?sinceSeq=0`);
    expect(history.status).toBe(200);
    expect(((await history.json()) as { chunks: unknown[] }).chunks).toHaveLength(1);

    await r.redis.start(); // empty: it kept nothing
    // The attachment whose session vanished is closed (its refresh finds nothing): session_expired.
    expect((await s.ch.ended).code).toBe(4002);
    let again = await resumeChannel(r.at, 'websocket', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 3 });
    // Until the connections are back the answer is handler_failed/1013; then the typed refusal.
    for (const until = Date.now() + 5000; ; ) {
      const first = await again.next();
      if (first.type === 'protocol.resume_failed') {
        expect(first.payload.reason).toBe('unknown_session');
        expect((await again.ended).code).toBe(4003);
        break;
      }
      expect(first.payload.code).toBe('handler_failed');
      if (Date.now() > until) throw new Error('resumes still fail with handler_failed 5 s after the restart');
      await sleep(100);
      again = await resumeChannel(r.at, 'websocket', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 3 });
    }
    const next = await openSession(r.at, 'websocket');
    expect(await r.emit(next.sessionId, 'after')).toEqual({ seq: 1 });
    expect(seqsOf(await next.ch.data(1))).toEqual([1]);
  });

  it('with persistence (AOF, fsync always): after the restart the same connection keeps receiving and a resume replays exactly', async () => {
    const r = await start({ persistence: true });
    const s = await openSession(r.at, 'websocket');
    for (let i = 1; i <= 3; i++) expect(await r.emit(s.sessionId, `m${i}`)).toEqual({ seq: i });
    expect(seqsOf(await s.ch.data(3))).toEqual([1, 2, 3]);

    await r.redis.stop();
    const during = await r.emit(s.sessionId, 'refused');
    expect('error' in during && during.error).toBeInstanceOf(StoreUnavailableError);
    await r.redis.start();
    // The emit that was refused took no seq: the next one is 4.
    let outcome = await r.emit(s.sessionId, 'm4');
    for (const until = Date.now() + 5000; 'error' in outcome && Date.now() < until; ) {
      await sleep(50);
      outcome = await r.emit(s.sessionId, 'm4');
    }
    expect(outcome).toEqual({ seq: 4 });
    expect(await r.emit(s.sessionId, 'm5')).toEqual({ seq: 5 });
    // The subscriber reconnected and subscribed again: the live connection gets 4 and 5.
    const live = await s.ch.data(2);
    expect(seqsOf(live)).toEqual([4, 5]);
    expect(live.map((f) => f.payload.text)).toEqual(['m4', 'm5']);
    // A second connection resumes from 2: exactly 3..5 (and supersedes the first).
    const moved = await resumeChannel(r.at, 'websocket', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 2 });
    expect(seqsOf(await expectResumed(moved, s.sessionId, 3, 5))).toEqual([3, 4, 5]);
    expect((await s.ch.ended).code).toBe(4001);
    await moved.idle(300);
  });
});
