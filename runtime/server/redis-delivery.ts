/**
 * Ordered delivery for the Redis store (redis-store.ts): the frames a session's channel carries
 * reach the attachment this process holds in seq order, exactly once. Older frames are dropped; a
 * gap (the subscription missed frames, a reconnect) is filled from the replay window first, and
 * retried while Redis cannot be read; frames that have left the window are skipped, so the client
 * sees the jump, resumes and hears window_exceeded (Q4, R3).
 */
import { UnknownSessionError, type ReplayAnswer, type SessionListener, type Subscription } from './store.js';

/** What this process knows of an attachment it holds. */
export interface Held {
  readonly id: string;
  readonly attId: string;
  readonly listener: SessionListener;
  readonly subscription: Subscription;
  /** The claim number Redis gave this attachment (undefined until the attach script answered). */
  epoch: number | undefined;
  /** The newest claim of another attachment seen before `epoch` was known. */
  newestClaim: number;
  /** The newest seq given to the listener. */
  delivered: number;
  /** The digest of the session's owner ('' anonymous), once the attach script answered: its fan-out index is kept alive while attached. */
  owner: string;
  /** Frames held back while attaching or while a gap is filled from the window. */
  pending: { seq: number; frame: string }[] | undefined;
}

export interface DeliveryOptions {
  /** Whether `h` is still the attachment this process holds for its session. */
  isCurrent(h: Held): boolean;
  replay(id: string, afterSeq: number): Promise<ReplayAnswer>;
  report(error: unknown, what: string): void;
  closed(): boolean;
}

export interface Delivery {
  /** A frame from the channel (or the window): handed on in order, held back, or a gap to fill. */
  deliver(h: Held, seq: number, frame: string): void;
  /** Hands on what was held back (after the attach, or a fill). */
  drain(h: Held): void;
  /** Catches up from the window (after a lost subscription or a refresh that shows newer frames). */
  fill(h: Held, attempt?: number): Promise<void>;
}

export function createDelivery(options: DeliveryOptions): Delivery {
  const { isCurrent, replay, report, closed } = options;
  const hand = (h: Held, seq: number, frame: string): void => {
    h.delivered = seq;
    try {
      h.listener.frame(frame, seq);
    } catch (error) {
      report(error, `delivering seq ${seq} of session ${h.id}`);
    }
  };

  /** In seq order, once: older frames are dropped, a gap is filled from the window first. */
  const deliver = (h: Held, seq: number, frame: string): void => {
    if (h.pending) {
      h.pending.push({ seq, frame });
      return;
    }
    if (seq <= h.delivered) return;
    if (seq === h.delivered + 1) return hand(h, seq, frame);
    // A gap: the subscription missed frames (a reconnect). Read them from the window, then go on.
    h.pending = [{ seq, frame }];
    void fill(h);
  };

  const drain = (h: Held): void => {
    const pending = h.pending ?? [];
    h.pending = undefined;
    for (const p of pending) deliver(h, p.seq, p.frame);
  };

  /**
   * Catches up from the window. While Redis cannot be read the frames stay held back and the read
   * is tried again (the missed frames are still in the window: skipping them would cost the client
   * a resume). Only frames that have left the window are skipped: the client sees the gap and
   * resumes, and hears window_exceeded (Q4, R3).
   */
  const fill = async (h: Held, attempt = 0): Promise<void> => {
    try {
      let answer = await replay(h.id, h.delivered);
      // Frames that left the window are gone: hand on what it still holds (the client sees the jump and
      // resumes, hearing window_exceeded), rather than waiting for a newer frame to reveal the gap.
      for (let tries = 0; !answer.ok && answer.reason === 'window_exceeded' && tries < 3 && isCurrent(h); tries++) {
        answer = await replay(h.id, answer.earliestSeq - 1);
      }
      if (!isCurrent(h)) return;
      if (answer.ok) for (const f of answer.frames) if (f.seq > h.delivered) hand(h, f.seq, f.frame);
    } catch (error) {
      if (attempt === 0) report(error, `catching up session ${h.id}`);
      if (isCurrent(h) && !closed() && !(error instanceof UnknownSessionError)) {
        const retry = setTimeout(() => void fill(h, attempt + 1), Math.min(1000, 25 * 2 ** Math.min(attempt, 6)));
        retry.unref?.();
        return;
      }
    }
    if (!isCurrent(h)) return;
    const next = h.pending?.find((p) => p.seq > h.delivered);
    if (next && next.seq > h.delivered + 1) h.delivered = next.seq - 1;
    drain(h);
  };
  return { deliver, drain, fill };
}
