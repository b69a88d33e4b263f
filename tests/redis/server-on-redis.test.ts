/**
 * The server core on the Redis store, in one process: every transport resumes exactly over it,
 * onSessionEnd('expired') fires from the Redis TTL, connections that go away while the store is
 * still attaching leave nothing attached, and concurrent attaches of one session from two
 * processes leave exactly one live attachment.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AgentEvent } from '../../generated/types.js';
import type { ContractDescriptor } from '../../runtime/contract.js';
import { createContractServer, type ContractServer, type SessionHandle } from '../../runtime/server/contract-server.js';
import type { RedisSessionStore } from '../../runtime/server/redis-store.js';
import { cleanup, contractWith, expectResumed, KINDS, openSession, range, resumeChannel, seqsOf, serve as mount, target, waitFor, type Target } from '../server/helpers.js';
import { protocolWith, type AgentUiProtocol } from '../support/contract.js';
import { redisStoreOn, useRedisServer } from './helpers.js';
import { accepted } from '../support/accepted.js';

const redis = useRedisServer();
afterEach(cleanup);

let prefixes = 0;

const newStore = (contract: ContractDescriptor, prefix: string): Promise<RedisSessionStore> => redisStoreOn(redis.port, contract, prefix);

/** The generated contract's wiring (as generated/server.ts does) on a Redis store. */
async function serve(contract: ContractDescriptor, store: RedisSessionStore, ended: { id: string; reason: string }[] = []): Promise<{ app: ContractServer<AgentUiProtocol>; at: Target }> {
  const app = createContractServer<AgentUiProtocol>(protocolWith(contract), {
    store,
    handlers: { chatSend: accepted, uiAction() {}, onSessionEnd: (session: SessionHandle, reason) => void ended.push({ id: session.id, reason }) },
  });
  const { port } = await mount(app);
  return { app, at: target(port, contract) };
}

const event = (text: string): AgentEvent['payload'] => ({ conversation_id: 'c-1', turn_id: 't-1', kind: 'text', text });
const emitN = (app: ContractServer<AgentUiProtocol>, id: string, n: number): Promise<number[]> => Promise.all(Array.from({ length: n }, (_, i) => app.emitTo(id).agentEvent(event(`m${i}`))));

describe.each(KINDS)('%s on the Redis store', (kind) => {
  it('resumes with exactly the missed messages, then live ones', async () => {
    const contract = contractWith({});
    const { app, at } = await serve(contract, await newStore(contract, `t${++prefixes}:`));
    const s = await openSession(at, 'websocket');
    expect(await emitN(app, s.sessionId, 3)).toEqual([1, 2, 3]);
    expect(seqsOf(await s.ch.data(3))).toEqual([1, 2, 3]);
    s.ch.drop();
    expect(await emitN(app, s.sessionId, 2)).toEqual([4, 5]);
    const again = await resumeChannel(at, kind, { sessionId: s.sessionId, token: s.token, lastSeenSeq: 2 });
    expect(seqsOf(await expectResumed(again, s.sessionId, 3, 5))).toEqual([3, 4, 5]);
    expect(await emitN(app, s.sessionId, 2)).toEqual([6, 7]);
    expect(seqsOf(await again.data(2))).toEqual([6, 7]);
    await again.idle();
  });
});

describe('sessions on the Redis store', () => {
  it("onSessionEnd('expired') fires once the Redis TTL has passed after the connection left", async () => {
    const contract = contractWith({ session: { ttlMs: 1000 }, heartbeatMs: 300 });
    const ended: { id: string; reason: string }[] = [];
    const { at } = await serve(contract, await newStore(contract, `t${++prefixes}:`), ended);
    const s = await openSession(at, 'websocket');
    const kept = await openSession(at, 'websocket');
    s.ch.drop();
    await waitFor(() => ended.length > 0, 'onSessionEnd', 5000);
    await new Promise((r) => setTimeout(r, 600));
    expect(ended).toEqual([{ id: s.sessionId, reason: 'expired' }]);
    const late = await resumeChannel(at, 'websocket', { sessionId: s.sessionId, token: s.token, lastSeenSeq: 0 });
    expect((await late.next('protocol.resume_failed')).payload.reason).toBe('session_expired');
    await kept.ch.idle(100); // the attached one lives on
  });

  it('connections that close while the store attaches leave nothing attached', async () => {
    const contract = contractWith({ session: { ttlMs: 1000 }, heartbeatMs: 300 });
    const store = await newStore(contract, `t${++prefixes}:`);
    const ended: { id: string; reason: string }[] = [];
    const { at } = await serve(contract, store, ended);
    const sockets = Array.from({ length: 20 }, () => new WebSocket(`${at.wsOrigin}/ws?versions=1.1`));
    // Close each as soon as it opens: the server is then still waiting for Redis.
    await Promise.all(sockets.map((ws) => new Promise<void>((resolve) => ws.once('open', () => (ws.terminate(), resolve())).once('error', () => resolve()))));
    await waitFor(() => store.attachedHere === 0, 'no session attached here', 3000);
    // With nothing attached, every session that was created expires and is reported.
    await waitFor(() => ended.length >= 1, 'the sessions to expire', 5000);
    expect(ended.every((e) => e.reason === 'expired')).toBe(true);
  });

  it('two processes attaching one session at once: exactly one attachment survives and gets the frames', async () => {
    const contract = contractWith({});
    const prefix = `t${++prefixes}:`;
    const a = await newStore(contract, prefix);
    const b = await newStore(contract, prefix);
    for (let round = 0; round < 10; round++) {
      const { id } = await a.create('1.1');
      const told: string[] = [];
      const frames: Record<string, number[]> = { a: [], b: [] };
      const listener = (name: 'a' | 'b') => ({ frame: (_f: string, seq: number) => void frames[name]!.push(seq), superseded: () => void told.push(name), ended: () => void told.push(`${name} ended`) });
      await Promise.all([a.attach(id, '1.1', listener('a')), b.attach(id, '1.1', listener('b'))]);
      await waitFor(() => told.length === 1, `one of the two attachments to be superseded (round ${round})`, 3000);
      const survivor = told[0] === 'a' ? 'b' : 'a';
      for (let i = 0; i < 3; i++) await a.append(id, { prefix: '{"type":"agent.event","header":{"session_id":"x","seq":', suffix: '},"payload":{}}', bytes: 60 });
      await waitFor(() => frames[survivor]!.length === 3, 'the survivor to get the frames');
      expect(frames[survivor]).toEqual(range(1, 3));
      expect(frames[told[0]!]).toEqual([]);
      expect(told).toHaveLength(1);
      expect(a.attachedHere + b.attachedHere).toBeGreaterThanOrEqual(1);
    }
  });
});
