/**
 * The generic server's emitter (runtime/server/contract-server.ts): one method per data message
 * of whatever contract it is given, named by the contract's catalogue (Q3), sending for its own
 * session whatever the method names are.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ProtocolTypes } from '../../runtime/contract.js';
import { createContractServer } from '../../runtime/server/contract-server.js';
import { contractWith, validators } from '../support/contract.js';
import { cleanup, openSession, serve, target } from './helpers.js';

afterEach(cleanup);

describe('the emitter of a session', () => {
  it('has a function per data message of the contract, whatever its name, each callable on its own', async () => {
    const contract = contractWith((c) => {
      c.messages = { ...c.messages, 'session.id': { type: 'session.id', typeName: 'SessionIdNote', member: 'sessionId', direction: 'server-to-client', role: 'data', sequenced: true, kernel: false } };
    });
    const protocol = { contract, validators: { ...validators, payloads: { ...validators.payloads, 'session.id': validators.payloads['agent.event']! } } };
    const app = createContractServer<ProtocolTypes>(protocol, { handlers: {} });
    const { port } = await serve(app);
    const s = await openSession(target(port, contract), 'websocket');
    const emit = app.emitTo(s.sessionId) as Readonly<Record<string, (payload: unknown) => Promise<number>>>;
    expect(Object.keys(emit).sort()).toEqual(['agentEvent', 'chatAccepted', 'sessionId', 'uiPatch', 'uiRender']);
    const { sessionId, agentEvent } = emit; // taken off the emitter: still bound to its session
    expect(await sessionId!({ conversation_id: 'c-1', turn_id: 't-1', kind: 'text', text: 'x' })).toBe(1);
    expect(await agentEvent!({ conversation_id: 'c-1', turn_id: 't-1', kind: 'text', text: 'y' })).toBe(2);
    const frames = await s.ch.data(2);
    expect(frames.map((f) => [f.type, f.header.seq, f.header.session_id])).toEqual([
      ['session.id', 1, s.sessionId],
      ['agent.event', 2, s.sessionId],
    ]);
  });
});
