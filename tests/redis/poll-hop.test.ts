/**
 * S4.10: behind a load balancer without sticky sessions, consecutive polls of one client reach
 * different server processes on one Redis. A poll that names the attachment its last answer named
 * continues that attachment on whichever process it reaches — no claim, no hello, no resumed —
 * while a new attachment (resume=1, or an attachment another one superseded) is still a resume.
 *
 * Two generated servers in their own processes (tests/redis/server-process.ts) share a real
 * redis-server; a round-robin HTTP proxy sends each request to the next process in turn.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { contract } from '../../generated/contract.js';
import { cleanup as cleanupClients, range, record, sequenceProblem, startClient, waitFor } from '../client/helpers.js';
import { startRoundRobinProxy, startServerProcess, type RoundRobinProxy, type ServerProcess } from './processes.js';
import { startRedisServer, type RedisServer } from './redis-server.js';

let redis: RedisServer;
let a: ServerProcess;
let b: ServerProcess;
let proxy: RoundRobinProxy | undefined;
beforeAll(async () => {
  redis = await startRedisServer();
  const prefix = 'hop:';
  [a, b] = await Promise.all([startServerProcess({ name: 'A', redisPort: redis.port, prefix }), startServerProcess({ name: 'B', redisPort: redis.port, prefix })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await redis?.close();
});
afterEach(async () => {
  await cleanupClients();
  await proxy?.close();
  proxy = undefined;
});

const POLL = contract.transports.poll!.path;
const VERSIONS = contract.protocolVersions.join(',');

interface Answer {
  readonly status: number;
  readonly frames: { type: string; header: { seq?: number; session_id?: string }; payload: Record<string, unknown> }[];
  readonly attachment?: string;
}

/** One raw poll through `origin`. */
async function poll(origin: string, query: Record<string, string | number>, token?: string): Promise<Answer> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
  const res = await fetch(`${origin}${POLL}?${qs}`, { headers: token ? { 'resume-token': token } : {} });
  return { status: res.status, ...((await res.json()) as Omit<Answer, 'status'>) };
}

const types = (answer: Answer): string[] => answer.frames.map((f) => f.type);

describe('poll continuation across processes on Redis (S4.10)', () => {
  it('the generated poll client, every request to the other process: 1 200 messages, none lost or repeated, in order, with one hello and no resume', async () => {
    proxy = await startRoundRobinProxy([a.port, b.port]);
    const client = startClient(proxy.origin, { transport: 'poll' });
    const rec = record(client);
    await waitFor(() => client.state === 'open' && client.sessionId !== undefined, 'the session');
    const sessionId = client.sessionId!;
    const N = 1200;
    const chunk = 10;
    for (let sent = 0; sent < N; sent += chunk) {
      // Both processes emit; the client takes each chunk before the next, so it polls 120+ times.
      const results = await (sent % 20 === 0 ? a : b).emit(sessionId, chunk, `m${sent}`);
      expect(results.every((r) => 'seq' in r)).toBe(true);
      await waitFor(() => rec.seqs.length >= sent + chunk, `message ${sent + chunk}`, 10_000, () => rec.summary());
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(sequenceProblem(rec.seqs, N)).toBeUndefined();
    expect(rec.seqs).toEqual(range(1, N));
    expect(rec.ofKind('sequence')).toEqual([]); // no duplicate, no gap reached the client
    // One hello (the new session), no resume, though the polls alternated between the processes.
    expect(proxy.counts.hellos).toBe(1);
    expect(proxy.counts.resumes).toBe(0);
    expect(rec.ofKind('session')).toHaveLength(1);
    expect(proxy.counts.polls.get(a.port)).toBeGreaterThanOrEqual(60);
    expect(proxy.counts.polls.get(b.port)).toBeGreaterThanOrEqual(60);
    expect(await a.errors()).toEqual([]);
    expect(await b.errors()).toEqual([]);
  }, 120_000);

  it('the same alternation without naming the attachment is a resume on every hop (the behaviour before S4.10)', async () => {
    proxy = await startRoundRobinProxy([a.port, b.port]);
    const opened = await poll(proxy.origin, { versions: VERSIONS });
    const hello = opened.frames[0]!;
    const sessionId = hello.payload.session_id as string;
    const token = hello.payload.resume_token as string;
    let cursor = 0;
    for (let i = 0; i < 6; i++) {
      await a.emit(sessionId, 2);
      const answer = await poll(proxy.origin, { versions: VERSIONS, session_id: sessionId, cursor }, token);
      expect(answer.status).toBe(200);
      expect(types(answer).slice(0, 2)).toEqual(['protocol.hello', 'protocol.resumed']);
      cursor = Math.max(cursor, ...answer.frames.map((f) => f.header.seq ?? 0));
    }
    expect(cursor).toBe(12);
    expect(proxy.counts.resumes).toBe(6);
  });

  it('a new attachment is still a resume: resume=1, and an attachment that another one superseded; a malformed attachment id is refused', async () => {
    const opened = await poll(a.origin, { versions: VERSIONS });
    const hello = opened.frames[0]!;
    const sessionId = hello.payload.session_id as string;
    const token = hello.payload.resume_token as string;
    const first = opened.attachment!;
    expect(first).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    await a.emit(sessionId, 1);
    // The attachment continues on B: data only, and the same attachment named again.
    const onB = await poll(b.origin, { session_id: sessionId, cursor: 0, attachment: first }, token);
    expect(types(onB)).toEqual(['agent.event']);
    expect(onB.attachment).toBe(first);
    // resume=1 (a client connecting again) is a resume, with a new attachment.
    await a.emit(sessionId, 1);
    const again = await poll(a.origin, { session_id: sessionId, cursor: 1, resume: 1 }, token);
    expect(types(again)).toEqual(['protocol.hello', 'protocol.resumed', 'agent.event']);
    expect(again.attachment).toBeDefined();
    expect(again.attachment).not.toBe(first);
    // The superseded attachment named again, on either process, is a resume, not a continuation.
    const stale = await poll(b.origin, { session_id: sessionId, cursor: 2, attachment: first }, token);
    expect(types(stale).slice(0, 2)).toEqual(['protocol.hello', 'protocol.resumed']);
    const malformed = await poll(b.origin, { session_id: sessionId, cursor: 2, attachment: 'not an id!' }, token);
    expect(malformed.status).toBe(400);
    expect(malformed.frames[0]!.payload).toMatchObject({ code: 'invalid_message', path: '/attachment' });
  });
});
