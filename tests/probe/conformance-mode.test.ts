/**
 * The generated server's conformance mode (runtime/server/conformance.ts): with `conformance:
 * true` the runtime answers x-contract.conformance.trigger with `produces` data messages built
 * from the spec's data-message examples, stamped on the one send path; any other frame, and every
 * frame when the mode is off (the default), goes to the application's handlers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { contract } from '../../generated/contract.js';
import { createConformanceResponder } from '../../runtime/server/conformance.js';
import { createContractServer } from '../../runtime/server/contract-server.js';
import { validators } from '../../generated/validators.js';
import { startGeneratedServer } from './helpers.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

interface Frame {
  type: string;
  header: Record<string, unknown>;
  payload: unknown;
}

/** A WebSocket session: its hello, a way to send, and the frames after the hello. */
async function session(url: string): Promise<{ id: string; send(frame: object): void; take(n: number, ms?: number): Promise<Frame[]> }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}${contract.transports.websocket.path}`);
  closers.push(() => ws.terminate());
  const frames: Frame[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Frame));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const until = async (n: number, ms: number): Promise<Frame[]> => {
    const end = Date.now() + ms;
    while (frames.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    return frames.splice(0, n);
  };
  const [hello] = await until(1, 2000);
  expect(hello!.type).toBe('protocol.hello');
  return { id: (hello!.payload as { session_id: string }).session_id, send: (f) => ws.send(JSON.stringify(f)), take: (n, ms = 2000) => until(n, ms) };
}

const trigger = (sessionId: string, payload: unknown = contract.conformance.trigger.payload) => ({ type: contract.conformance.trigger.type, header: { session_id: sessionId }, payload });

describe('conformance mode', () => {
  it('carries the spec’s conformance block into contract.ts, samples from every data message example but the trigger’s reply', () => {
    expect(contract.conformance.trigger.type).toBe('chat.send');
    expect(contract.conformance.produces).toBe(5);
    expect(contract.conformance.samples.map((s) => s.type)).toEqual(['agent.event', 'ui.patch', 'ui.render']);
    // C4: chat.send declares chat.accepted as its reply: the last of the `produces`, from its example.
    expect(contract.conformance.reply).toEqual({ type: 'chat.accepted', payload: { conversation_id: 'c-42', message_id: 'm-12', turn_id: 't-7' } });
    expect(contract.conformance.history).toEqual([{ endpoint: 'conversationHistory', params: { conversationId: 'probe-history' }, minItems: 120 }]);
  });

  it('answers the trigger with `produces` stamped data messages from the examples, in turn, its reply last naming its cseq, and not through the handler', async () => {
    const server = await startGeneratedServer({ conformance: true });
    closers.push(server.close);
    const s = await session(server.url);
    const numbered = trigger(s.id);
    s.send({ ...numbered, header: { ...numbered.header, cseq: 1 } });
    const data = (await s.take(6)).filter((f) => f.type !== 'protocol.received');
    const samples = contract.conformance.samples;
    expect(data.map((f) => f.header)).toEqual([1, 2, 3, 4, 5].map((seq) => ({ session_id: s.id, seq, ...(seq === 5 ? { cseq: 1 } : {}) })));
    expect(data.map((f) => ({ type: f.type, payload: f.payload }))).toEqual([...[0, 1, 2, 3].map((i) => samples[i % samples.length]), contract.conformance.reply]);
    expect(await s.take(1, 200)).toEqual([]);
    expect(server.handled).toEqual([]);
  });

  it('hands a trigger-type frame with another payload to the handler', async () => {
    const server = await startGeneratedServer({ conformance: true });
    closers.push(server.close);
    const s = await session(server.url);
    s.send(trigger(s.id, { conversation_id: 'c-1', text: 'a real question' }));
    // Only the handler's own reply (C4), built from the frame it handled.
    expect((await s.take(2, 300)).map((f) => [f.type, (f.payload as { conversation_id?: string }).conversation_id])).toEqual([['chat.accepted', 'c-1']]);
    expect(server.handled).toEqual([{ type: 'chat.send', text: 'a real question' }]);
  });

  it('is off by default: the trigger is an ordinary message for the handler', async () => {
    const server = await startGeneratedServer({ conformance: 'unset' });
    closers.push(server.close);
    const s = await session(server.url);
    s.send(trigger(s.id));
    expect((await s.take(2, 300)).map((f) => f.type)).toEqual(['chat.accepted']); // the handler's reply (C4), not the samples
    expect(server.handled).toEqual([{ type: 'chat.send', text: contract.conformance.trigger.payload.text }]);
  });

  it('refuses to start without a conformance block in the contract, or without samples', () => {
    const { conformance: _, ...bare } = contract;
    expect(() =>
      createContractServer({ contract: bare, validators }, { handlers: {}, conformance: true }),
    ).toThrow(/needs a contract whose spec declares x-contract.conformance/);
    expect(() => createConformanceResponder({ ...contract.conformance, samples: [] })).toThrow(/needs an example of a server-to-client data message/);
  });
});
