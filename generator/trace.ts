/**
 * The trace: which generated code enforces which rule of DESIGN.md §1. One table of data, filled
 * in for a contract by trace-resolve.ts, read by the docs emitter (the "Trace" section of each
 * scope doc) and checked by the verify stage on every build: a row whose file is not generated,
 * or whose file does not export the symbol, fails the build. Add a row here when new code takes
 * over a rule (the client, a store); nothing else needs to change.
 */
import type { TransportKind } from './model.js';

export type RuleId =
  | 'S1' | 'S2' | 'S3' | 'S4' | 'S5'
  | 'Q1' | 'Q2' | 'Q3' | 'Q4' | 'Q5'
  | 'R1' | 'R2' | 'R3' | 'R4'
  | 'H1' | 'H2'
  | 'W1' | 'W2' | 'W3' | 'W4' | 'W5' | 'W6'
  | 'C1' | 'C2' | 'C3' | 'C4'
  | 'A1' | 'A2' | 'A3' | 'A4'
  | 'L1' | 'L2' | 'L3' | 'L4';

/** The rules of DESIGN.md §1, in order, each with a short title for tables. */
export const RULES: readonly { readonly id: RuleId; readonly title: string }[] = [
  { id: 'S1', title: 'the server assigns session_id and resume_token' },
  { id: 'S2', title: 'no implicit session' },
  { id: 'S3', title: 'the id identifies, the token authorises' },
  { id: 'S4', title: 'a session outlives its transport for the TTL; one live attachment' },
  { id: 'S5', title: 'every client frame names its session' },
  { id: 'Q1', title: 'data messages carry seq, control messages never do' },
  { id: 'Q2', title: 'seq is per session, 1-based, gap-free' },
  { id: 'Q3', title: 'one send path for data' },
  { id: 'Q4', title: 'clients deliver in seq order, exactly once' },
  { id: 'Q5', title: 'clients may acknowledge' },
  { id: 'R1', title: 'resume with session_id, resume_token, last_seen_seq' },
  { id: 'R2', title: 'replay exactly what was missed, then live' },
  { id: 'R3', title: 'a bounded window; refuse, never replay partially' },
  { id: 'R4', title: 'one cursor on every transport' },
  { id: 'H1', title: 'hello is the first frame' },
  { id: 'H2', title: 'version negotiation' },
  { id: 'W1', title: 'history window selection' },
  { id: 'W2', title: 'a bad history query is a 400 naming the parameter' },
  { id: 'W3', title: 'latestSeq is a tail cursor only' },
  { id: 'W4', title: 'history items are 1-based and gap-free' },
  { id: 'W5', title: 'client history flows' },
  { id: 'W6', title: 'a window read costs O(log n + k)' },
  { id: 'C1', title: 'every client application frame carries its cseq' },
  { id: 'C2', title: 'the server hands each cseq over once, in order, and acknowledges it' },
  { id: 'C3', title: 'the client keeps and re-sends until acknowledged; a lost session rejects' },
  { id: 'C4', title: 'a declared reply; handler failures name the cseq' },
  { id: 'A1', title: 'the application decides who may connect' },
  { id: 'A2', title: 'a session belongs to the principal that created it' },
  { id: 'A3', title: 'refusals are typed and stop the client' },
  { id: 'A4', title: 'the resume token never travels in the application\'s credential header' },
  { id: 'L1', title: 'no request, however malformed, throws out of the server' },
  { id: 'L2', title: 'every queue and table has a bound, and a typed refusal' },
  { id: 'L3', title: 'a slow or stuck consumer is dropped and its buffers freed' },
  { id: 'L4', title: 'no work before authentication beyond the request\'s own size' },
];

/** Which scope doc a row belongs to. */
export type TraceDoc = 'backend' | 'frontend' | 'schema';

