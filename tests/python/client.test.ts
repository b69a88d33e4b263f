/**
 * The generated TypeScript client against the generated Python server (uvicorn on loopback), as
 * tests/client/chaos.test.ts runs it against the TypeScript server: through a TCP proxy that cuts
 * connections at random bytes and moments (seeded; CHAOS_SEED replays a run), the Python server
 * emits 5 000 agent.events to the client's session over each transport, and the application
 * must see exactly m1..m5000 in order, each once, across at least 30 forced disconnects, never
 * told resume_failed — one session, opened once and resumed after every cut (R2, Q4).
 *
 * The Python app (tests/python/agent_app.py) emits on request (`emit <n> <chunk> <pace_ms>`); its
 * replay window holds the whole run (WINDOW_MESSAGES), as in the TypeScript chaos test: this is
 * about exactly-once across cuts, not about the window bound, which the probe checks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../generated/runtime/client/backoff.js';
import type { TransportKind } from '../../generated/runtime/contract.js';
import { chaosSeed, cleanup, record, sequenceProblem, sleep, startChaosProxy, startClient, TRANSPORTS, waitFor } from '../client/helpers.js';
import { startPythonServer, type PythonServer } from './helpers.js';

const N = 5000;
const MIN_CUTS = 30;
/** Per transport, as in the TypeScript chaos test; WebSocket delivers fastest, so it emits longer to be cut often enough. */
const PLAN: Record<TransportKind, { chunk: number; paceMs: number; meanBytes: number; minMs: number; maxMs: number }> = {
  websocket: { chunk: 5, paceMs: 5, meanBytes: 8_000, minMs: 20, maxMs: 200 },
  sse: { chunk: 20, paceMs: 4, meanBytes: 12_000, minMs: 20, maxMs: 400 },
  poll: { chunk: 4, paceMs: 4, meanBytes: 48_000, minMs: 10, maxMs: 100 },
};

const seed = chaosSeed();
console.log(`[python chaos] CHAOS_SEED=${seed}`);

let server: PythonServer;
beforeAll(async () => {
  server = await startPythonServer('agent_app:app', { WINDOW_MESSAGES: String(4 * N), CONFORMANCE: '0' });
});
afterAll(async () => {
  await cleanup();
  await server?.close();
});

describe.each(TRANSPORTS.map((t, i) => [t, i] as [TransportKind, number]))('TypeScript client ↔ Python server, chaos over %s', (transport, index) => {
  it(`delivers m1..m${N} exactly once, in order, through at least ${MIN_CUTS} forced disconnects`, async () => {
    const random = seededRandom((seed + index * 0x9e3779b9) >>> 0);
    const plan = PLAN[transport];
    const proxy = await startChaosProxy({ targetPort: server.port, random, meanBytes: plan.meanBytes, minMs: plan.minMs, maxMs: plan.maxMs });
    proxy.chaos = false; // the request that starts the emission must arrive exactly once
    const client = startClient(proxy.url, { transport, backoff: { initialMs: 5, maxMs: 50, random: seededRandom(seed ^ 0x5bd1e995) } });
    const rec = record(client);
    await waitFor(() => client.state === 'open' && client.sessionId !== undefined, 'the first session', 10_000, rec.summary);
    const sessionId = client.sessionId!;
    // C4: the send resolves to its reply, a data message (the emission runs after the handler returned).
    const reply = await client.send.chatSend({ conversation_id: 'c-1', text: `emit ${N} ${plan.chunk} ${plan.paceMs}` });
    expect([reply.type, reply.header.cseq]).toEqual(['chat.accepted', 1]);
    await waitFor(() => rec.seqs.length > 0, 'the first message', 10_000, rec.summary);
    proxy.chaos = true;
    await waitFor(() => rec.seqs.length >= N, `all ${N} messages`, 30_000, () => `${rec.summary()}; proxy cut ${proxy.cuts}; server: ${server.stderr().slice(-2000)}`);
    await sleep(100); // nothing more may arrive: no late duplicates
    proxy.chaos = false;
    const sessions = rec.ofKind('session');
    console.log(`[python chaos] ${transport}: ${proxy.cuts} cuts, ${rec.reconnects} reconnects, ${sessions.filter((s) => s.resumed).length} resumes`);

    // Every data seq once, in order: the events' seqs are 1..N + 1 but the reply's.
    expect(sequenceProblem([...rec.seqs, reply.header.seq].sort((a, b) => a - b), N + 1)).toBeUndefined();
    expect(rec.seqs.every((s, i) => i === 0 || s > rec.seqs[i - 1]!)).toBe(true);
    expect(rec.texts.every((t, i) => t === `m${i + 1}`)).toBe(true);
    expect(client.lastSeenSeq).toBe(N + 1);
    expect(proxy.cuts).toBeGreaterThanOrEqual(MIN_CUTS);
    expect(sessions.filter((s) => s.resumed).length).toBeGreaterThanOrEqual(MIN_CUTS);
    expect(sessions.filter((s) => !s.resumed)).toHaveLength(1);
    expect(new Set(sessions.map((s) => s.sessionId))).toEqual(new Set([sessionId]));
    expect(rec.ofKind('resume-failed')).toEqual([]);
    expect(rec.ofKind('error')).toEqual([]);
    expect(rec.ofKind('sequence')).toEqual([]);
    await cleanup();
  }, 60_000);
});
