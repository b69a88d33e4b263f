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
import type { SessionStore } from './store.js';

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
  // Per session: the decision of its newest frame, so that the next one is asked after it.
  const decisions = new WeakMap<LocalSession, Promise<unknown>>();
  const run = (session: LocalSession, frame: ClientFrame, bytes: number): void =>
    queue.run(session, frame.type, () => options.handle(session, frame), bytes, { cseq: frame.header.cseq, requestId: frame.header.request_id });
  return {
    hand(session, frame, bytes, decided) {
      const cseq = frame.header.cseq;
      if (cseq === undefined) {
        run(session, frame, bytes);
        return Promise.resolve({ kind: 'unnumbered', acked: session.acked });
      }
      // L2: a frame waiting for its decision counts against the session like a queued one.
      session.inbound += bytes;
      const verdict = (decisions.get(session) ?? Promise.resolve())
        .then(() => store.accept(session.id, cseq))
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
      decisions.set(session, verdict.catch(() => undefined));
      return verdict;
    },
  };
}
