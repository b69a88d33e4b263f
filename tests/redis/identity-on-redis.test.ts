/**
 * A2 and fan-out across processes: two servers on one Redis (each its own store and connections).
 * The principal is stored with the session, so on the other process another principal's resume
 * with the right token is refused like an unknown session, while the owner resumes there; and
 * `emitToPrincipal` / `broadcast` from one process reach sessions attached to the other, each
 * with its own gap-free seq.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { contract } from '../../generated/contract.js';
import { createContractServer } from '../../runtime/server/contract-server.js';
import { protocolWith, type AgentUiProtocol } from '../support/contract.js';
import { cleanup, connectWs, onCleanup, serve, target, type Frame, type Target } from '../server/helpers.js';
import { redisStoreOn, useRedisServer } from './helpers.js';
import { accepted } from '../support/accepted.js';

afterEach(cleanup);
const redis = useRedisServer();
let prefixes = 0;

async function twoProcesses(): Promise<{ a: Target; b: Target; appB: ReturnType<typeof createContractServer<AgentUiProtocol, string>> }> {
  const prefix = `identity${++prefixes}:`;
  const make = async () => {
    const app = createContractServer<AgentUiProtocol, string>(protocolWith(), {
      store: await redisStoreOn(redis.port, contract, prefix),
      authenticate: (request) => {
        const user = /^Bearer (\w+)$/.exec(request.headers.authorization ?? '')?.[1];
        return user ? { principal: user } : { refuse: 'unauthorized' };
      },
      handlers: { chatSend: accepted, uiAction() {} },
    });
    onCleanup(() => app.close());
    return { app, at: target((await serve(app)).port, contract) };
  };
  const a = await make();
  const b = await make();
  return { a: a.at, b: b.at, appB: b.app };
}

const as = (user: string) => ({ headers: { authorization: `Bearer ${user}` } });

async function resume(at: Target, user: string, id: string, token: string): Promise<Frame> {
  const c = await connectWs(at, `?session_id=${id}`, as(user));
  await c.send({ type: 'protocol.resume', header: { session_id: id }, payload: { resume_token: token, last_seen_seq: 0 } });
  const first = await c.next();
  return first.type === 'protocol.hello' ? c.next() : first;
}

describe('identity on Redis', () => {
  it('a session opened on A: on B another principal is refused like an unknown session, the owner resumes', async () => {
    const { a, b } = await twoProcesses();
    const c = await connectWs(a, '', as('alice'));
    const hello = await c.next('protocol.hello');
    const id = hello.payload.session_id as string;
    const token = hello.payload.resume_token as string;
    c.drop();
    await c.ended;
    const bob = await resume(b, 'bob', id, token);
    expect(bob).toMatchObject({ type: 'protocol.resume_failed', payload: { reason: 'unknown_session' } });
    const alice = await resume(b, 'alice', id, token);
    expect(alice.type).toBe('protocol.resumed');
  });

  it('emitToPrincipal and broadcast from B reach sessions attached to A', async () => {
    const { a, b, appB } = await twoProcesses();
    const alice1 = await connectWs(a, '', as('alice'));
    const alice2 = await connectWs(b, '', as('alice'));
    const bob = await connectWs(a, '', as('bob'));
    for (const c of [alice1, alice2, bob]) await c.next('protocol.hello');
    const event = (text: string) => ({ conversation_id: 'c', turn_id: 't', kind: 'text' as const, text });
    expect(await appB.emitToPrincipal('alice').agentEvent(event('to alice'))).toEqual({ sent: 2, gone: 0, failed: 0 });
    expect(await appB.broadcast().agentEvent(event('to all'))).toMatchObject({ sent: 3, failed: 0 });
    for (const c of [alice1, alice2]) expect((await c.data(2)).map((f) => [f.header.seq, f.payload.text])).toEqual([[1, 'to alice'], [2, 'to all']]);
    expect((await bob.data(1)).map((f) => [f.header.seq, f.payload.text])).toEqual([[1, 'to all']]);
  });
});
