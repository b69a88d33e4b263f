/**
 * The session store: what a session is beyond one process — its identity and token (S1, S3),
 * its seq counter and replay window (Q2, R3), the highest client cseq handed to a handler (C2),
 * its TTL (S4) and which attachment holds it. The
 * in-memory store (memory-store.ts) is the default; a Redis store (redis-store.ts) lets several
 * server processes serve one protocol. Every method is async because a shared store is remote.
 */

export type SessionLookup = { readonly ok: true; readonly protocolVersion: string } | { readonly ok: false; readonly reason: 'unknown_session' | 'session_expired' };

/** A2: whom a session belongs to: the owner key it is bound to, and the principal as JSON text (kept with the session). */
export interface SessionOwner {
  /** '' for an anonymous session. */
  readonly key: string;
  /** The principal's JSON ('' when anonymous). */
  readonly principal: string;
}

export const ANONYMOUS: SessionOwner = { key: '', principal: '' };

export interface StoredFrame {
  readonly seq: number;
  /** The serialized data frame, exactly as delivered. */
  readonly frame: string;
}

export type ReplayAnswer =
  | { readonly ok: true; readonly fromSeq: number; readonly latestSeq: number; readonly frames: readonly StoredFrame[]; /** C2: the highest cseq accepted. */ readonly acked: number }
  | { readonly ok: false; readonly reason: 'window_exceeded' | 'invalid_cursor'; readonly earliestSeq: number; readonly latestSeq: number };

/** What a store tells the process that holds a session's attachment. */
export interface SessionListener {
  /** A data frame of the session, in seq order (from this process or another). */
  frame(frame: string, seq: number): void;
  /** Another attachment, here or in another process, took the session over (S4). */
  superseded(): void;
  /** The session was ended (logout, ban). */
  ended(): void;
}

export interface Subscription {
  readonly sessionId: string;
  /**
   * S4.10: the id of this attachment, unique per attach (the poll answer hands it to the client,
   * which names it in its next poll so that another process can continue the attachment).
   */
  readonly attachmentId: string;
}

/** S4.10: a poll attachment continued on this process: where the session stands. */
export interface Continued {
  readonly subscription: Subscription;
  readonly latestSeq: number;
  /** C2: the highest cseq accepted. */
  readonly acked: number;
}

export interface SessionStore {
  readonly kind: string;
  /** S1: a new session with a fresh id and token, bound to `owner` (A2); the token is returned once, here. */
  create(protocolVersion: string, owner?: SessionOwner): Promise<{ readonly id: string; readonly token: string }>;
  /**
   * S3: a wrong token answers exactly like an unknown id; compared in constant time. A2: so does
   * the right token presented by another owner (`owner`, '' when anonymous): the token is bound to
   * the owner that created the session.
   */
  authenticate(id: string, token: string, owner?: string): Promise<SessionLookup>;
  /**
   * Fan-out: the ids of the sessions of `owner` (undefined: every session), wherever they are
   * attached, in this store. A session that ended very recently may still be listed: appending
   * to it rejects with UnknownSessionError.
   */
  sessionsOf(owner: string | undefined): Promise<readonly string[]>;
  /**
   * Q2: assigns the next seq atomically, builds the frame from `parts` around it, keeps it in the
   * replay window within its bounds (R3), and delivers it to the session's listener wherever it
   * is. Rejects when the frame could not be stored: then it was not sent (never a silent loss).
   * A store that works in memory may answer synchronously (the hot path allocates no promise).
   */
  append(id: string, parts: FrameParts): number | Promise<number>;
  /** R2/R3: exactly the frames after `afterSeq`, or why that cannot be done. */
  replay(id: string, afterSeq: number): Promise<ReplayAnswer>;
  /** Q5: the client processed everything up to `seq`; release it early. */
  release(id: string, seq: number): Promise<void>;
  /**
   * C2: the hand-off of a run of consecutive client frames — cseqs `first` … `first + count - 1`,
   * the frames of one read — decided in one step, atomic wherever the store runs (one Lua script on
   * Redis): those at or below acked are duplicates; if `first` is at most acked + 1 the rest are
   * accepted and acked becomes the run's last cseq — the caller hands them to their handlers in
   * order, and no process ever hands those cseqs again; otherwise the whole run is a gap (nothing
   * changes). `verdictOf` reads one frame's verdict from the answer. Rejects with
   * UnknownSessionError for a session that is gone. A store that works in memory may answer
   * synchronously.
   */
  acceptRun(id: string, first: number, count: number): RunAnswer | Promise<RunAnswer>;
  /** S4: binds the session to `listener` (one live attachment); any earlier one is told it is superseded. */
  attach(id: string, protocolVersion: string, listener: SessionListener): Promise<Subscription>;
  /**
   * S4.10, for a store several processes share: the poll attachment `attachmentId` (attached
   * here or in another process) continues here, bound to `listener` without a claim — no other
   * attachment is superseded and no hello is due — if it is still the session's live attachment;
   * undefined when it is not (superseded, or detached: then the poll is a resume). Either way the
   * attachment stays live for `leaseMs` from now wherever it is served (see `renew`).
   */
  proceed?(id: string, attachmentId: string, leaseMs: number, listener: SessionListener): Promise<Continued | undefined>;
  /**
   * S4.10: a poll of an attachment this process holds: it stays live for `leaseMs` from now, so
   * that a process that served an earlier poll of it does not detach it meanwhile. False when it
   * is no longer the session's attachment (its listener is told, as for a claim).
   */
  renew?(subscription: Subscription, leaseMs: number): Promise<boolean>;
  /** The attachment went away: the session lives for the TTL from now. No-op if superseded meanwhile, or (S4.10) while a poll of the same attachment served in another process keeps it live. */
  detach(subscription: Subscription): Promise<void>;
  /** Ends a session now; a later resume gets session_expired. */
  end(id: string): Promise<void>;
  /** Ids of sessions that expired since the last call (for onSessionEnd). */
  sweep(now: number): Promise<readonly string[]>;
  close(): Promise<void>;
}

