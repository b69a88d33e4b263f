/**
 * The faults the reference server can be switched into: each breaks one statement of
 * generated/docs/wire.md the way real servers do — the seeds' own bugs first (a "default"
 * session, data sent around the sequencing path, an index for a cursor, a resume that forgets
 * which session it names) — so that the probe tests can show each is caught, by exactly the
 * checks that should catch it.
 */
export const FAULTS = {
  // ---- the seeds' bugs
  'implicit-default-session': 'S2.1: a frame without session_id, or naming "default", goes to a shared "default" session',
  'unstamped-data': 'Q1.2: data is sent around the sequencing path, without header.seq',
  'hello-takes-seq': 'Q1.3: the hello goes through the sequencing path: it carries seq 1 and data starts at 2',
  'index-cursor': 'R4.2: the cursor is an index into the replay window, not a seq',
  'resume-ignores-frame-session': 'R1.2: a WebSocket resume trusts the URL’s session_id and ignores the frame’s',
  // ---- S
  'counter-ids': 'S1.3: session ids come from a counter (s0000…0001): well-formed, not random',
  'token-rotates': 'S1.4: every hello hands out a new resume_token',
  'token-oracle': 'S3.2: a wrong token is told apart from an unknown session',
  'no-expiry': 'S4.2: sessions never expire',
  'expired-oracle': 'S4.3: a wrong token for an expired session learns session_expired',
  'no-supersede': 'S4.5: a resume does not tell the attachment in place that it was taken over',
  'supersede-wrong-close': 'S4.5: a superseded WebSocket is closed with 1000 instead of 4001',
  // ---- Q
  'comment-heartbeat': 'R4.4: SSE heartbeats are comments, which EventSource never shows',
  'heartbeat-stale-latest': 'Q4.2: heartbeats say latest_seq 0',
  'ack-ignored': 'Q5.1: protocol.ack releases nothing',
  // ---- C
  'duplicate-handled': 'C2.2: a frame sent again with a cseq already accepted is handled again',
  'gap-accepted': 'C2.3: a frame past the next cseq is accepted instead of refused',
  'reply-without-cseq': 'C4.1: the trigger’s reply leaves out header.cseq, so no client can tell which send it answers',
  'reply-first': 'C4.1: the trigger’s reply goes out before the data its handler emits',
  // ---- R
  'off-by-one-replay': 'R2.1: the replay starts at last_seen_seq instead of last_seen_seq + 1',
  'resumed-hello-stale': 'H1.3: the hello of a resume says latest_seq 0',
  'window-one-short': 'R3.4: the window keeps one message less than maxMessages',
  'window-count-only': 'R3.4: the window is bounded by count only, never by bytes (caught with a spec whose byte bound binds first)',
  'partial-replay': 'R3.1: a cursor older than the window gets what the window still has',
  'invalid-cursor-410': 'R3.3: a cursor ahead of latest_seq is answered 410 on poll',
  'sse-control-ids': 'R4.1: SSE control events carry an id:',
  'last-event-id-ignored': 'R1.3: SSE ignores Last-Event-ID',
  'lenient-cursor': 'R4.3: cursors are read with parseInt, so 05, +5, 1.5 and 2^53 pass',
  'missing-cursor-zero': 'R1.7: a poll without cursor is read as cursor 0',
  'no-token-404': 'R1.8: a request without any token is answered 404 instead of 401',
  'unreadable-refusal': 'S3.1: poll answers a refused resume with a text body, not { "frames": [resume_failed] }',
  'poll-answers-at-once': 'Q4.1: a poll with nothing newer is answered at once with no frames instead of being held',
  'second-resume-closes': 'R1.9: a second protocol.resume on an attached socket closes it',
  // ---- H
  'version-lowest': 'H2.1: the server picks the lowest common version',
  'no-version-refusal': 'H2.3: with no version in common the server opens a session anyway',
  // ---- L
  'bare-error-body': 'L1.5: POST refusals answer a bare protocol.error instead of { accepted, frames }',
  'post-200': 'L1.5: accepted POSTs are answered 200 instead of 202',
  'batch-all-or-nothing': 'L1.6: one bad frame in a POSTed array refuses the whole array',
  'no-request-id': 'L1.4: errors leave out the frame’s request_id',
  'error-closes-socket': 'L1.1: a WebSocket is closed (1008) after any error frame',
  // ---- W
  'descending-history': 'W1.1: history windows come back newest first',
  'limit-zero-accepted': 'W2.1: limit=0 is read as no limit',
  'repeated-parameter-first-wins': 'W2.1: a repeated parameter is read as its first value',
  'empty-selection-400': 'W1.3: sinceSeq >= beforeSeq is answered 400 instead of an empty page',
} as const;

export type Fault = keyof typeof FAULTS;
