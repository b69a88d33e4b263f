import { describe, expect, it } from 'vitest';
import type { ClientFrame } from './frame-parser.js';
import type { HandlerQueue } from './handler-queue.js';
import { createInboundDelivery, type Verdict } from './inbound-delivery.js';
import type { LocalSession } from './session-binding.js';
import { UnknownSessionError, type AcceptAnswer, type SessionStore } from './store.js';

const frame = (cseq: number): ClientFrame => ({ type: 'ui.action', header: { session_id: 's1', cseq }, payload: {} }) as unknown as ClientFrame;
const session = (): LocalSession => ({ id: 's1', acked: 0, inbound: 0 }) as unknown as LocalSession;

/** A store with Redis' rule (atomic accept in the order scripts run) whose scripts run only when the test says. */
function deferredStore() {
  let acked = 0;
  const asked: { cseq: number; run: () => void }[] = [];
  const store = {
    accept(_id: string, cseq: number): Promise<AcceptAnswer> {
      return new Promise((resolve) => {
        asked.push({
          cseq,
          run: () => {
            if (cseq <= acked) return resolve({ verdict: 'duplicate', acked });
            if (cseq > acked + 1) return resolve({ verdict: 'gap', acked });
            acked = cseq;
            resolve({ verdict: 'accepted', acked });
          },
        });
      });
    },
  } as unknown as SessionStore;
  return { store, asked };
}

function delivery(store: SessionStore) {
  const handled: number[] = [];
  const queue: HandlerQueue = { run: (_s, _t, fn) => void fn(), inboundBytes: 0 };
  const inbound = createInboundDelivery({ store, queue, handle: (_s, f) => void handled.push(f.header.cseq!) });
  return { inbound, handled };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('inbound delivery (C2)', () => {
  it('asks the store about every frame of one read at once, and hands them over in cseq order', async () => {
    const { store, asked } = deferredStore();
    const { inbound, handled } = delivery(store);
    const s = session();
    const verdicts = [1, 2, 3].map((c) => inbound.hand(s, frame(c), 10));
    // Pipelined: three questions before any answer (chained, there would be one).
    expect(asked.map((a) => a.cseq)).toEqual([1, 2, 3]);
    expect(s.inbound).toBe(30);
    for (const a of [...asked]) a.run(); // Redis runs them in the order sent
    expect((await Promise.all(verdicts)).map((v: Verdict) => v.kind)).toEqual(['accepted', 'accepted', 'accepted']);
    expect(handled).toEqual([1, 2, 3]);
    expect(s.acked).toBe(3);
    expect(s.inbound).toBe(0);
  });

  it('asks again about a gap answered while an earlier frame was undecided (a script re-sent after NOSCRIPT runs late)', async () => {
    const { store, asked } = deferredStore();
    const { inbound, handled } = delivery(store);
    const s = session();
    const verdicts = [1, 2].map((c) => inbound.hand(s, frame(c), 1));
    asked[1]!.run(); // cseq 2 runs first: a gap, while 1 is undecided
    asked[0]!.run();
    await flush();
    expect(asked.map((a) => a.cseq)).toEqual([1, 2, 2]);
    asked[2]!.run();
    expect((await Promise.all(verdicts)).map((v) => v.kind)).toEqual(['accepted', 'accepted']);
    expect(handled).toEqual([1, 2]);
  });

  it('refuses a real gap without asking again', async () => {
    const { store, asked } = deferredStore();
    const { inbound, handled } = delivery(store);
    const verdict = inbound.hand(session(), frame(2), 1);
    asked[0]!.run();
    expect(await verdict).toEqual({ kind: 'gap', acked: 0 });
    await flush();
    expect(asked).toHaveLength(1);
    expect(handled).toEqual([]);
  });

  it('a store that throws at once (a session gone) rejects the frame, frees its bytes, and the next frame is still decided', async () => {
    let gone = true;
    const store = {
      accept(_id: string, cseq: number): AcceptAnswer {
        if (gone) throw new UnknownSessionError('s1');
        return { verdict: cseq === 1 ? 'accepted' : 'gap', acked: 1 };
      },
    } as unknown as SessionStore;
    const { inbound, handled } = delivery(store);
    const s = session();
    await expect(inbound.hand(s, frame(1), 5)).rejects.toBeInstanceOf(UnknownSessionError);
    expect(s.inbound).toBe(0);
    gone = false;
    expect(await inbound.hand(s, frame(1), 5)).toEqual({ kind: 'accepted', acked: 1 });
    expect(handled).toEqual([1]);
  });
});
