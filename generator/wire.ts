/**
 * The wire facts every implementation shares, whatever its language: the WebSocket close codes,
 * the HTTP status of each typed error, and which statements of the wire document
 * (generated/docs/wire.md) cannot be observed from outside. The wire document, the AsyncAPI
 * export and `contractgen probe` read them from here; a test holds the TypeScript runtime to the
 * same tables. Statement numbers are `<rule>.<n>` (`R3.2`): later rules (C, A, L) add statements
 * under their own ids without renumbering any other.
 */

/** A WebSocket close code the server uses, and when (the wire document's close-code table). */
export interface CloseCode {
  readonly code: number;
  /** The name the runtime gives it (`superseded`). */
  readonly name: string;
  /** When the server closes with it, one clause. */
  readonly when: string;
  /** The statement of wire.md that decides it. */
  readonly statement: string;
}

/** WebSocket close codes, ascending. 4000–4999 is the application range of RFC 6455. */
export const CLOSE_CODES: readonly CloseCode[] = [
  { code: 1001, name: 'going_away', when: 'the server is shutting down; resume later', statement: 'S4.7' },
  { code: 1009, name: 'too_big', when: 'a frame larger than 4 × max_frame_bytes arrived (smaller oversized frames get `frame_too_large` and the socket stays open)', statement: 'L2.1' },
  { code: 1011, name: 'internal_error', when: 'the application\'s `authenticate` hook failed; connect again later', statement: 'A3.1' },
  { code: 1013, name: 'try_again_later', when: 'the server cannot serve now: `overloaded` (L2.2), or its session store is unavailable (`handler_failed`); connect again later', statement: 'L2.2' },
  { code: 4000, name: 'protocol_error', when: 'a connection opened with `session_id` sent anything but `protocol.resume` for that session as its first frame', statement: 'R1.2' },
  { code: 4001, name: 'superseded', when: 'another attachment took the session over; `protocol.error superseded` came first', statement: 'S4.5' },
  { code: 4002, name: 'session_expired', when: 'the server ended the session while it was attached', statement: 'S4.6' },
  { code: 4003, name: 'resume_failed', when: 'after `protocol.resume_failed` (any reason) answering the first `protocol.resume`', statement: 'R3.1' },
  { code: 4004, name: 'unsupported_version', when: 'after `protocol.error unsupported_version`', statement: 'H2.3' },
  { code: 4005, name: 'slow_consumer', when: 'the client fell too far behind; resume from the window', statement: 'S4.7' },
  { code: 4006, name: 'resume_timeout', when: 'a connection opened with `session_id` sent no frame in time (10 s by default)', statement: 'R1.6' },
  { code: 4401, name: 'unauthorized', when: 'the application refused the credentials of the upgrade; `protocol.error unauthorized` came first', statement: 'A3.1' },
  { code: 4403, name: 'forbidden', when: 'the application refused the caller; `protocol.error forbidden` came first', statement: 'A3.1' },
];

/** A typed error of `protocol.error` (or a reason of `protocol.resume_failed`) and its HTTP status on POST and poll. */
export interface WireError {
  readonly code: string;
  readonly status: number;
  readonly when: string;
}

