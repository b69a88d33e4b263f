/**
 * Q2/Q3: the one way a data message reaches a transport. `append` validates the frame, stamps
 * `header.seq` (1-based, gap-free, per session), serializes it once, keeps it in the replay
 * window and hands it to whatever is attached. A frame that fails validation or is too large
 * never consumes a seq.
 */
import { utf8Length } from '../frames.js';
import { describeIssues, type Validator } from '../validation.js';
import { createReplayRing, type ReplayRing } from './replay-ring.js';

/** Thrown to the application code that tried to emit a frame the contract does not allow. */
export class OutboundRejectedError extends Error {
  readonly code: 'invalid_message' | 'frame_too_large' | 'not_a_data_message';
  constructor(code: OutboundRejectedError['code'], message: string) {
    super(message);
    this.name = 'OutboundRejectedError';
    this.code = code;
  }
}

export type ReplayAnswer =
  | { readonly ok: true; readonly fromSeq: number; readonly latestSeq: number; readonly frames: readonly string[] }
  | { readonly ok: false; readonly reason: 'window_exceeded' | 'invalid_cursor'; readonly earliestSeq: number; readonly latestSeq: number };

export interface Outbox {
  readonly latestSeq: number;
  readonly earliestSeq: number;
  readonly ring: ReplayRing;
  /** Stamps, validates, buffers and delivers one data message; returns its seq. */
  append(type: string, payload: unknown): number;
  /** R2/R3: exactly the frames after `lastSeenSeq`, or why that cannot be done. */
  replayAfter(lastSeenSeq: number): ReplayAnswer;
  /** Q5: the client processed everything up to `seq`; release it early. */
  release(seq: number): void;
}

export interface OutboxOptions {
  readonly sessionId: string;
  readonly replayWindow: { readonly maxMessages: number; readonly maxBytes: number };
  readonly maxFrameBytes: number;
  /** Validators of the server-to-client data messages, by type. */
  readonly validators: Readonly<Record<string, Validator<unknown>>>;
  /** Called with each stamped frame, in seq order. */
  readonly deliver: (frame: string, seq: number) => void;
}

export function createOutbox(options: OutboxOptions): Outbox {
  const ring = createReplayRing(options.replayWindow);
  // One header object, re-stamped per append: the frame is serialized before the next append.
  const header = { session_id: options.sessionId, seq: 0 };
  return {
    ring,
    get latestSeq() {
      return ring.latestSeq;
    },
    get earliestSeq() {
      return ring.earliestSeq;
    },
    append(type, payload) {
      const validate = options.validators[type];
      if (!validate) throw new OutboundRejectedError('not_a_data_message', `"${type}" is not a server-to-client data message of this contract`);
      const seq = ring.latestSeq + 1;
      header.seq = seq;
      const frame = { type, header, payload };
      const result = validate(frame);
      if (!result.ok) throw new OutboundRejectedError('invalid_message', `refused to send an invalid ${type}: ${describeIssues(result)}`);
      const text = JSON.stringify(frame);
      const bytes = utf8Length(text); // the window and the frame limit are in bytes, not UTF-16 units
      if (bytes > options.maxFrameBytes) {
        throw new OutboundRejectedError('frame_too_large', `refused to send a ${type} of ${bytes} bytes; the contract allows ${options.maxFrameBytes}`);
      }
      ring.push(seq, text, bytes);
      options.deliver(text, seq);
      return seq;
    },
    replayAfter(lastSeenSeq) {
      const latestSeq = ring.latestSeq;
      if (lastSeenSeq > latestSeq) return { ok: false, reason: 'invalid_cursor', earliestSeq: ring.earliestSeq, latestSeq };
      if (lastSeenSeq < ring.earliestSeq - 1) return { ok: false, reason: 'window_exceeded', earliestSeq: ring.earliestSeq, latestSeq };
      return { ok: true, fromSeq: lastSeenSeq + 1, latestSeq, frames: ring.framesAfter(lastSeenSeq) };
    },
    release(seq) {
      ring.release(Math.min(seq, ring.latestSeq));
    },
  };
}