export interface TraceRow {
  readonly rule: RuleId;
  readonly doc: TraceDoc;
  /** Path inside the generated folder, POSIX separators. */
  readonly file: string;
  /**
   * An exported declaration of `file`. May name the spec's own names through placeholders:
   * `{Prefix}` (the API prefix, `AgentUi`), `{message:TYPE}` (the type name of a message),
   * `{header:REF}` (its header type), `{field:TYPE.NAME}` (the named type of a payload field),
   * `{headerField:REF.NAME}` (of a header field), `{history:query|response|item}` (of the first
   * history endpoint). REF is a message type or `@data`, `@control`, `@client` (the first
   * server data, server control or client message). A row whose placeholder the spec cannot
   * fill (no history endpoint, a field typed inline) is left out; a filled symbol must exist.
   */
  readonly symbol: string;
  /** What the symbol does for the rule, one clause. */
  readonly what: string;
  /** Only for contracts that have this: a history endpoint, the named transport, or SSE or poll (`http`: POSTed frames). */
  readonly when?: 'history' | 'http' | TransportKind;
}

const SERVER = 'runtime/server';
const CLIENT = 'runtime/client';

/** Every row, grouped by doc, in rule order. */
export const TRACE: readonly TraceRow[] = [
  // ---- backend: the server runtime and the generated server
  { rule: 'S1', doc: 'backend', file: `${SERVER}/ids.ts`, symbol: 'randomId', what: 'draws session ids and resume tokens from the CSPRNG (node:crypto) as URL-safe base64' },
  { rule: 'S1', doc: 'backend', file: `${SERVER}/store.ts`, symbol: 'SessionStore', what: '`create()` is the only way a session comes to exist, in any store; the token is returned once, for the hello' },
  { rule: 'S1', doc: 'backend', file: `${SERVER}/memory-store.ts`, symbol: 'createMemoryStore', what: 'the default store: a fresh id and token per session, never an id reused' },
  { rule: 'S2', doc: 'backend', file: `${SERVER}/server-core.ts`, symbol: 'createServerCore', what: 'a client frame without `header.session_id` gets `session_required`; one naming another session gets `unknown_session`; there is no default session' },
  { rule: 'S3', doc: 'backend', file: `${SERVER}/ids.ts`, symbol: 'tokenMatches', what: 'compares token digests in constant time (`timingSafeEqual`)' },
  { rule: 'S3', doc: 'backend', file: `${SERVER}/memory-store.ts`, symbol: 'createMemoryStore', what: '`authenticate()` answers a wrong token exactly like an unknown id (no oracle); only the token holder learns `session_expired`' },
  { rule: 'S4', doc: 'backend', file: `${SERVER}/memory-store.ts`, symbol: 'createMemoryStore', what: '`sweep()` ends sessions detached for longer than the TTL; `attach()` tells the attachment it supersedes' },
  { rule: 'S5', doc: 'backend', file: 'validators.ts', symbol: 'validateClientMessage', what: 'refuses a client frame whose header has no `session_id`' },
  { rule: 'S5', doc: 'backend', file: `${SERVER}/transports/sse.ts`, symbol: 'createSseTransport', what: 'reads `session_id`, `resume_token` and `last_seen_seq` from the query string: EventSource cannot send headers', when: 'sse' },
  { rule: 'S5', doc: 'backend', file: `${SERVER}/transports/messages.ts`, symbol: 'createMessagesEndpoint', what: 'a POSTed frame proves its session with `Resume-Token: <resume_token>`', when: 'http' },
  { rule: 'Q1', doc: 'backend', file: 'server.ts', symbol: '{Prefix}Emitter', what: 'one method per server-to-client data message; application code has no way to send a control frame' },
  { rule: 'Q1', doc: 'backend', file: `${SERVER}/server-core.ts`, symbol: 'createServerCore', what: 'control frames (hello, resumed, errors) go out through `sendControl`, never stamped' },
  { rule: 'Q2', doc: 'backend', file: `${SERVER}/store.ts`, symbol: 'SessionStore', what: '`append()` assigns the next seq atomically as the frame is stored, wherever the store is' },
  { rule: 'Q2', doc: 'backend', file: `${SERVER}/memory-store.ts`, symbol: 'createMemoryStore', what: '`append()` stamps `seq = latest + 1` and keeps the frame in the session\'s window' },
  { rule: 'Q2', doc: 'backend', file: `${SERVER}/replay-ring.ts`, symbol: 'createReplayRing', what: 'keeps the seqs of a session contiguous, released only from the oldest end' },
  { rule: 'Q3', doc: 'backend', file: `${SERVER}/outbox.ts`, symbol: 'createOutbox', what: 'the one path from application code to a transport: validate, check the size, then the store stamps, keeps and delivers' },
  { rule: 'Q3', doc: 'backend', file: `${SERVER}/outbox.ts`, symbol: 'OutboundRejectedError', what: 'an invalid or oversized data message is thrown back to the caller and consumes no seq' },
  { rule: 'Q4', doc: 'backend', file: 'runtime/frames.ts', symbol: 'heartbeatFrame', what: 'heartbeats carry `latest_seq`, so an idle client notices a lost tail message' },
  { rule: 'Q4', doc: 'backend', file: `${SERVER}/transports/poll.ts`, symbol: 'createPollTransport', what: 'a poll answer that would be empty after the hold carries a heartbeat instead', when: 'poll' },
  { rule: 'Q5', doc: 'backend', file: `${SERVER}/server-core.ts`, symbol: 'createServerCore', what: '`header.ack` and `protocol.ack` release acknowledged frames from the replay window' },
  { rule: 'Q5', doc: 'backend', file: `${SERVER}/replay-ring.ts`, symbol: 'createReplayRing', what: '`release()` drops every frame up to the acknowledged seq' },
  { rule: 'R1', doc: 'backend', file: `${SERVER}/transports/websocket.ts`, symbol: 'createWebSocketTransport', what: 'a connection opened with `session_id` must send `protocol.resume` as its first frame', when: 'websocket' },
  { rule: 'R1', doc: 'backend', file: `${SERVER}/transports/sse.ts`, symbol: 'createSseTransport', what: 'resumes from query parameters, or from `Last-Event-ID` when the browser sends it', when: 'sse' },
  { rule: 'R1', doc: 'backend', file: `${SERVER}/transports/poll.ts`, symbol: 'createPollTransport', what: 'a poll with `resume=1`, or one that does not continue a live poll attachment, is a resume from its `cursor`', when: 'poll' },
  { rule: 'R2', doc: 'backend', file: `${SERVER}/server-core.ts`, symbol: 'createServerCore', what: '`resume()` sends hello, `protocol.resumed`, the missed frames in order, then goes live' },
  { rule: 'R2', doc: 'backend', file: 'runtime/frames.ts', symbol: 'resumedFrame', what: 'builds `protocol.resumed { from_seq, latest_seq }`' },
  { rule: 'R3', doc: 'backend', file: `${SERVER}/memory-store.ts`, symbol: 'createMemoryStore', what: '`replay()` answers all the missed frames or `window_exceeded` / `invalid_cursor`, never part of them' },
  { rule: 'R3', doc: 'backend', file: `${SERVER}/replay-ring.ts`, symbol: 'createReplayRing', what: 'bounds the window by message count and bytes' },
  { rule: 'R3', doc: 'backend', file: `${SERVER}/frame-parser.ts`, symbol: 'ERROR_STATUS', what: 'maps each refusal to its HTTP status (410 Gone for a cursor before the window)' },
  { rule: 'R4', doc: 'backend', file: `${SERVER}/transports/sse.ts`, symbol: 'createSseTransport', what: 'writes `id: <seq>` on data events, so `Last-Event-ID` is the cursor', when: 'sse' },
  { rule: 'R4', doc: 'backend', file: `${SERVER}/transports/poll.ts`, symbol: 'createPollTransport', what: 'answers the data after `cursor`, the last seq the client processed', when: 'poll' },
  { rule: 'H1', doc: 'backend', file: 'runtime/frames.ts', symbol: 'helloFrame', what: 'builds the hello with the session, its token and every protocol parameter' },
  { rule: 'H1', doc: 'backend', file: `${SERVER}/server-core.ts`, symbol: 'createServerCore', what: '`open()` and `resume()` send the hello before any other frame' },
  { rule: 'H2', doc: 'backend', file: 'runtime/frames.ts', symbol: 'negotiateVersion', what: 'picks the highest version both sides speak, or none' },
  { rule: 'H2', doc: 'backend', file: `${SERVER}/server-core.ts`, symbol: 'createServerCore', what: 'refuses with `unsupported_version` and the list the server speaks' },
  { rule: 'W1', doc: 'backend', file: `${SERVER}/history.ts`, symbol: 'readWindow', what: 'selects `sinceSeq < seq < beforeSeq` and returns its newest `limit` items, ascending', when: 'history' },
  { rule: 'W2', doc: 'backend', file: `${SERVER}/history.ts`, symbol: 'parseHistoryQuery', what: 'refuses malformed, zero, negative, repeated or unknown parameters, naming the parameter', when: 'history' },
  { rule: 'W2', doc: 'backend', file: `${SERVER}/history.ts`, symbol: 'serveHistory', what: 'answers those refusals with HTTP 400 `{ error, parameter }`', when: 'history' },
  { rule: 'W3', doc: 'backend', file: `${SERVER}/history.ts`, symbol: 'readWindow', what: '`latestSeq` is the last returned seq, or `sinceSeq` when nothing is returned', when: 'history' },
  { rule: 'W4', doc: 'backend', file: `${SERVER}/history.ts`, symbol: 'createMemoryHistoryStore', what: '`append()` assigns `seq = length + 1`; reads check the log is gap-free', when: 'history' },
  { rule: 'W5', doc: 'backend', file: `${SERVER}/history.ts`, symbol: 'serveHistory', what: 'serves fresh load, tail sync and page-older reads with the one selection rule', when: 'history' },
  { rule: 'W6', doc: 'backend', file: `${SERVER}/history.ts`, symbol: 'readWindow', what: 'index arithmetic and one slice: reads only the returned items', when: 'history' },
  { rule: 'C1', doc: 'backend', file: `${SERVER}/inbound-delivery.ts`, symbol: 'createInboundDelivery', what: 'reads `header.cseq` of every application frame; a frame without one (a kernel 1.1 client) is handed over unnumbered and unacknowledged' },
  { rule: 'C2', doc: 'backend', file: `${SERVER}/inbound-delivery.ts`, symbol: 'createInboundDelivery', what: 'asks the store about the frames of a session that arrive in one tick at once (one call per run of consecutive `cseq`s), runs after one another; only an accepted frame is queued for its handler' },
  { rule: 'C2', doc: 'backend', file: `${SERVER}/store.ts`, symbol: 'SessionStore', what: '`acceptRun()` decides and records a run of consecutive cseqs atomically wherever the store runs: accepted once, a duplicate at or below acked, a gap above acked + 1' },
  { rule: 'C2', doc: 'backend', file: `${SERVER}/redis-scripts.ts`, symbol: 'ACCEPT_RUN', what: 'one Lua script decides and records a run of cseqs, so two processes never both hand one over' },
  { rule: 'C2', doc: 'backend', file: `${SERVER}/server-core.ts`, symbol: 'createServerCore', what: 'acknowledges with `protocol.received` on a connection, `acked` in POST answers, heartbeats and `protocol.resumed`; refuses a gap with `cseq_gap`' },
  { rule: 'C3', doc: 'backend', file: 'runtime/frames.ts', symbol: 'receivedFrame', what: 'builds `protocol.received { acked }`: the client resolves every send up to it and stops keeping those frames' },
  { rule: 'C4', doc: 'backend', file: `${SERVER}/handler-queue.ts`, symbol: 'createHandlerQueue', what: 'a handler that throws is answered `handler_failed` naming the frame\'s `cseq`; it is not run again' },
  { rule: 'C4', doc: 'backend', file: `${SERVER}/contract-server.ts`, symbol: 'ReplyPayloadOf', what: 'types the handler of a message that declares a reply (`x-message.reply`): it must return that reply\'s payload' },
  { rule: 'C4', doc: 'backend', file: `${SERVER}/contract-server.ts`, symbol: 'createContractServer', what: 'sends what such a handler returned as the reply, through the one send path, with the frame\'s `cseq` in its header; returning nothing is a handler failure' },
  { rule: 'A1', doc: 'backend', file: `${SERVER}/auth.ts`, symbol: 'createGate', what: 'calls the application\'s `authenticate(request)` on every entry (WebSocket upgrade, SSE, poll, POST, history) before any protocol work; without a hook every request is anonymous' },
  { rule: 'A1', doc: 'backend', file: 'server.ts', symbol: '{Prefix}ServerOptions', what: 'takes `authenticate` and `principalKey`; `Principal` is the type your hook returns' },
  { rule: 'A2', doc: 'backend', file: `${SERVER}/ids.ts`, symbol: 'tokenDigest', what: 'binds the token\'s digest to the session\'s owner: the right token from another principal fails like a wrong one (no oracle)' },
  { rule: 'A2', doc: 'backend', file: `${SERVER}/memory-store.ts`, symbol: 'createMemoryStore', what: 'keeps the owner and the principal with the session, and an index of each owner\'s sessions for fan-out' },
  { rule: 'A2', doc: 'backend', file: `${SERVER}/redis-store.ts`, symbol: 'createRedisStore', what: 'stores the owner and the principal in the session\'s hash, and indexes each owner\'s sessions, so every process checks and fans out alike' },
  { rule: 'A2', doc: 'backend', file: `${SERVER}/contract-server.ts`, symbol: 'createContractServer', what: 'gives every handler and hook `ctx.principal`, asks `authorize(principal, params)` per history endpoint, and fans out with `emitToPrincipal` and `broadcast` through the outbox' },
  { rule: 'A3', doc: 'backend', file: `${SERVER}/auth.ts`, symbol: 'REFUSALS', what: '`unauthorized` is HTTP 401 / close 4401, `forbidden` 403 / 4403, each with its typed `protocol.error`' },
  { rule: 'A4', doc: 'backend', file: `${SERVER}/transports/http-util.ts`, symbol: 'resumeToken', what: 'reads the resume token from `Resume-Token` (or the `resume_token` query parameter), never from `Authorization`', when: 'http' },
  { rule: 'L1', doc: 'backend', file: `${SERVER}/transports/http-util.ts`, symbol: 'requestUrl', what: 'reads a request target that is not a URL as none, never throwing: the request is answered 400, the upgrade refused with 400' },
  { rule: 'L1', doc: 'backend', file: `${SERVER}/frame-parser.ts`, symbol: 'createFrameParser', what: 'a frame or POST body that cannot be parsed or validated (even nested past the stack) is a typed error; client text in an error is cut short' },
  { rule: 'L2', doc: 'backend', file: 'runtime/limits.ts', symbol: 'resolveLimits', what: 'every bound with its default: the server\'s overrides over `x-contract.limits` over the defaults' },
  { rule: 'L2', doc: 'backend', file: `${SERVER}/session-limiter.ts`, symbol: 'createSessionLimiter', what: 'sessions per process, per client key and per second; a refusal is `overloaded` (HTTP 503/429, WebSocket 1013)' },
  { rule: 'L2', doc: 'backend', file: `${SERVER}/transports/websocket.ts`, symbol: 'createWebSocketTransport', what: 'stops reading a socket whose session\'s handlers are `maxInboundBytes` behind, until they catch up', when: 'websocket' },
  { rule: 'L3', doc: 'backend', file: `${SERVER}/transports/sse.ts`, symbol: 'createSseTransport', what: 'destroys the socket of a client `maxBufferedBytes` behind; its session waits for a resume', when: 'sse' },
  { rule: 'L3', doc: 'backend', file: `${SERVER}/transports/poll.ts`, symbol: 'createPollTransport', what: 'destroys the socket of an answer the client has not taken when its lease runs out', when: 'poll' },
  { rule: 'L4', doc: 'backend', file: `${SERVER}/transports/messages.ts`, symbol: 'createMessagesEndpoint', what: 'no token, no body read; a session named in the query is authenticated before the body is read', when: 'http' },

  // ---- frontend: the generated client and the client runtime
  { rule: 'S1', doc: 'frontend', file: `${CLIENT}/client-core.ts`, symbol: 'createClientCore', what: 'takes `session_id` and `resume_token` only from a hello, and starts the cursor over when the session id is new' },
  { rule: 'S3', doc: 'frontend', file: `${CLIENT}/transports/websocket.ts`, symbol: 'createWebSocketClientTransport', what: 'puts the token in the `protocol.resume` frame, never in the WebSocket URL', when: 'websocket' },
  { rule: 'S3', doc: 'frontend', file: `${CLIENT}/transport.ts`, symbol: 'postFrames', what: 'POSTs client frames with `Resume-Token: <resume_token>`', when: 'http' },
  { rule: 'S4', doc: 'frontend', file: `${CLIENT}/client-core.ts`, symbol: 'createClientCore', what: 'stops reconnecting on `superseded`: another connection owns the session now' },
  { rule: 'S5', doc: 'frontend', file: 'client.ts', symbol: '{Prefix}Senders', what: 'one method per client message; each validates the frame and fills in `header.session_id`' },
  { rule: 'S5', doc: 'frontend', file: `${CLIENT}/transports/sse.ts`, symbol: 'createSseClientTransport', what: 'resumes with `session_id`, `resume_token` and `last_seen_seq` in the query string (EventSource sends no headers)', when: 'sse' },
  { rule: 'Q1', doc: 'frontend', file: `${CLIENT}/client-core.ts`, symbol: 'createClientCore', what: 'only sequenced message types go through the sequencer; control frames never move the cursor' },
  { rule: 'Q2', doc: 'frontend', file: `${CLIENT}/client-core.ts`, symbol: 'createClientCore', what: 'a new session starts the cursor at 0, so its first data message must be seq 1 and each next one + 1' },
  { rule: 'Q4', doc: 'frontend', file: `${CLIENT}/sequencer.ts`, symbol: 'createSequencer', what: 'a seq at or below the cursor is a duplicate, one above cursor + 1 a gap' },
  { rule: 'Q4', doc: 'frontend', file: `${CLIENT}/client-core.ts`, symbol: 'createClientCore', what: 'drops duplicates; on a gap, or a heartbeat whose `latest_seq` is ahead, reconnects and resumes from the cursor' },
  { rule: 'Q4', doc: 'frontend', file: 'client.ts', symbol: '{Prefix}Listeners', what: '`on.<message>` handlers run once per data message, in seq order' },
  { rule: 'Q5', doc: 'frontend', file: `${CLIENT}/client-core.ts`, symbol: 'createClientCore', what: 'sends `protocol.ack` after `ackEvery` messages or `ackAfterMs`; on long-polling the cursor acknowledges' },
  { rule: 'R1', doc: 'frontend', file: `${CLIENT}/transports/websocket.ts`, symbol: 'createWebSocketClientTransport', what: 'reconnects with `?session_id=` and sends `protocol.resume` first', when: 'websocket' },
  { rule: 'R1', doc: 'frontend', file: `${CLIENT}/transports/sse.ts`, symbol: 'createSseClientTransport', what: 'never uses EventSource\'s own reconnect: the client core reconnects with its current cursor', when: 'sse' },
  { rule: 'R1', doc: 'frontend', file: `${CLIENT}/transports/poll.ts`, symbol: 'createPollClientTransport', what: 'polls with `session_id`, `cursor` and the bearer token, and `resume=1` when it connects again', when: 'poll' },
  { rule: 'R2', doc: 'frontend', file: `${CLIENT}/client-core.ts`, symbol: 'createClientCore', what: 'the session is open again after hello and `protocol.resumed`; frames queued meanwhile are sent then' },
  { rule: 'R3', doc: 'frontend', file: `${CLIENT}/client-core.ts`, symbol: 'createClientCore', what: '`protocol.resume_failed` becomes a `resume-failed` event with its reason; then a new session, or a stop' },
  { rule: 'R3', doc: 'frontend', file: 'client.ts', symbol: '{Prefix}ClientOptions', what: '`onResumeFailed`: start a new session (default) or stop' },
  { rule: 'R4', doc: 'frontend', file: `${CLIENT}/sequencer.ts`, symbol: 'createSequencer', what: '`lastSeen`, the last seq delivered, is the cursor sent on every transport' },
  { rule: 'R4', doc: 'frontend', file: 'client.ts', symbol: '{Prefix}Client', what: '`lastSeenSeq`: the resume cursor, readable by the app' },
  { rule: 'H1', doc: 'frontend', file: `${CLIENT}/client-core.ts`, symbol: 'createClientCore', what: 'a session opens on `protocol.hello`; nothing is sent before it' },
  { rule: 'H2', doc: 'frontend', file: 'client.ts', symbol: '{Prefix}ClientOptions', what: '`versions`: the protocol versions offered on connect (default: all of the contract\'s)' },
  { rule: 'W1', doc: 'frontend', file: `${CLIENT}/history.ts`, symbol: 'fetchHistoryPage', what: 'sends `sinceSeq`, `beforeSeq` and `limit` as query parameters and validates the page', when: 'history' },
  { rule: 'W2', doc: 'frontend', file: `${CLIENT}/history.ts`, symbol: 'HistoryRequestError', what: 'a 400 answer surfaces with the parameter it names', when: 'history' },
  { rule: 'W3', doc: 'frontend', file: `${CLIENT}/history.ts`, symbol: 'createHistoryView', what: 'the tail cursor only moves forward; a page of older items never touches it', when: 'history' },
  { rule: 'W4', doc: 'frontend', file: `${CLIENT}/history.ts`, symbol: 'createHistoryView', what: '`hasEarlier` is "the oldest loaded seq is above 1"', when: 'history' },
  { rule: 'W5', doc: 'frontend', file: `${CLIENT}/history.ts`, symbol: 'createHistoryView', what: '`load()`, `sync()` and `showEarlier()`: fresh load, tail sync and page older, `limit` capped at `maxLimit`', when: 'history' },
  { rule: 'W5', doc: 'frontend', file: 'client.ts', symbol: '{Prefix}History', what: 'one history view per endpoint of the contract', when: 'history' },
  { rule: 'C1', doc: 'frontend', file: `${CLIENT}/outbound.ts`, symbol: 'createOutbound', what: 'numbers every application frame (`header.cseq`, per session, from 1) when it is queued' },
  { rule: 'C3', doc: 'frontend', file: `${CLIENT}/outbound.ts`, symbol: 'createOutbound', what: 'keeps each frame until it is acknowledged; a new connection sends every unacknowledged one again, in order' },
  { rule: 'C3', doc: 'frontend', file: `${CLIENT}/outbound.ts`, symbol: 'ClientSendError', what: '`session_lost` (with `reason` and `maybeHandled`) rejects what a lost session never acknowledged' },
  { rule: 'C4', doc: 'frontend', file: `${CLIENT}/contract-client.ts`, symbol: 'ReplyOf', what: 'types `send.<message>()` of a message that declares a reply: it resolves to that reply\'s frame' },
  { rule: 'C4', doc: 'frontend', file: `${CLIENT}/outbound.ts`, symbol: 'createOutbound', what: 'resolves such a send when the data frame naming its `cseq` arrives, and rejects it on `handler_failed`' },
  { rule: 'C3', doc: 'frontend', file: `${CLIENT}/client-core.ts`, symbol: 'createClientCore', what: 'resolves `send()` on the acknowledgement; over HTTP one POST at a time, so frames arrive in order' },
  { rule: 'A1', doc: 'frontend', file: `${CLIENT}/contract-client.ts`, symbol: 'createContractClient', what: 'takes `auth` (headers, or a function asked before every connection attempt) and `withCredentials`, and sends them on every request' },
  { rule: 'A3', doc: 'frontend', file: `${CLIENT}/client-core.ts`, symbol: 'createClientCore', what: 'turns `unauthorized` / `forbidden` (a frame, HTTP 401/403, close 4401/4403) into an event and stops reconnecting until `connect()`' },
  { rule: 'A4', doc: 'frontend', file: `${CLIENT}/transport.ts`, symbol: 'tokenHeader', what: 'sends the resume token as `Resume-Token`, leaving `Authorization` to the application', when: 'http' },

  // ---- schema: the generated types, validators and constants
  { rule: 'S1', doc: 'schema', file: 'types.ts', symbol: '{field:protocol.hello.session_id}', what: 'the session id type: URL-safe text long enough for the id bits' },
  { rule: 'S1', doc: 'schema', file: 'types.ts', symbol: '{field:protocol.hello.resume_token}', what: 'the resume token type: URL-safe text long enough for the token bits' },
  { rule: 'S2', doc: 'schema', file: 'validators.ts', symbol: 'validateClientMessage', what: 'a client frame without `header.session_id` is invalid' },
  { rule: 'S3', doc: 'schema', file: 'types.ts', symbol: '{message:protocol.resume}', what: 'a resume carries both the id (header) and the token (payload)' },
  { rule: 'S4', doc: 'schema', file: 'contract.ts', symbol: 'contract', what: '`session.ttlMs`: how long a session outlives its transport' },
  { rule: 'S5', doc: 'schema', file: 'types.ts', symbol: '{header:@client}', what: 'the client header: `session_id` required, `ack` and `request_id` optional' },
  { rule: 'Q1', doc: 'schema', file: 'types.ts', symbol: '{header:@data}', what: 'the data header: `session_id` and `seq` required' },
  { rule: 'Q1', doc: 'schema', file: 'types.ts', symbol: '{header:@control}', what: 'the control header: no `seq`, `latest_seq` as information' },
  { rule: 'Q1', doc: 'schema', file: 'types.ts', symbol: 'ServerDataMessage', what: 'the union of the sequenced (data) server messages' },
  { rule: 'Q2', doc: 'schema', file: 'types.ts', symbol: '{headerField:@data.seq}', what: 'the seq type: an integer from 1' },
  { rule: 'Q3', doc: 'schema', file: 'validators.ts', symbol: 'validate{message:@data}', what: 'one validator per data message; the outbox runs it before it stamps a seq' },
  { rule: 'Q4', doc: 'schema', file: 'types.ts', symbol: '{message:protocol.heartbeat}', what: 'the heartbeat carries `latest_seq`' },
  { rule: 'Q5', doc: 'schema', file: 'types.ts', symbol: '{message:protocol.ack}', what: 'the acknowledgement frame' },
  { rule: 'R1', doc: 'schema', file: 'types.ts', symbol: '{message:protocol.resume}', what: 'the resume frame' },
  { rule: 'R2', doc: 'schema', file: 'types.ts', symbol: '{message:protocol.resumed}', what: 'the resume answer: `from_seq` and `latest_seq`' },
  { rule: 'R3', doc: 'schema', file: 'types.ts', symbol: '{message:protocol.resume_failed}', what: 'the refusal, with its reason and `earliest_seq`' },
  { rule: 'R4', doc: 'schema', file: 'types.ts', symbol: '{field:protocol.resume.last_seen_seq}', what: 'the cursor type: the last seq processed, 0 before the first' },
  { rule: 'H1', doc: 'schema', file: 'types.ts', symbol: '{message:protocol.hello}', what: 'the hello frame and every parameter it announces' },
  { rule: 'H1', doc: 'schema', file: 'validators.ts', symbol: 'validate{message:protocol.hello}', what: 'the runtime checks the hello it builds against the spec' },
  { rule: 'H2', doc: 'schema', file: 'types.ts', symbol: '{field:protocol.hello.protocol_version}', what: 'the protocol versions of the contract' },
  { rule: 'W1', doc: 'schema', file: 'types.ts', symbol: '{history:query}', what: 'the history query: `sinceSeq`, `beforeSeq`, `limit`, all optional', when: 'history' },
  { rule: 'W2', doc: 'schema', file: 'validators.ts', symbol: 'validate{history:query}', what: 'the bounds of each query parameter', when: 'history' },
  { rule: 'W3', doc: 'schema', file: 'types.ts', symbol: '{history:response}', what: 'the page: `chunks` ascending and the `latestSeq` tail cursor', when: 'history' },
  { rule: 'W4', doc: 'schema', file: 'types.ts', symbol: '{history:item}', what: 'a history item: `seq` from 1', when: 'history' },
  { rule: 'W5', doc: 'schema', file: 'contract.ts', symbol: 'contract', what: '`history`: the path and `maxLimit` of every history endpoint', when: 'history' },
  { rule: 'C1', doc: 'schema', file: 'types.ts', symbol: '{headerField:@client.cseq}', what: 'the cseq type: an integer from 1' },
  { rule: 'C2', doc: 'schema', file: 'types.ts', symbol: '{message:protocol.received}', what: 'the acknowledgement of client frames: `acked`' },
];
