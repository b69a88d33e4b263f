/**
 * C3 on the wire: the sends of one turn go out in one write; over HTTP one POST at a time, its
 * answer acknowledging and the next POST carrying what was queued meanwhile; a POST refused by
 * the application stops the client (A3); an answer for a session since replaced is dropped.
 */
import { describe, expect, it } from 'vitest';
import type { TransportKind } from '../contract.js';
import { createOutbound } from './outbound.js';
import { createSendPump, type PumpSession } from './send-pump.js';
import type { ClientTransport, SendResult } from './transport.js';

const turn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
const cseqsOf = (frames: readonly string[]): number[] => frames.map((f) => (JSON.parse(f) as { header: { cseq: number } }).header.cseq);

function setup(kind: TransportKind) {
  const outbound = createOutbound();
  const writes: string[][] = [];
  const answers: ((result: SendResult) => void)[] = [];
  const transport: ClientTransport = {
    kind,
    connect: () => undefined,
    close: () => undefined,
    send(frames) {
      writes.push([...frames]);
      return kind === 'websocket' ? Promise.resolve({ ok: true }) : new Promise((resolve) => answers.push(resolve));
    },
  };
  let session: PumpSession | undefined = { id: 'S', token: 'T' };
  const refusals: string[] = [];
  const pump = createSendPump({
    outbound,
    maxPerPost: 64,
    connection: () => (session ? { transport, session } : undefined),
    session: () => session,
    refused: (why) => void refusals.push(why),
    error: () => undefined,
  });
  const send = (): Promise<unknown> => {
    const sent = outbound.add('chat.send', {}, {}, undefined);
    pump.soon();
    return sent;
  };
  return { outbound, writes, answers, pump, send, refusals, replaceSession: () => (session = { id: 'S2', token: 'T2' }) };
}

describe('createSendPump (C3)', () => {
  it('writes the sends of one turn together on a WebSocket, and only what the connection has not carried', async () => {
    const { writes, send, pump } = setup('websocket');
    for (let i = 0; i < 3; i++) void send();
    expect(writes).toEqual([]);
    await turn();
    expect(writes.map(cseqsOf)).toEqual([[1, 2, 3]]);
    void send();
    pump.now();
    expect(writes.map(cseqsOf)).toEqual([[1, 2, 3], [4]]);
  });

  it('keeps one POST in flight; its answer acknowledges, and the next POST carries what was queued meanwhile', async () => {
    const { writes, answers, send, outbound } = setup('sse');
    const first = [send(), send()];
    await turn();
    void send();
    await turn();
    expect(writes.map(cseqsOf)).toEqual([[1, 2]]); // the third waits for the answer
    answers[0]!({ ok: true, acked: 2 });
    await Promise.all(first);
    await turn();
    expect(outbound.acked).toBe(2);
    expect(writes.map(cseqsOf)).toEqual([[1, 2], [3]]);
  });

  it('stops on a POST the application refused (A3), and drops an answer for a session since replaced', async () => {
    const a = setup('poll');
    void a.send().catch(() => undefined);
    await turn();
    a.answers[0]!({ ok: false, status: 401, message: 'no', frames: [{ payload: { code: 'unauthorized', message: 'sign in' } }] });
    await turn();
    expect(a.refusals).toEqual(['unauthorized']);

    const b = setup('poll');
    void b.send().catch(() => undefined);
    await turn();
    b.replaceSession();
    b.answers[0]!({ ok: true, acked: 1 });
    await turn();
    expect(b.outbound.acked).toBe(0);
  });
});
