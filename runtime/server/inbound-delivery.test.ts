import { describe, expect, it } from 'vitest';
import type { ClientFrame } from './frame-parser.js';
import type { HandlerQueue } from './handler-queue.js';
import { createInboundDelivery, handAndWait, type Verdict } from './inbound-delivery.js';
import { createMemoryStore } from './memory-store.js';
import type { LocalSession } from './session-binding.js';
import { decideRun, UnknownSessionError, type RunAnswer, type SessionStore } from './store.js';

const frame = (cseq: number): ClientFrame => ({ type: 'ui.action', header: { session_id: 's1', cseq }, payload: {} }) as unknown as ClientFrame;
const session = (id = 's1'): LocalSession => ({ id, acked: 0, inbound: 0 }) as unknown as LocalSession;

/** A store with Redis' rule (one atomic decision per run, in the order scripts run) whose scripts run only when the test says. */
function deferredStore(start = 0) {
  let acked = start;
  const asked: { first: number; count: number; run: () => void }[] = [];
  const store = {
    acceptRun(_id: string, first: number, count: number): Promise<RunAnswer> {
      return new Promise((resolve) => {
        asked.push({
          first,
          count,
          run: () => {
            const answer = decideRun(acked, first, count);
            acked = answer.acked;
            resolve(answer);
          },
        });
      });
    },
  } as unknown as SessionStore;
  return { store, asked, runs: () => asked.map((a) => [a.first, a.count]) };
}

