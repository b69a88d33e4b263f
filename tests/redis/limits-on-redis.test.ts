/**
 * L2 on the Redis store: the bounds hold with the same semantics as in memory. Sessions are
 * counted by the process that holds them (a session resumed elsewhere is counted there, and the
 * process it left stops counting it); a session's inbound queue is its handlers' queue in the
 * process that received the frames, whichever process created it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ContractLimits } from '../../runtime/limits.js';
import { createContractServer, type ContractServer } from '../../runtime/server/contract-server.js';
import { chatSend, cleanup, contractWith, openSession, pollOnce, postMessages, resumeChannel, serve, target, waitFor, type Target } from '../server/helpers.js';
import { protocolWith, type AgentUiProtocol } from '../support/contract.js';
import { redisStoreOn, useRedisServer } from './helpers.js';
import { accepted } from '../support/accepted.js';

const redis = useRedisServer();
afterEach(cleanup);

let prefixes = 0;
const contract = contractWith({ session: { ttlMs: 600 }, heartbeatMs: 200 });

/** One server process of a pair sharing a Redis prefix; `chat.send "block"` waits for `release()`. */
async function startProcess(prefix: string, limits: Partial<ContractLimits>): Promise<{ app: ContractServer<AgentUiProtocol>; at: Target; release(): void }> {
  const store = await redisStoreOn(redis.port, contract, prefix);
  let open: () => void = () => undefined;
  let gate = new Promise<void>((r) => (open = r));
  const app = createContractServer<AgentUiProtocol>(protocolWith(contract), {
    store,
    limits,
    handlers: { chatSend: async (frame) => (frame.payload.text === 'block' && (await gate), accepted(frame)), uiAction() {} },
  });
  const { port } = await serve(app);
  return {
    app,
    at: target(port, contract),
    release() {
      open();
      gate = new Promise<void>((r) => (open = r));
    },
  };
}

describe('session caps per process on the Redis store (L2)', () => {
  it('a process holds at most maxSessions; a session resumed elsewhere counts there, and frees its place here', async () => {
    const prefix = `lim${++prefixes}:`;
    const a = await startProcess(prefix, { maxSessions: 2 });
    const b = await startProcess(prefix, { maxSessions: 2 });
    const first = await openSession(a.at, 'websocket');
    await openSession(a.at, 'websocket');
    const refused = await pollOnce(a.at, '');
    expect(refused.status).toBe(503);
    expect(refused.frames[0]!.payload.code).toBe('overloaded');
    first.ch.drop();
    const moved = await resumeChannel(b.at, 'websocket', { sessionId: first.sessionId, token: first.token, lastSeenSeq: 0 });
    await moved.next('protocol.hello');
    expect(b.app.stats().sessions).toBe(1);
    // A stops counting it once it has been idle there for two TTLs (the store reports no expiry: it lives on in B).
    await waitFor(() => a.app.stats().sessions === 1, 'A to let go of the session B holds', 5000);
    expect((await pollOnce(a.at, '')).status).toBe(200);
  });
});

describe('the inbound bound on the Redis store (L2)', () => {
  it('POSTs to a session whose handler is stuck are refused with 429 overloaded past maxInboundBytes, in the process that received them', async () => {
    const prefix = `lim${++prefixes}:`;
    const a = await startProcess(prefix, { maxInboundBytes: 40_000 });
    const b = await startProcess(prefix, { maxInboundBytes: 40_000 });
    const s = await openSession(a.at, 'poll');
    const big = chatSend(s.sessionId, 'x'.repeat(15_000));
    expect((await postMessages(b.at, chatSend(s.sessionId, 'block'), s.token)).status).toBe(202);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await postMessages(b.at, big, s.token)).status);
    expect(statuses).toEqual([202, 202, 429, 429]);
    expect(b.app.stats().inboundBytes).toBeLessThanOrEqual(40_000);
    // A's queue for the same session is its own: frames POSTed there are not refused for B's backlog.
    expect((await postMessages(a.at, big, s.token)).status).toBe(202);
    b.release();
    await waitFor(() => b.app.stats().inboundBytes === 0, 'B to catch up');
    expect((await postMessages(b.at, big, s.token)).status).toBe(202);
  });
});