/**
 * C2: what the store decided about a run of consecutive cseqs: the highest cseq accepted before
 * it (`before`) and after it (`acked`). The cseqs in (before, acked] were accepted by this run.
 */
export interface RunAnswer {
  readonly before: number;
  readonly acked: number;
}

/** C2: what became of one cseq of a run: at or below `before` a duplicate, up to `acked` accepted, above it a gap. */
export function verdictOf(answer: RunAnswer, cseq: number): 'accepted' | 'duplicate' | 'gap' {
  return cseq <= answer.before ? 'duplicate' : cseq <= answer.acked ? 'accepted' : 'gap';
}

/**
 * C2: the decision of one run against `acked`, the highest cseq accepted so far — the rule every
 * store applies (the Redis script in Lua, word for word the same steps).
 */
export function decideRun(acked: number, first: number, count: number): RunAnswer {
  const last = first + count - 1;
  if (last <= acked || first > acked + 1) return { before: acked, acked };
  return { before: acked, acked: last };
}

export interface StoreBounds {
  readonly ttlMs: number;
  readonly idBits: number;
  readonly tokenBits: number;
  readonly replayWindow: { readonly maxMessages: number; readonly maxBytes: number };
}

/** A store could not do its job (a lost connection, a restart): the operation did not happen. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/** Thrown by append for a session the store does not know (expired or never created). */
export class UnknownSessionError extends Error {
  readonly sessionId: string;
  constructor(sessionId: string) {
    super(`session ${sessionId} does not exist (it expired or was never created): nothing was sent`);
    this.name = 'UnknownSessionError';
    this.sessionId = sessionId;
  }
}

/**
 * A data frame split around its seq, so that a store can stamp it atomically (a Redis script
 * concatenates prefix, seq and suffix). `bytes` counts everything but the seq's digits.
 */
export interface FrameParts {
  readonly prefix: string;
  readonly suffix: string;
  readonly bytes: number;
}

/** Strings whose JSON is themselves in quotes, one byte per character (message types, session ids). */
const PLAIN = /^[\w.-]*$/;

/**
 * `{"type":…,"header":{"session_id":…,"seq":` + seq + `},"payload":…}`; with `cseq` (C4: the
 * reply to that client frame) the header names it before the seq.
 */
export function frameParts(type: string, sessionId: string, payloadJson: string, cseq?: number): FrameParts {
  const suffix = `},"payload":${payloadJson}}`;
  const replyTo = cseq === undefined ? '' : `"cseq":${cseq},`;
  // On the send path of every data message: skip escaping and byte counting where they cannot matter.
  if (PLAIN.test(type) && PLAIN.test(sessionId)) {
    const prefix = `{"type":"${type}","header":{"session_id":"${sessionId}",${replyTo}"seq":`;
    return { prefix, suffix, bytes: prefix.length + Buffer.byteLength(suffix, 'utf8') };
  }
  const prefix = `{"type":${JSON.stringify(type)},"header":{"session_id":${JSON.stringify(sessionId)},${replyTo}"seq":`;
  return { prefix, suffix, bytes: Buffer.byteLength(prefix, 'utf8') + Buffer.byteLength(suffix, 'utf8') };
}

export function stamp(parts: FrameParts, seq: number): { readonly frame: string; readonly bytes: number } {
  const digits = String(seq);
  return { frame: parts.prefix + digits + parts.suffix, bytes: parts.bytes + digits.length };
}
