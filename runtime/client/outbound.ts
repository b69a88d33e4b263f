import type { ValidationIssue } from '../validation.js';

/**
 * C1/C3/C4: the client's half of exactly-once client → server delivery. Every application frame
 * gets its `cseq` when it is queued (per session, 1-based, gap-free) and is kept until the
 * server acknowledges it; a new connection sends every unacknowledged frame again, in order (the
 * server acknowledges a duplicate without handling it again, C2). `send` resolves on the
 * acknowledgement — or, for a message that declares a reply, to that reply — and rejects with a
 * typed error when delivery can no longer be known (the session is lost, the client closed).
 */

/** Why a send was rejected. `session_lost` and `closed`: the frame may or may not have been handled. */
export type SendErrorCode = 'invalid_message' | 'unknown_type' | 'frame_too_large' | 'refused' | 'handler_failed' | 'session_lost' | 'closed';

/** A rejected `send`. `maybeHandled` says whether the server may have handled the frame all the same (C3). */
export class ClientSendError extends Error {
  readonly code: SendErrorCode;
  readonly issues: readonly ValidationIssue[];
  readonly frames: readonly unknown[];
  /** C3: true when the frame was sent and never acknowledged: the server may have handled it. */
  readonly maybeHandled: boolean;
  /** For session_lost: why the session was lost (window_exceeded, session_expired, unknown_session, …). */
  readonly reason?: string;
  constructor(code: SendErrorCode, message: string, extra: { issues?: ClientSendError['issues']; frames?: readonly unknown[]; maybeHandled?: boolean; reason?: string } = {}) {
    super(message);
    this.name = 'ClientSendError';
    this.code = code;
    this.issues = extra.issues ?? [];
    this.frames = extra.frames ?? [];
    this.maybeHandled = extra.maybeHandled ?? false;
    if (extra.reason !== undefined) this.reason = extra.reason;
  }
}

/** One queued application frame. */
export interface OutboundFrame {
  readonly cseq: number;
  readonly type: string;
  /** The frame as it goes on the wire, for the session it is sent in. */
  text(sessionId: string): string;
}

