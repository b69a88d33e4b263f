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
import { verdictOf, type RunAnswer, type SessionStore } from './store.js';

/** What became of one frame: handed over, acknowledged again, refused as a gap, or (no cseq) handed over unnumbered; `acked` as the store says after it. */
export interface Verdict {
  readonly kind: 'accepted' | 'duplicate' | 'gap' | 'unnumbered';
  readonly acked: number;
}

/**
 * Who hears what became of a frame. One object serves every frame of a connection (no closure
 * or promise per frame: while a read's frames wait for the store, what each keeps alive is its
 * frame and little more).
 */
export interface VerdictListener {
  /** C2: the store decided `frame`; heard before an accepted frame is queued for its handler, so an acknowledgement can go out ahead of what the handler sends. */
  decided(session: LocalSession, frame: ClientFrame, kind: Verdict['kind'], acked: number): void;
  /** The store could not decide `frame`: nothing was handed over and nothing acknowledged. */
  failed(session: LocalSession, frame: ClientFrame, error: unknown): void;
}

export interface InboundDelivery {
  /**
   * Decides one application frame (after the session's earlier frames) and queues it for its
   * handler when accepted; `listener` hears the decision (before the handler is queued), or that
   * the store could not decide — then nothing was handed over and nothing acknowledged. The
   * frames a session hands in one tick (one read) are decided together: one store call per run
   * of consecutive cseqs. A frame without cseq is handed over at once, unnumbered.
   */
  hand(session: LocalSession, frame: ClientFrame, bytes: number, listener: VerdictListener): void;
}

export interface InboundDeliveryOptions {
  readonly store: SessionStore;
  readonly queue: HandlerQueue;
  /** The application's handler of a frame handed over. */
  handle(session: LocalSession, frame: ClientFrame): void | Promise<void>;
}

/** A numbered frame waiting for its decision. */
interface Waiting {
  readonly frame: ClientFrame;
  readonly cseq: number;
  readonly bytes: number;
  readonly listener: VerdictListener;
}

/** Splits a session's frames of one tick into runs of consecutive cseqs, in arrival order. */
function runsOf(frames: readonly Waiting[]): Waiting[][] {
  const runs: Waiting[][] = [];
  let run: Waiting[] = [];
  for (const w of frames) {
    if (run.length > 0 && w.cseq !== run[run.length - 1]!.cseq + 1) {
      runs.push(run);
      run = [];
    }
    run.push(w);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

/** hand(), for a caller that awaits the verdict (a POST is answered once its frames are decided). */
export function handAndWait(delivery: InboundDelivery, session: LocalSession, frame: ClientFrame, bytes: number): Promise<Verdict> {
  return new Promise((resolve, reject) => delivery.hand(session, frame, bytes, { decided: (_s, _f, kind, acked) => resolve({ kind, acked }), failed: (_s, _f, error) => reject(error) }));
}

export function createInboundDelivery(options: InboundDeliveryOptions): InboundDelivery {
  const { store, queue } = options;
  // Per session: the decision of its newest run while one is pending, so that answers are taken in arrival order.
  const decisions = new WeakMap<LocalSession, Promise<unknown>>();
  // Per session: its numbered frames handed in this tick, decided together when the tick ends.
  const gathering = new Map<LocalSession, Waiting[]>();
  const run = (session: LocalSession, frame: ClientFrame, bytes: number): void =>
    queue.run(session, frame.type, () => options.handle(session, frame), bytes, { cseq: frame.header.cseq, requestId: frame.header.request_id });
  const ask = (session: LocalSession, first: number, count: number): Promise<RunAnswer> => {
    try {
      return Promise.resolve(store.acceptRun(session.id, first, count));
    } catch (error) {
      return Promise.reject(error); // a store in memory throws UnknownSessionError synchronously
    }
  };

  /** One run of consecutive cseqs: one store call; its frames decided in order, after the session's earlier runs. */
  const decide = (session: LocalSession, frames: readonly Waiting[]): void => {
    const first = frames[0]!.cseq;
    // Asked at once, not after the earlier run's answer: a store that talks to Redis sends a
    // session's scripts in order on one connection, so they cost one round trip together. Answers
    // are still taken in arrival order. Redis decides atomically in the order the scripts run, so
    // no cseq is accepted before the one below it; but a script re-sent after NOSCRIPT can run
    // after a later run's, which then reads as a gap: a gap answered while an earlier run was still
    // being decided is asked again once that one is settled.
    const earlier = decisions.get(session);
    const asked = ask(session, first, frames.length);
    asked.catch(() => undefined); // taken below, after the earlier run's decision
    const settled = (earlier ?? Promise.resolve())
      .then(() => asked)
      .then((answer) => (verdictOf(answer, first) === 'gap' && earlier !== undefined ? ask(session, first, frames.length) : answer))
      .then(
        (answer) => {
          if (answer.acked > session.acked) session.acked = answer.acked;
          for (const w of frames) {
            session.inbound -= w.bytes;
            const kind = verdictOf(answer, w.cseq);
            w.listener.decided(session, w.frame, kind, answer.acked);
            if (kind === 'accepted') run(session, w.frame, w.bytes);
          }
        },
        (error: unknown) => {
          // Not handed, not acknowledged: the client sends them again.
          for (const w of frames) {
            session.inbound -= w.bytes;
            w.listener.failed(session, w.frame, error);
          }
        },
      );
    decisions.set(session, settled);
    void settled.then(() => {
      if (decisions.get(session) === settled) decisions.delete(session);
    });
  };

  /** The tick is over: every session's frames of it, one store call per run. */
  const flush = (): void => {
    const due = [...gathering];
    gathering.clear();
    for (const [session, frames] of due) for (const r of runsOf(frames)) decide(session, r);
  };

  return {
    hand(session, frame, bytes, listener) {
      const cseq = frame.header.cseq;
      if (cseq === undefined) {
        listener.decided(session, frame, 'unnumbered', session.acked);
        run(session, frame, bytes);
        return;
      }
      // L2: a frame waiting for its decision counts against the session like a queued one.
      session.inbound += bytes;
      let frames = gathering.get(session);
      if (!frames) {
        // After the microtasks of this tick (a read's frames reach here each in its own), not before them.
        if (gathering.size === 0) process.nextTick(flush);
        frames = [];
        gathering.set(session, frames);
      }
      frames.push({ frame, cseq, bytes, listener });
    },
  };
}
