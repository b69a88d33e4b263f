/**
 * Kernel frames and their codes, shared by server and client. The spec defines these frames
 * (the checker makes sure their fields exist); this module builds and reads them.
 */

export type ErrorCode =
  | 'malformed_frame'
  | 'unknown_type'
  | 'invalid_message'
  | 'frame_too_large'
  | 'session_required'
  | 'unknown_session'
  | 'session_expired'
  | 'unsupported_version'
  | 'superseded'
  | 'handler_failed'
  /** L2: a bound was reached (sessions, rate, inbound queue, batch size): try again later, or send less. */
  | 'overloaded'
  /** C2: a client frame's cseq is above the acknowledged one + 1: the frames between were never received. */
  | 'cseq_gap'
  /** A3: the request carries no valid credentials of the application (HTTP 401, WebSocket 4401). */
  | 'unauthorized'
  /** A3: the application knows the caller and refuses them (HTTP 403, WebSocket 4403). */
  | 'forbidden';

/** R3/S3/S4: why a resume was refused. A wrong token is reported as unknown_session (no oracle). */
export type ResumeFailure = 'window_exceeded' | 'invalid_cursor' | 'session_expired' | 'unknown_session';

export interface Frame {
  readonly type: string;
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

/** WebSocket close codes used by the runtime (4000–4999 is the application range). */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  tooBig: 1009,
  protocolError: 4000,
  superseded: 4001,
  sessionExpired: 4002,
  resumeFailed: 4003,
  unsupportedVersion: 4004,
  slowConsumer: 4005,
  resumeTimeout: 4006,
  /** RFC 6455 1013: the server cannot serve now (its session store is unavailable). */
  tryAgainLater: 1013,
  /** RFC 6455 1011: the server failed (the application's authenticate hook threw). */
  internalError: 1011,
  /** A3: 4000 + the HTTP status, so a client reads one meaning from either. */
  unauthorized: 4401,
  forbidden: 4403,
} as const;

/**
 * A4: the header that carries the resume token on poll and POST. Never `Authorization`, which
 * the application's own credentials use; where a client cannot set headers, the `resume_token`
 * query parameter carries it instead.
 */
export const RESUME_TOKEN_HEADER = 'Resume-Token';

export const KERNEL = {
  hello: 'protocol.hello',
  resume: 'protocol.resume',
  resumed: 'protocol.resumed',
  resumeFailed: 'protocol.resume_failed',
  error: 'protocol.error',
  heartbeat: 'protocol.heartbeat',
  ack: 'protocol.ack',
  received: 'protocol.received',
} as const;

export interface HelloFields {
  readonly protocolVersion: string;
  readonly sessionId: string;
  readonly resumeToken: string;
  readonly latestSeq: number;
  readonly replayWindow: { readonly maxMessages: number; readonly maxBytes: number };
  readonly heartbeatMs: number;
  readonly sessionTtlMs: number;
  readonly maxFrameBytes: number;
  readonly transports: readonly string[];
  readonly capabilities: readonly string[];
  /** The application's fields of the hello (`payload.app`, the kernel's HelloApp extension point), when the spec defines them. */
  readonly app?: object | undefined;
}

/** H1: the first frame of every attachment. */
export function helloFrame(f: HelloFields): Frame {
  return {
    type: KERNEL.hello,
    header: { session_id: f.sessionId },
    payload: {
      protocol_version: f.protocolVersion,
      session_id: f.sessionId,
      resume_token: f.resumeToken,
      latest_seq: f.latestSeq,
      replay_window: { max_messages: f.replayWindow.maxMessages, max_bytes: f.replayWindow.maxBytes },
      heartbeat_ms: f.heartbeatMs,
      session_ttl_ms: f.sessionTtlMs,
      max_frame_bytes: f.maxFrameBytes,
      transports: [...f.transports],
      capabilities: [...f.capabilities],
      ...(f.app !== undefined ? { app: f.app } : {}),
    },
  };
}

/** R2: the resume succeeded; data with fromSeq <= seq <= latestSeq follows. C2: `acked` is the highest cseq accepted. */
export function resumedFrame(sessionId: string, fromSeq: number, latestSeq: number, acked: number): Frame {
  return { type: KERNEL.resumed, header: { session_id: sessionId, latest_seq: latestSeq }, payload: { from_seq: fromSeq, latest_seq: latestSeq, acked } };
}

/** C2: every cseq up to `acked` was accepted (handed to its handler once). */
export function receivedFrame(sessionId: string, acked: number): Frame {
  return { type: KERNEL.received, header: { session_id: sessionId }, payload: { acked } };
}

export function resumeFailedFrame(reason: ResumeFailure, message: string, extra: { earliestSeq?: number; latestSeq?: number } = {}): Frame {
  return {
    type: KERNEL.resumeFailed,
    header: {},
    payload: {
      reason,
      message,
      ...(extra.earliestSeq !== undefined ? { earliest_seq: extra.earliestSeq } : {}),
      ...(extra.latestSeq !== undefined ? { latest_seq: extra.latestSeq } : {}),
    },
  };
}

export interface ErrorDetails {
  readonly sessionId?: string;
  readonly path?: string;
  readonly requestId?: string;
  /** C2/C4: the client frame the error is about. */
  readonly cseq?: number;
  readonly supportedVersions?: readonly string[];
}

export function errorFrame(code: ErrorCode, message: string, d: ErrorDetails = {}): Frame {
  return {
    type: KERNEL.error,
    header: d.sessionId ? { session_id: d.sessionId } : {},
    payload: {
      code,
      message,
      ...(d.path !== undefined ? { path: d.path } : {}),
      ...(d.requestId !== undefined ? { request_id: d.requestId } : {}),
      ...(d.cseq !== undefined ? { cseq: d.cseq } : {}),
      ...(d.supportedVersions ? { supported_versions: [...d.supportedVersions] } : {}),
    },
  };
}

/** Q4/C2: a keepalive with the session's newest seq and the highest cseq accepted. */
export function heartbeatFrame(sessionId: string, latestSeq: number, acked: number): Frame {
  return { type: KERNEL.heartbeat, header: { session_id: sessionId }, payload: { latest_seq: latestSeq, acked } };
}

/**
 * Client text echoed in an error (a type, a parameter name, a version list), cut to `max`
 * characters: an answer about a bad request never grows with the request.
 */
export function clip(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Compares `major.minor` versions numerically. */
export function compareVersions(a: string, b: string): number {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am - bm || an - bn;
}

/**
 * H2: the highest version both sides speak. `offered` undefined means the client named none,
 * which is read as "whatever the server speaks best".
 */
export function negotiateVersion(offered: readonly string[] | undefined, supported: readonly string[]): string | undefined {
  const sorted = [...supported].sort(compareVersions);
  if (offered === undefined) return sorted[sorted.length - 1];
  for (let i = sorted.length - 1; i >= 0; i--) if (offered.includes(sorted[i]!)) return sorted[i];
  return undefined;
}

/** Parses a `versions=1.0,1.1` query value; undefined when absent or empty. */
export function parseVersionList(value: string | null | undefined): string[] | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** UTF-8 length of a string without allocating a buffer (frames are measured on every send). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2; // a surrogate pair: 2 UTF-16 units, 4 UTF-8 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}