interface Entry extends OutboundFrame {
  /** Renumbered, before it is ever written, when the session resumes after its frames were let go of (`resumed`). */
  cseq: number;
  /**
   * The frame's JSON, serialized when it was queued (see `add`) for the session id and cseq in
   * `wireId` and `wireCseq`; written as it is while both still hold (the usual case), else
   * rewritten once for the new ones.
   */
  wire: string;
  wireId: string;
  wireCseq: number;
  readonly reply: string | undefined;
  /** Written on some connection at least once (so the server may have it). */
  sent: boolean;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export interface Outbound {
  /** C2: the highest cseq the server acknowledged in this session. */
  readonly acked: number;
  /** Frames kept until acknowledged (or answered). */
  readonly size: number;
  /**
   * Queues one frame under the next cseq; resolves on its acknowledgement, or to its reply when
   * `reply` names one. The header and payload are serialized now: the frame that goes out — and
   * every re-send of it (C3) — is the one the caller validated, whatever the caller does with
   * its objects afterwards. `header` must not name session_id or cseq (they are the outbound's).
   * `sessionId`: the session the frame is likely written in (the one open now), so that it is
   * serialized once, whole, as it goes out.
   */
  add(type: string, header: Readonly<Record<string, unknown>>, payload: unknown, reply: string | undefined, sessionId?: string): Promise<unknown>;
  /** WebSocket: the frames not yet written on this connection, in order (each is marked written). */
  unsent(): OutboundFrame[];
  /** HTTP: the first `limit` unacknowledged frames, in order (each is marked written). */
  unacknowledged(limit: number): OutboundFrame[];
  /** A new connection: every unacknowledged frame goes again. */
  rewind(): void;
  /** C2: the server accepted every cseq up to `acked`. */
  acknowledge(acked: number): void;
  /**
   * C1/C2: the session resumed and its server has accepted up to `acked`. After `lose` (the client
   * was closed, its session kept), the numbering goes on from there: frames queued since — none
   * written yet — take the cseqs after `acked`; else it is an acknowledgement.
   */
  resumed(acked: number): void;
  /** A new session began: its numbering starts at 1, as `lose` left it. */
  started(): void;
  /** C4: a data frame naming `cseq` arrived; resolves the send that awaits it when its type is that send's reply. */
  reply(cseq: number, type: string, frame: unknown): void;
  /** C4: the handler of `cseq` failed: a send that awaits a reply rejects. */
  failed(cseq: number, error: ClientSendError): void;
  /** C3: every kept frame rejects (the session is gone, or the client closed), and numbering starts again at 1 for a new session — or after `acked` when the session resumes (`resumed`). */
  lose(error: (maybeHandled: boolean) => ClientSendError): void;
}

/**
 * An entry's frame on the wire (one function for every entry, not a closure each: thousands may be
 * queued). A frame queued before its session was known, or renumbered by a resume, is rewritten
 * from its own JSON: JSON.stringify's output reads back to the same values and writes again to the
 * same bytes, so only the session id and cseq change.
 */
function frameText(this: Entry, sessionId: string): string {
  if (this.wireId !== sessionId || this.wireCseq !== this.cseq) {
    const frame = JSON.parse(this.wire) as { header: Record<string, unknown> };
    frame.header.session_id = sessionId;
    frame.header.cseq = this.cseq;
    this.wire = JSON.stringify(frame);
    this.wireId = sessionId;
    this.wireCseq = this.cseq;
  }
  return this.wire;
}

export function createOutbound(): Outbound {
  // Unacknowledged frames, in cseq order, from kept[head] (acknowledging moves head past a prefix,
  // and the array is compacted once that prefix is half of it: no copy per acknowledgement, which
  // made thousands of sends at once quadratic); acknowledged ones that still
  // await their reply, by cseq. Every step is O(frames it touches), amortized.
  let kept: Entry[] = [];
  let head = 0;
  const replies = new Map<number, Entry>();
  let next = 1;
  let acked = 0;
  let writtenUpTo = 0;
  // Set by `lose`: until a new session starts, a resume tells where the numbering goes on.
  let numberFromServer = false;

  /** Index of the first kept frame with a cseq above `bound` (kept is in cseq order). */
  const firstAbove = (bound: number): number => {
    let lo = head;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (kept[mid]!.cseq <= bound) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const mark = (list: Entry[]): OutboundFrame[] => {
    for (const e of list) e.sent = true;
    return list;
  };

  const outbound: Outbound = {
    get acked() {
      return acked;
    },
    get size() {
      return kept.length - head + replies.size;
    },
    add(type, header, payload, reply, sessionId = '') {
      const cseq = next;
      let wire: string;
      try {
        wire = JSON.stringify({ type, header: { ...header, session_id: sessionId, cseq }, payload });
      } catch (error) {
        // Before the cseq is taken (C1: gap-free): e.g. a BigInt or a cycle the validator let through.
        return Promise.reject(new ClientSendError('invalid_message', `refused to send ${type}: it cannot be written as JSON (${(error as Error).message})`));
      }
      next++;
      return new Promise<unknown>((resolve, reject) => {
        kept.push({ cseq, type, wire, wireId: sessionId, wireCseq: cseq, reply, sent: false, text: frameText, resolve, reject });
      });
    },
    unsent() {
      const out = kept.slice(firstAbove(Math.max(writtenUpTo, acked)));
      if (out.length > 0) writtenUpTo = out[out.length - 1]!.cseq;
      return mark(out);
    },
    unacknowledged(limit) {
      return mark(kept.slice(head, head + limit));
    },
    rewind() {
      writtenUpTo = acked;
    },
    acknowledge(upTo) {
      if (upTo <= acked) return;
      acked = Math.min(upTo, next - 1);
      const from = head;
      head = firstAbove(acked);
      for (let i = from; i < head; i++) {
        const e = kept[i]!;
        if (e.reply === undefined) e.resolve(undefined);
        else replies.set(e.cseq, e);
      }
      if (head === kept.length) {
        kept = [];
        head = 0;
      } else if (head > kept.length / 2) {
        kept = kept.slice(head);
        head = 0;
      }
    },
    reply(cseq, type, frame) {
      // The server accepts in order: a reply to cseq means every frame up to it was accepted.
      outbound.acknowledge(cseq);
      const e = replies.get(cseq);
      if (!e || e.reply !== type) return;
      replies.delete(cseq);
      e.resolve(frame);
    },
    failed(cseq, error) {
      outbound.acknowledge(cseq);
      const e = replies.get(cseq);
      if (!e) return;
      replies.delete(cseq);
      e.reject(error);
    },
    resumed(upTo) {
      if (!numberFromServer) return outbound.acknowledge(upTo);
      numberFromServer = false;
      // Nothing kept was written (lose emptied the queue, and nothing goes out before the session is open).
      acked = upTo;
      writtenUpTo = upTo;
      next = upTo + 1;
      for (let i = head; i < kept.length; i++) kept[i]!.cseq = next++;
    },
    started() {
      numberFromServer = false;
    },
    lose(error) {
      numberFromServer = true;
      const lost = [...kept.slice(head), ...replies.values()];
      kept = [];
      head = 0;
      replies.clear();
      next = 1;
      acked = 0;
      writtenUpTo = 0;
      for (const e of lost) e.reject(error(e.sent));
    },
  };
  return outbound;
}