function delivery(store: SessionStore) {
  const handled: number[] = [];
  const queue: HandlerQueue = { run: (_s, _t, fn) => void fn(), inboundBytes: 0 };
  const raw = createInboundDelivery({ store, queue, handle: (_s, f) => void handled.push(f.header.cseq!) });
  // Each frame's verdict as a promise (handAndWait, as a POST awaits it).
  const inbound = { hand: (s: LocalSession, f: ClientFrame, bytes: number) => handAndWait(raw, s, f, bytes) };
  return { inbound, handled };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const kinds = (verdicts: readonly Verdict[]): string[] => verdicts.map((v) => v.kind);

describe('the rule of a run (C2, store.ts decideRun)', () => {
  it('accepts from acked + 1 to the run’s end, calls what is at or below acked duplicates, and a run that starts above acked + 1 a gap', () => {
    expect(decideRun(0, 1, 3)).toEqual({ before: 0, acked: 3 });
    expect(decideRun(2, 1, 4)).toEqual({ before: 2, acked: 4 }); // straddles acked: 1, 2 duplicates, 3, 4 accepted
    expect(decideRun(5, 1, 4)).toEqual({ before: 5, acked: 5 }); // all duplicates
    expect(decideRun(5, 5, 1)).toEqual({ before: 5, acked: 5 });
    expect(decideRun(2, 4, 3)).toEqual({ before: 2, acked: 2 }); // a gap: nothing accepted
    expect(decideRun(2, 3, 1)).toEqual({ before: 2, acked: 3 });
  });
});

describe('inbound delivery (C2)', () => {
  it('asks the store once about the consecutive frames of one tick, and hands them over in cseq order', async () => {
    const { store, asked, runs } = deferredStore();
    const { inbound, handled } = delivery(store);
    const s = session();
    const verdicts = [1, 2, 3].map((c) => inbound.hand(s, frame(c), 10));
    expect(s.inbound).toBe(30);
    await Promise.resolve();
    expect(runs()).toEqual([]); // gathered until the tick ends
    await flush();
    expect(runs()).toEqual([[1, 3]]);
    asked[0]!.run();
    expect(kinds(await Promise.all(verdicts))).toEqual(['accepted', 'accepted', 'accepted']);
    expect(handled).toEqual([1, 2, 3]);
    expect(s.acked).toBe(3);
    expect(s.inbound).toBe(0);
  });

  it('frames handed from the microtasks of one tick (a read) are one run; each session its own', async () => {
    const { store, asked, runs } = deferredStore();
    const { inbound } = delivery(store);
    const a = session('a');
    const b = session('b');
    const verdicts: Promise<Verdict>[] = [];
    let chain = Promise.resolve();
    for (const c of [1, 2, 3, 4]) chain = chain.then(() => void verdicts.push(inbound.hand(c % 2 ? a : b, frame(c <= 2 ? 1 : 2), 1)));
    await chain;
    await flush();
    expect(runs()).toEqual([
      [1, 2],
      [1, 2],
    ]);
    for (const q of [...asked]) q.run();
    await Promise.all(verdicts);
  });

  it('a run straddling acked: those at or below it acknowledged again, not handled; the rest handled once', async () => {
    const { store, asked } = deferredStore(2);
    const { inbound, handled } = delivery(store);
    const s = session();
    const verdicts = [1, 2, 3, 4].map((c) => inbound.hand(s, frame(c), 1));
    await flush();
    asked[0]!.run();
    expect(await Promise.all(verdicts)).toEqual([
      { kind: 'duplicate', acked: 4 },
      { kind: 'duplicate', acked: 4 },
      { kind: 'accepted', acked: 4 },
      { kind: 'accepted', acked: 4 },
    ]);
    expect(handled).toEqual([3, 4]);
  });

  it('a gap in the middle of a read: the run before it handled, the run after it refused (asked again once the first is settled)', async () => {
    const { store, asked, runs } = deferredStore();
    const { inbound, handled } = delivery(store);
    const s = session();
    const verdicts = [1, 2, 4, 5].map((c) => inbound.hand(s, frame(c), 1));
    await flush();
    expect(runs()).toEqual([
      [1, 2],
      [4, 2],
    ]);
    asked[0]!.run();
    asked[1]!.run();
    await flush();
    expect(runs()).toEqual([
      [1, 2],
      [4, 2],
      [4, 2],
    ]);
    asked[2]!.run();
    expect(kinds(await Promise.all(verdicts))).toEqual(['accepted', 'accepted', 'gap', 'gap']);
    expect(handled).toEqual([1, 2]);
    expect(s.acked).toBe(2);
  });

  it('the same run sent twice (a resend after a reconnect) is handled once', async () => {
    const store = createMemoryStore({ ttlMs: 60_000, idBits: 128, tokenBits: 256, replayWindow: { maxMessages: 10, maxBytes: 10_000 } });
    const { id } = await store.create('1.0');
    const { inbound, handled } = delivery(store);
    const s = session(id);
    const first = [1, 2, 3].map((c) => inbound.hand(s, frame(c), 1));
    await flush();
    const again = [1, 2, 3].map((c) => inbound.hand(s, frame(c), 1));
    expect(kinds(await Promise.all(first))).toEqual(['accepted', 'accepted', 'accepted']);
    expect(kinds(await Promise.all(again))).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(handled).toEqual([1, 2, 3]);
    await store.close();
  });

  it('asks again about a gap answered while an earlier run was undecided (a script re-sent after NOSCRIPT runs late)', async () => {
    const { store, asked, runs } = deferredStore();
    const { inbound, handled } = delivery(store);
    const s = session();
    const one = inbound.hand(s, frame(1), 1);
    await flush();
    const two = inbound.hand(s, frame(2), 1);
    await flush();
    asked[1]!.run(); // cseq 2 runs first: a gap, while 1 is undecided
    asked[0]!.run();
    await flush();
    expect(runs()).toEqual([
      [1, 1],
      [2, 1],
      [2, 1],
    ]);
    asked[2]!.run();
    expect(kinds(await Promise.all([one, two]))).toEqual(['accepted', 'accepted']);
    expect(handled).toEqual([1, 2]);
  });

  it('refuses a real gap without asking again', async () => {
    const { store, asked } = deferredStore();
    const { inbound, handled } = delivery(store);
    const verdict = inbound.hand(session(), frame(2), 1);
    await flush();
    asked[0]!.run();
    expect(await verdict).toEqual({ kind: 'gap', acked: 0 });
    await flush();
    expect(asked).toHaveLength(1);
    expect(handled).toEqual([]);
  });

  it('a store that throws at once (a session gone) rejects every frame of the run, frees their bytes, and the next frame is still decided', async () => {
    let gone = true;
    const store = {
      acceptRun(_id: string, first: number, count: number): RunAnswer {
        if (gone) throw new UnknownSessionError('s1');
        return decideRun(0, first, count);
      },
    } as unknown as SessionStore;
    const { inbound, handled } = delivery(store);
    const s = session();
    const lost = [1, 2].map((c) => inbound.hand(s, frame(c), 5));
    for (const l of lost) await expect(l).rejects.toBeInstanceOf(UnknownSessionError);
    expect(s.inbound).toBe(0);
    gone = false;
    expect(await inbound.hand(s, frame(1), 5)).toEqual({ kind: 'accepted', acked: 1 });
    expect(handled).toEqual([1]);
  });
});
