/**
 * C2, the server half of exactly-once client → server delivery. When an application frame
 * arrives, the session store decides — atomically wherever it runs (one Lua script on Redis),
 * one frame of a session after another, in arrival order — whether its `cseq` is the next one.
 * Only an accepted frame is queued for its handler (handler-queue.ts: in order, bounded), and no
 * process of the store hands that cseq again: a frame sent again after a reconnect — to this
 * process or another — is a duplicate, acknowledged but not handled; one above acked + 1 is a
 * gap, refused. Deciding on arrival, not when the handler's turn comes, lets the acknowledgement
 * go out at once, however long the handlers before it run.
 *
 * What "handled" means: accepted = queued for its handler, once. A handler that throws has still
 * had its frame (the client gets `handler_failed` with the cseq, C4, and it is not run again). A
 * process that dies between accepting a frame and running its handler loses that frame: at most
 * once, never twice. A frame without cseq (a client of kernel 1.1) is handed over as it comes,
 * unacknowledged.
 */
import type { ClientFrame } from './frame-parser.js';
import type { HandlerQueue } from './handler-queue.js';
import type { LocalSession } from './session-binding.js';
import type { AcceptAnswer, SessionStore } from './store.js';

/** What became of one frame: handed over, acknowledged again, refused as a gap, or (no cseq) handed over unnumbered; `acked` as the store says after it. */
export interface Verdict {
  readonly kind: 'accepted' | 'duplicate' | 'gap' | 'unnumbered';
  readonly acked: number;
}

export interface InboundDelivery {
  /**
   * Decides one application frame (after the session's earlier frames) and queues it for its
   * handler when accepted; resolves with the decision, rejects when the store could not decide —
   * then nothing was handed over and nothing acknowledged. `decided` hears the decision before
   * the handler is queued, so an acknowledgement can go out ahead of what the handler sends.
   */
  hand(session: LocalSession, frame: ClientFrame, bytes: number, decided?: (verdict: Verdict) => void): Promise<Verdict>;
}

export interface InboundDeliveryOptions {
  readonly store: SessionStore;
  readonly queue: HandlerQueue;
  /** The application's handler of a frame handed over. */
  handle(session: LocalSession, frame: ClientFrame): void | Promise<void>;
}

export function createInboundDelivery(options: InboundDeliveryOptions): InboundDelivery {
  const { store, queue } = options;
  // Per session: the decision of its newest frame while one is pending, so that answers are taken in arrival order.
  const decisions = new WeakMap<LocalSession, Promise<unknown>>();
  const run = (session: LocalSession, frame: ClientFrame, bytes: number): void =>
    queue.run(session, frame.type, () => options.handle(session, frame), bytes, { cseq: frame.header.cseq, requestId: frame.header.request_id });
  const ask = (session: LocalSession, cseq: number): Promise<AcceptAnswer> => {
    try {
      return Promise.resolve(store.accept(session.id, cseq));
    } catch (error) {
      return Promise.reject(error); // a store in memory throws UnknownSessionError synchronously
    }
  };
  return {
    hand(session, frame, bytes, decided) {
      const cseq = frame.header.cseq;
      if (cseq === undefined) {
        run(session, frame, bytes);
        return Promise.resolve({ kind: 'unnumbered', acked: session.acked });
      }
      // L2: a frame waiting for its decision counts against the session like a queued one.
      session.inbound += bytes;
      // Asked at once, not after the earlier frame's answer: a store that talks to Redis sends a
      // session's scripts in order on one connection, so the frames of one read cost one round trip,
      // not one each (acked sends on Redis were bound by it). Answers are still taken in arrival
      // order. Redis decides atomically in the order the scripts run, so no cseq is accepted before
      // the one below it; but a script re-sent after NOSCRIPT can run after a later frame's, which
      // then reads as a gap: a gap answered while an earlier frame was still being decided is asked
      // again once that one is settled.
      const earlier = decisions.get(session);
      const asked = ask(session, cseq);
      asked.catch(() => undefined); // taken below, after the earlier frame's decision
      const verdict = (earlier ?? Promise.resolve())
        .then(() => asked)
        .then((answer) => (answer.verdict === 'gap' && earlier !== undefined ? ask(session, cseq) : answer))
        .then(
          (answer): Verdict => {
            session.inbound -= bytes;
            if (answer.acked > session.acked) session.acked = answer.acked;
            const verdict: Verdict = { kind: answer.verdict, acked: answer.acked };
            decided?.(verdict);
            if (answer.verdict === 'accepted') run(session, frame, bytes);
            return verdict;
          },
          (error: unknown) => {
            session.inbound -= bytes;
            throw error; // not handed, not acknowledged: the client sends it again
          },
        );
      const settled = verdict.catch(() => undefined);
      decisions.set(session, settled);
      void settled.then(() => {
        if (decisions.get(session) === settled) decisions.delete(session);
      });
      return verdict;
    },
  };
}
