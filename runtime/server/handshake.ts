/**
 * The answers of a handshake (H1, H2, R1–R3, S3): the hello of a session, and the refusals an open
 * or a resume can get — no common version, an unknown or expired session, a cursor outside the
 * replay window, no room (L2) — each as the typed frame and the status a transport answers with.
 */
import type { ContractDescriptor, TransportKind } from '../contract.js';
import { clip, errorFrame, helloFrame, resumeFailedFrame, type Frame } from '../frames.js';
import { ERROR_STATUS } from './frame-parser.js';
import type { Refusal } from './session-limiter.js';
import type { ReplayAnswer } from './store.js';

/** An open or resume refused: the typed frame, the HTTP status; `retryAfterS` when the refusal is `overloaded` (L2). */
export interface FailedOpen {
  readonly ok: false;
  readonly status: number;
  readonly frame: Frame;
  readonly retryAfterS?: number;
}

export const RESUME_MESSAGES = {
  unknown_session: 'no session matches this session_id and resume_token; start a new session',
  session_expired: 'the session expired after its grace period; start a new session and re-sync from history',
} as const;

/**
 * Session ids and tokens are URL-safe text (S1). Anything else cannot name a session: it is
 * refused like an unknown one without asking the store (a remote store would get a key built
 * from it).
 */
export function plausibleId(value: string): boolean {
  return value.length > 0 && value.length <= 512 && /^[A-Za-z0-9_-]+$/.test(value);
}

/** The `overloaded` refusal of L2, as a failed open. */
export function overloaded(refusal: Refusal): FailedOpen {
  return { ok: false, status: refusal.status, frame: errorFrame('overloaded', refusal.message), retryAfterS: refusal.retryAfterS };
}

/** S3: a resume of a session that is not there (or not with this token) or gone. */
export function resumeRefused(reason: 'unknown_session' | 'session_expired'): FailedOpen {
  return { ok: false, status: ERROR_STATUS[reason], frame: resumeFailedFrame(reason, RESUME_MESSAGES[reason]) };
}

/** R3: never a silent partial replay — the refusal says where the window starts. */
export function windowFailure(answer: Extract<ReplayAnswer, { ok: false }>, lastSeenSeq: number): FailedOpen {
  return {
    ok: false,
    status: ERROR_STATUS[answer.reason],
    frame: resumeFailedFrame(
      answer.reason,
      answer.reason === 'window_exceeded'
        ? `last_seen_seq ${lastSeenSeq} is older than the replay window, which starts at seq ${answer.earliestSeq}; re-sync from history`
        : `last_seen_seq ${lastSeenSeq} is ahead of the newest seq ${answer.latestSeq}`,
      { earliestSeq: answer.earliestSeq, latestSeq: answer.latestSeq },
    ),
  };
}

/** H2: no version both sides speak. */
export function unsupported(contract: ContractDescriptor, versions: readonly string[] | undefined): FailedOpen {
  return {
    ok: false,
    status: ERROR_STATUS.unsupported_version,
    frame: errorFrame('unsupported_version', `no common protocol version: the client offered ${clip(versions?.join(', ') || 'none', 120)}, the server speaks ${contract.protocolVersions.join(', ')}`, {
      supportedVersions: contract.protocolVersions,
    }),
  };
}

/** H1: what the hello of every session of this contract announces, and the frame for one session. */
export function createHello<S extends { readonly id: string; readonly protocolVersion: string; readonly latestSeq: number }>(
  contract: ContractDescriptor,
  helloApp: ((session: S) => object | undefined) | undefined,
): (session: S, token: string) => Frame {
  const transports: TransportKind[] = (['websocket', 'sse', 'poll'] as const).filter((k) => contract.transports[k]);
  return (session, token) =>
    helloFrame({
      protocolVersion: session.protocolVersion,
      sessionId: session.id,
      resumeToken: token,
      latestSeq: session.latestSeq,
      replayWindow: contract.replayWindow,
      heartbeatMs: contract.heartbeatMs,
      sessionTtlMs: contract.session.ttlMs,
      maxFrameBytes: contract.maxFrameBytes,
      transports,
      capabilities: contract.capabilities,
      app: helloApp?.(session),
    });
}