/** Every typed refusal, with the status it comes with on POST and poll (SSE answers 200, R1.4). */
export const WIRE_ERRORS: readonly WireError[] = [
  { code: 'malformed_frame', status: 400, when: 'the frame is not JSON, or not an object with a string `type` (L1.1, L1.2)' },
  { code: 'unknown_type', status: 400, when: '`type` is no client message of the contract (L1.3)' },
  { code: 'invalid_message', status: 400, when: 'the frame breaks its schema; `path` points at the field (L1.4, S2.2); a bad cursor (R4.3)' },
  { code: 'session_required', status: 400, when: 'no `header.session_id` (S2.1); an incomplete resume (R1.2, R1.4)' },
  { code: 'unsupported_version', status: 400, when: 'no protocol version in common; `supported_versions` lists the server\'s (H2.3)' },
  { code: 'unknown_session', status: 404, when: 'no session has this id and token (S3); 401 when no token was sent at all (R1.8)' },
  { code: 'session_expired', status: 410, when: 'the session outlived its TTL, or was ended (S4)' },
  { code: 'frame_too_large', status: 413, when: 'the frame is larger than `max_frame_bytes` (L2.1)' },
  { code: 'superseded', status: 200, when: 'another attachment took the session over (S4.5, S4.9)' },
  { code: 'handler_failed', status: 500, when: 'the server failed to handle the frame; the session is intact (503 when its store is unavailable)' },
  { code: 'cseq_gap', status: 409, when: '`header.cseq` is above the highest accepted + 1: a frame before it never arrived; send again from `acked` + 1, in order (C2)' },
  { code: 'unauthorized', status: 401, when: 'the application\'s `authenticate` refused the request: no or bad credentials (A3.1)' },
  { code: 'forbidden', status: 403, when: 'the application\'s `authenticate` refused the caller (A3.1)' },
  { code: 'overloaded', status: 429, when: 'the server is at one of its bounds (L2.2): 429 for this client, 503 for the whole server, with a retry hint' },
];

/** Reasons of `protocol.resume_failed` and their HTTP status on poll. */
export const RESUME_FAILURES: readonly WireError[] = [
  { code: 'unknown_session', status: 404, when: 'no session has this id and token (S3.1, S3.2)' },
  { code: 'session_expired', status: 410, when: 'the session outlived its TTL (S4.2)' },
  { code: 'window_exceeded', status: 410, when: 'the cursor is older than the window (R3.1)' },
  { code: 'invalid_cursor', status: 400, when: 'the cursor is ahead of `latest_seq` (R3.3)' },
];

/**
 * Statements of wire.md that `contractgen probe` does not check, and why: they hold inside a
 * server or a client, or need longer than a probe run may take. Every other statement has a check.
 */
export const UNCHECKED_STATEMENTS: Readonly<Record<string, string>> = {
  'S3.5': 'constant-time comparison is a property of the server code; a timing test over a network is noise',
  'L2.2': 'reaching a bound needs a server configured with small limits and many clients; the server suites test each bound',
  'S4.6': 'ending a session is the application\'s decision; the probe cannot cause it',
  'S4.7': 'slow consumers, store outages and shutdown are server conditions the probe cannot cause',
  'S4.8': 'the poll lease runs holdMs + heartbeatMs past the last answer and the TTL after it: minutes with the spec timers',
  'Q3.1': 'the one send path is the server code; what it guarantees on the wire is checked by Q1 and Q2',
  'Q4.3': 'what a client does with a duplicate or a gap happens inside the client',
  'R1.6': 'the resume timeout is 10 s by default and a server option, longer than a probe check may wait',
  'C1.1': 'numbering frames is what a client does; the server side of it is checked by C2.2 and C2.3',
  'C2.1': 'checked inside C2.2, C2.3 and C2.4 (every one of them reads the acknowledgement)',
  'C2.5': 'handler order and failures are the application\'s code; the conformance trigger cannot fail on request',
  'C4.3': 'handler failures are the application\'s code; the conformance trigger cannot fail on request',
  'A1.1': 'whom a server lets in is the application\'s decision; the probe sends the credentials it is given (--header)',
  'A3.1': 'which requests the application refuses is its own decision; the probe cannot make it refuse one',
  'A4.1': 'every poll and POST check sends the token as Resume-Token and the application\'s credentials beside it',
  'W6.1': 'the cost of a read is the server code; a timing test over a network is noise',
};

/** The HTTP status of a typed error code or resume refusal reason on POST and poll. */
export function statusOf(code: string): number {
  const found = RESUME_FAILURES.find((e) => e.code === code) ?? WIRE_ERRORS.find((e) => e.code === code);
  if (!found) throw new Error(`contractgen: no HTTP status for ${code}`);
  return found.status;
}
