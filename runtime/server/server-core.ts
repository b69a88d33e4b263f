/**
 * The transport-independent protocol engine: hello and version negotiation (H1, H2), resume
 * (R1–R3), inbound frames with typed errors (S2, S5), acknowledgements both ways (Q5, C2),
 * heartbeats and TTL sweeps (S4), on top of a session store (memory by default, Redis for several
 * processes). Transports turn sockets and requests into calls on this; nothing here knows about
 * WebSocket, SSE or HTTP polling. Its parts: frame-parser.ts (parsing), handshake.ts (hello and
 * refusals), session-binding.ts (a session bound to an attachment), handler-queue.ts (the
 * application's work, in order and bounded), inbound-delivery.ts (each cseq handed over once, C2),
 * ack-scheduler.ts (when its acknowledgement goes out), sweeper.ts (heartbeats and TTLs).
 */
import type { ContractDescriptor, ContractValidators, TransportKind } from '../contract.js';
import { errorFrame, KERNEL, negotiateVersion, RESUME_TOKEN_HEADER, resumedFrame, resumeFailedFrame, type ErrorCode, type Frame } from '../frames.js';
import { resolveLimits, type ContractLimits } from '../limits.js';
import { describeIssues } from '../validation.js';
import { createAckScheduler } from './ack-scheduler.js';
import type { Identity } from './auth.js';
import { byteLength, createFrameParser, ERROR_STATUS, refusal, type ClientFrame, type Parsed, type Refused } from './frame-parser.js';
import { createHandlerQueue } from './handler-queue.js';
import { createInboundDelivery, handAndWait, type Verdict, type VerdictListener } from './inbound-delivery.js';
import { createHello, overloaded, plausibleId, RESUME_MESSAGES, resumeRefused, unsupported, windowFailure, type FailedOpen } from './handshake.js';
import { createMemoryStore } from './memory-store.js';
import { createOutbox, type Outbox } from './outbox.js';
import { bindAttachment, continueAttachment, localSession, sendReplay, type LocalSession } from './session-binding.js';
import { createSessionLimiter, type Refusal } from './session-limiter.js';
import { ANONYMOUS, type ReplayAnswer, type SessionOwner, type SessionStore } from './store.js';
import { startSweeper } from './sweeper.js';

export { ERROR_STATUS, type ClientFrame } from './frame-parser.js';
export { overloaded, plausibleId } from './handshake.js';

/** Why an attachment is being closed by the server. */
export interface CloseReason {
  readonly code: 'superseded' | 'session_expired' | 'protocol_error' | 'slow_consumer' | 'server_closing';
  readonly message: string;
  /** A frame to deliver before closing, when the transport can. */
  readonly frame?: Frame;
}

/** One live transport connection bound to a session. Transports implement it. */
export interface Attachment {
  readonly kind: TransportKind;
  /** Delivers serialized frames in order; `seq` is set for data frames. */
  send(frame: string, seq?: number): void;
  /** Keepalive tick (every heartbeatMs while attached), with the newest seq and the highest cseq accepted (C2). */
  heartbeat(latestSeq: number, acked: number): void;
  close(reason: CloseReason): void;
  /** L2: the session's handlers caught up (its inbound bytes fell to half the limit): read again. */
  inboundDrained?(): void;
}

/** What this process knows of a session it serves. */
export interface Session {
  readonly id: string;
  readonly protocolVersion: string;
  /** The live attachment in this process, if any. */
  readonly attachment: Attachment | undefined;
  /** The newest seq this process has seen for the session. */
  readonly latestSeq: number;
  /** C2: the highest client cseq this process knows was accepted (handed to a handler). */
  readonly acked: number;
  /** Free for the application (process-local: with a shared store it does not travel). */
  readonly data: Map<string, unknown>;
  /** A2: the principal the session belongs to, as the last request that reached it here authenticated it (undefined when anonymous). */
  readonly principal: unknown;
}

export interface ServerHooks {
  /** An application message from the client, validated; called in arrival order per session. */
  onMessage(session: Session, frame: ClientFrame): void | Promise<void>;
  /** A new session sent its hello (data emitted here follows the hello). */
  onSessionStart?(session: Session): void | Promise<void>;
  /** A session resumed on a new attachment (after the replay). */
  onSessionResume?(session: Session, transport: TransportKind): void | Promise<void>;
  /** A session is gone: its TTL ran out or it was ended. */
  onSessionEnd?(session: Session, reason: 'expired' | 'ended'): void;
  /** A handler or hook threw (the client got `handler_failed`), or the store refused a frame. */
  onError?(error: unknown, where: { readonly sessionId?: string; readonly type?: string }): void;
}

export interface ServerCoreOptions {
  readonly contract: ContractDescriptor;
  /** The contract's validators (validators.ts): client frames, the kernel frames the runtime builds, data payloads. */
  readonly validators: ContractValidators;
  readonly hooks: ServerHooks;
  /** H1: the application's fields of a session's hello (`payload.app`); called for every hello. */
  readonly helloApp?: ((session: Session) => object | undefined) | undefined;
  /** Where sessions live (default: this process's memory). */
  readonly store?: SessionStore | undefined;
  /** L2: the server's overrides of the contract's limits. */
  readonly limits?: Partial<ContractLimits> | undefined;
  readonly now?: () => number;
}

export interface ResumeRequest {
  readonly sessionId: string;
  readonly token: string;
  readonly lastSeenSeq: number;
  readonly versions: readonly string[] | undefined;
  /** A2: who asks (the session must be theirs); L2: whom it is counted against if this process does not hold it yet. */
  readonly identity: Identity;
}

/** `attachmentId`: the attachment's id in the store (S4.10: a poll answer hands it to the client). */
export type OpenOutcome = { readonly ok: true; readonly session: Session; readonly attachmentId?: string } | FailedOpen;

/** S4.10: a poll that names the attachment it continues, on a process that may not hold it. */
export interface ContinueRequest {
  readonly sessionId: string;
  /** The version the store authenticated the session with. */
  readonly protocolVersion: string;
  readonly attachmentId: string;
  /** How long the attachment stays live after this poll, wherever the next one is served. */
  readonly leaseMs: number;
  readonly identity: Identity;
}

/**
 * Where an inbound frame came from: an attached connection, or an HTTP POST with a token —
 * with the session already authenticated when the request named it (L4), else the frames name it.
 */
export type InboundSource =
  | { readonly kind: 'attachment'; readonly session: Session; readonly attachment: Attachment }
  | { readonly kind: 'post'; readonly token: string | undefined; readonly identity: Identity; readonly session?: Session };

/** What this process holds now, for operators and tests (L2). */
export interface ServerStats {
  readonly sessions: number;
  readonly attached: number;
  /** Distinct client keys holding sessions. */
  readonly clients: number;
  /** Bytes of client frames queued for handlers, over every session. */
  readonly inboundBytes: number;
}

/** C2: a POSTed frame queued for its turn; resolves to its refusal (a gap) or undefined once the store decided it. */
interface Pending {
  readonly pending: Promise<Frame | undefined>;
}

export interface InboundOutcome {
  /** Frames accepted (validated and queued for the application, or acknowledged again as duplicates, C2). */
  readonly accepted: number;
  /** C2: the highest cseq of the session accepted, when the frames named a session. */
  readonly acked?: number;
  /** Typed errors to answer on the same channel. */
  readonly errors: readonly Frame[];
  /** HTTP status that fits the first error (POST). */
  readonly status: number;
}

export interface ServerCore {
  readonly contract: ContractDescriptor;
  /** L2: the effective limits (server options over the contract's). */
  readonly limits: ContractLimits;
  readonly store: SessionStore;
  /** Q3: the one send path for data messages. */
  readonly outbox: Outbox;
  /** H1/H2: a new session of `identity` (A2) on a fresh attachment, if the limits admit one for it (L2); the hello is sent before this resolves. */
  open(attachment: Attachment, versions: readonly string[] | undefined, identity: Identity): Promise<OpenOutcome>;
  /** R1–R3: resume on a (new) attachment; hello, resumed and the replay are sent on success. */
  resume(attachment: Attachment, request: ResumeRequest): Promise<OpenOutcome>;
  /**
   * S4.10: a poll continues the session's live attachment on this process (the token already
   * checked): bound here without a claim, no hello, nothing superseded. Undefined when that
   * attachment is not the live one any more, or the store is not shared: the poll is a resume.
   */
  proceed(attachment: Attachment, request: ContinueRequest): Promise<OpenOutcome | undefined>;
  /** S4.10: a poll of the attachment this process holds, on a shared store: it stays live `leaseMs` from now wherever served. */
  renew(session: Session, leaseMs: number): void;
  /** Parses and validates one client frame (S2/S5 typed errors). */
  parse(text: string): Parsed;
  /** S3/A2/L4: the session a POST names in its query, checked (token and owner) before its body is read. */
  authenticate(sessionId: string, token: string | undefined, identity: Identity): Promise<OpenOutcome>;
  /** Handles inbound text (one frame, or a JSON array of frames for POST). */
  receive(text: string, source: InboundSource): Promise<InboundOutcome>;
  /** L2: bytes of client frames of this session queued for, or running in, its handlers. */
  inboundBytes(session: Session): number;
  stats(): ServerStats;
  /** The attachment went away; the TTL starts. */
  detach(session: Session, attachment: Attachment): void;
  /** Ends a session now: closes its attachment, forgets it (a resume gets session_expired), runs onSessionEnd. */
  end(sessionId: string): Promise<boolean>;
  /** A session this process serves, by id. */
  local(sessionId: string): Session | undefined;
  /** Sessions this process serves. */
  sessions(): IterableIterator<Session>;
  /** Serializes and sends a control frame on one attachment. */
  sendControl(attachment: Attachment, frame: Frame): void;
  /** Heartbeats and TTL sweep; call once. */
  start(): void;
  /** Stops timers and closes every attachment. */
  close(): void;
}

/** A2: what the store keeps of who a session belongs to. */
function ownerOf(identity: Identity): SessionOwner {
  return identity.owner === '' ? ANONYMOUS : { key: identity.owner, principal: JSON.stringify(identity.principal) ?? '' };
}

export function createServerCore(options: ServerCoreOptions): ServerCore {
  const { contract, hooks } = options;
  const now = options.now ?? Date.now;
  const store =
    options.store ??
    createMemoryStore({ ttlMs: contract.session.ttlMs, idBits: contract.session.idBits, tokenBits: contract.session.tokenBits, replayWindow: contract.replayWindow, now });
  const reportError = (error: unknown, where: { sessionId?: string; type?: string }): void => {
    try {
      hooks.onError?.(error, where);
    } catch {
      // An error hook that throws must not break the caller (a queue, a timer, a socket handler).
    }
  };
  const outbox = createOutbox({ store, maxFrameBytes: contract.maxFrameBytes, validators: options.validators.payloads, onStoreError: reportError });
  const limits = resolveLimits(contract, contract.limits, options.limits);
  const parser = createFrameParser({ contract, validateClient: options.validators.client, maxFramesPerPost: limits.maxFramesPerPost });
  const limiter = createSessionLimiter(limits, now);
  const locals = new Map<string, LocalSession>();
  const hello = createHello<Session>(contract, options.helloApp);
  let stopSweeper: (() => void) | undefined;

  const encode = (frame: Frame): string => {
    const result = options.validators.server.of(frame.type)?.(frame);
    // A kernel frame the spec does not accept is a contract/runtime mismatch: fail loudly.
    if (result && !result.ok) throw new Error(`contractgen runtime: the spec rejects the ${frame.type} the runtime builds (${describeIssues(result)}); regenerate from a spec that passes \`contractgen lint\``);
    return JSON.stringify(frame);
  };
  const sendControl = (attachment: Attachment, frame: Frame): void => attachment.send(encode(frame));
  // Application messages of one session run one after another, in arrival order (L2: bounded).
  const queue = createHandlerQueue({ maxInboundBytes: limits.maxInboundBytes, reportError, sendControl });

  /**
   * The session as this process holds it. A session new to this process is counted against
   * `clientKey` first (L2): `fresh` ones (a hello) also spend the per-second budget; a resume of
   * one held elsewhere (a shared store) does not, but still needs room.
   */
  const localOf = (id: string, protocolVersion: string, identity: Identity, fresh = false): LocalSession | Refusal => {
    const existing = locals.get(id);
    if (existing) {
      existing.principal = identity.principal; // the same owner (the store checked): its newest principal
      return existing;
    }
    const refusal = limiter.admit(identity.clientKey, fresh);
    if (refusal) return refusal;
    const local = localSession(id, protocolVersion, identity, now());
    locals.set(id, local);
    return local;
  };
  /** The process lets go of a session (it ended, expired, or lives on in another process). */
  const forget = (local: LocalSession): void => {
    if (locals.get(local.id) !== local) return;
    locals.delete(local.id);
    limiter.release(local.clientKey);
  };
  const isRefusal = (x: LocalSession | Refusal): x is Refusal => !('id' in x);

  // C2: each cseq handed to its handler once, in order, decided by the store at its turn.
  const delivery = createInboundDelivery({ store, queue, handle: (session, frame) => hooks.onMessage(session, frame) });
  // C2 over a connection: when protocol.received goes out (ack-scheduler.ts).
  const acks = createAckScheduler({ sendControl });
  /** C2: what an attached client hears about one of its frames once the store decided it. */
  const answerVerdict = (session: LocalSession, attachment: Attachment, frame: ClientFrame, kind: Verdict['kind'], acked: number): void => {
    if (kind === 'unnumbered') return;
    if (kind === 'gap') {
      if (session.attachment === attachment) sendControl(attachment, gapError(session, frame, acked));
      return;
    }
    acks.accepted(session, attachment);
  };
  /** C2: the verdicts of an attachment's frames, one listener per attachment. */
  const verdictListeners = new WeakMap<Attachment, VerdictListener>();
  const verdictsTo = (attachment: Attachment): VerdictListener => {
    let listener = verdictListeners.get(attachment);
    if (!listener) {
      listener = {
        decided: (session, frame, kind, acked) => answerVerdict(session, attachment, frame, kind, acked),
        failed(session, frame, error) {
          // The store could not decide: nothing was handed or acknowledged; the client resumes and sends it again.
          reportError(error, { sessionId: session.id, type: frame.type });
          attachment.close({ code: 'server_closing', message: 'the session store could not record a frame; resume and send it again' });
        },
      };
      verdictListeners.set(attachment, listener);
    }
    return listener;
  };
  const flushAckOf = acks.beforeData;
  const gapError = (session: Session, frame: ClientFrame, acked: number): Frame =>
    errorFrame('cseq_gap', `cseq ${frame.header.cseq} is not the next one: the server has accepted up to ${acked}; send again from ${acked + 1}, in order`, {
      sessionId: session.id,
      path: '/header/cseq',
      cseq: frame.header.cseq!,
      ...(frame.header.request_id !== undefined ? { requestId: frame.header.request_id } : {}),
    });

  const release = (session: Session, seq: number): void => {
    store.release(session.id, seq).catch((error: unknown) => reportError(error, { sessionId: session.id, type: KERNEL.ack }));
  };

  const handleFrame = async (frame: ClientFrame, session: LocalSession, attachment: Attachment | undefined, bytes: number): Promise<Frame | Pending | undefined> => {
    const requestId = frame.header.request_id;
    if (frame.header.ack !== undefined) release(session, frame.header.ack);
    switch (frame.type) {
      case KERNEL.ack:
        release(session, frame.payload.last_seen_seq as number);
        return undefined;
      case KERNEL.resume: {
        // Over an attached connection the client may ask to replay its own session again.
        if (!attachment) return errorFrame('invalid_message', 'protocol.resume is sent on connect: a WebSocket frame, or query parameters on SSE and poll', { ...(requestId ? { requestId } : {}), path: '/type' });
        const auth = await store.authenticate(frame.header.session_id, frame.payload.resume_token as string, session.owner);
        if (!auth.ok || frame.header.session_id !== session.id) return resumeFailedFrame('unknown_session', RESUME_MESSAGES.unknown_session);
        const lastSeen = frame.payload.last_seen_seq as number;
        const answer = await store.replay(session.id, lastSeen);
        if (!answer.ok) return windowFailure(answer, lastSeen).frame;
        if (answer.acked > session.acked) session.acked = answer.acked;
        sendControl(attachment, resumedFrame(session.id, answer.fromSeq, answer.latestSeq, answer.acked));
        sendReplay(attachment, answer);
        return undefined;
      }
      default: {
        if (attachment) {
          // A connection hears the verdict as soon as the store decided, ahead of what the handler sends, and goes on reading meanwhile.
          delivery.hand(session, frame, bytes, verdictsTo(attachment));
          return undefined;
        }
        // A POST is answered with what became of its frames (C2: acked in the answer), once every frame of it was decided.
        return { pending: handAndWait(delivery, session, frame, bytes).then((v) => (v.kind === 'gap' ? gapError(session, frame, v.acked) : undefined)) };
      }
    }
  };

  /** One validated frame for a session this process holds: S2 (it names that session), L2 (room in its inbound queue), then its handling. */
  const accept = async (frame: ClientFrame, bytes: number, session: LocalSession, attachment: Attachment | undefined): Promise<Refused | Pending | undefined> => {
    const requestId = frame.header.request_id;
    if (frame.header.session_id !== session.id) {
      return refusal('unknown_session', attachment ? `header.session_id does not name this connection's session` : 'header.session_id does not name the session this request authenticated', { path: '/header/session_id', requestId });
    }
    // A connection stops being read when its session is this far behind (the transport pauses
    // it); a POST cannot be paused, so it is refused and the client sends it again later.
    if (!attachment && session.inbound + bytes > limits.maxInboundBytes) {
      return refusal('overloaded', `the session's handlers are ${session.inbound} bytes behind (limit ${limits.maxInboundBytes}); send this frame again later`, { requestId });
    }
    const error = await handleFrame(frame, session, attachment, bytes);
    if (error === undefined || 'pending' in error) return error;
    return refusedBy(error);
  };
  const refusedBy = (error: Frame): Refused => ({ ok: false, frame: error, status: ERROR_STATUS[error.payload.code as ErrorCode] ?? 400 });

  const NO_TOKEN = { ok: false, status: 401, frame: errorFrame('unknown_session', `a POSTed frame needs its session's token: send ${RESUME_TOKEN_HEADER}: <resume_token>`) } as const;

  /** S3/A2/L4: a POST's session, from its id, the token and who asks, before any of its frames is looked at. */
  const authenticate: ServerCore['authenticate'] = async (sessionId, token, identity) => {
    if (token === undefined) return NO_TOKEN;
    const auth = plausibleId(sessionId) && plausibleId(token) ? await store.authenticate(sessionId, token, identity.owner) : ({ ok: false, reason: 'unknown_session' } as const);
    if (!auth.ok) return refusal(auth.reason, RESUME_MESSAGES[auth.reason], { path: '/header/session_id' });
    const local = localOf(sessionId, auth.protocolVersion, identity);
    if (isRefusal(local)) return overloaded(local);
    if (local.attachment === undefined) local.idleSince = now(); // used here, so not stale
    return { ok: true, session: local };
  };

  const receivePost = async (text: string, source: Extract<InboundSource, { kind: 'post' }>): Promise<InboundOutcome> => {
    // L4: no token, no work — not even parsing.
    if (source.token === undefined) return outcomeOf(0, [NO_TOKEN]);
    const batch = parser.batch(text);
    if ('refusal' in batch) return outcomeOf(0, [batch.refusal]);
    // The session a POST's query named was authenticated before its body was read (L4).
    let session = source.session as LocalSession | undefined;
    let accepted = 0;
    const failures: Refused[] = [];
    const pending: Promise<Frame | undefined>[] = [];
    let index = 0;
    for (; index < batch.items.length && failures.length < limits.maxErrorFrames; index++) {
      const item = batch.items[index]!;
      if (!item.ok) {
        failures.push(item);
        continue;
      }
      if (!session) {
        // L4: the session the first frame names is authenticated once; a refusal answers for
        // the whole batch with one frame, however many frames it carries.
        const auth = await authenticate(item.frame.header.session_id, source.token, source.identity);
        if (!auth.ok) {
          const requestId = item.frame.header.request_id;
          return outcomeOf(accepted, [...failures, { ...auth, frame: requestId ? { ...auth.frame, payload: { ...auth.frame.payload, request_id: requestId } } : auth.frame }]);
        }
        session = auth.session as LocalSession;
      }
      const refused = await accept(item.frame, item.bytes, session, undefined);
      if (refused === undefined) accepted++;
      else if ('pending' in refused) pending.push(refused.pending);
      else failures.push(refused);
    }
    // C2: the answer waits until the store decided every frame it queued (not for their handlers).
    for (const error of await Promise.all(pending)) {
      if (error) failures.push(refusedBy(error));
      else accepted++;
    }
    const left = batch.items.length - index;
    if (left > 0) failures.push(refusal('overloaded', `${left} more frames of this batch were not handled after ${failures.length} were refused; correct them and send the rest again`));
    return outcomeOf(accepted, failures, session?.acked);
  };

  /** The answer to inbound frames: the status of the first refusal, or 202. */
  const outcomeOf = (accepted: number, failures: readonly Refused[], acked?: number): InboundOutcome => ({ accepted, ...(acked !== undefined ? { acked } : {}), errors: failures.map((f) => f.frame), status: failures[0]?.status ?? 202 });

  const core: ServerCore = {
    contract,
    limits,
    store,
    outbox,
    sendControl,
    parse: parser.parse,
    authenticate,
    local: (id) => locals.get(id),
    sessions: () => locals.values(),
    inboundBytes: (session) => (session as LocalSession).inbound ?? 0,
    stats: () => {
      let attached = 0;
      for (const s of locals.values()) if (s.attachment) attached++;
      return { sessions: locals.size, attached, clients: limiter.clients, inboundBytes: queue.inboundBytes };
    },
    async open(attachment, versions, identity) {
      const version = negotiateVersion(versions, contract.protocolVersions);
      if (!version) return unsupported(contract, versions);
      // L2: room for one more session here, for this client, this second — before the store is asked.
      const refusal = limiter.admit(identity.clientKey, true);
      if (refusal) return overloaded(refusal);
      let created: { id: string; token: string };
      try {
        created = await store.create(version, ownerOf(identity));
      } catch (error) {
        limiter.release(identity.clientKey);
        throw error;
      }
      const session = localSession(created.id, version, identity, now());
      locals.set(session.id, session);
      const bound = await bindAttachment(store, session, attachment, reportError, (frame) => flushAckOf(session, frame));
      sendControl(attachment, hello(session, created.token));
      bound.release(0);
      if (hooks.onSessionStart) queue.run(session, 'session start', () => hooks.onSessionStart!(session));
      return { ok: true, session, attachmentId: bound.attachmentId };
    },
    async resume(attachment, request) {
      const version = negotiateVersion(request.versions, contract.protocolVersions);
      if (!version) return unsupported(contract, request.versions);
      if (!plausibleId(request.sessionId) || !plausibleId(request.token)) return resumeRefused('unknown_session');
      const auth = await store.authenticate(request.sessionId, request.token, request.identity.owner);
      if (!auth.ok) return resumeRefused(auth.reason);
      // Check the window before taking the session over: a refused resume leaves it as it was.
      const check = await store.replay(request.sessionId, request.lastSeenSeq);
      if (!check.ok) return windowFailure(check, request.lastSeenSeq);
      const local = localOf(request.sessionId, version, request.identity);
      if (isRefusal(local)) return overloaded(local);
      const session = local;
      session.protocolVersion = version;
      const bound = await bindAttachment(store, session, attachment, reportError, (frame) => flushAckOf(session, frame));
      // Read again now that new frames reach this attachment: nothing falls between the two.
      let answer: ReplayAnswer;
      try {
        answer = await store.replay(session.id, request.lastSeenSeq);
      } catch (error) {
        core.detach(session, attachment); // the store failed between bind and replay: let go of the session
        throw error;
      }
      if (!answer.ok) {
        core.detach(session, attachment);
        return windowFailure(answer, request.lastSeenSeq);
      }
      if (answer.latestSeq > session.latestSeq) session.latestSeq = answer.latestSeq;
      if (answer.acked > session.acked) session.acked = answer.acked;
      sendControl(attachment, hello(session, request.token));
      sendControl(attachment, resumedFrame(session.id, answer.fromSeq, answer.latestSeq, answer.acked));
      sendReplay(attachment, answer);
      bound.release(answer.latestSeq);
      release(session, request.lastSeenSeq); // the client has processed these (R4)
      if (hooks.onSessionResume) queue.run(session, 'session resume', () => hooks.onSessionResume!(session, attachment.kind));
      return { ok: true, session, attachmentId: bound.attachmentId };
    },
    async proceed(attachment, request) {
      if (!store.proceed) return undefined;
      const local = localOf(request.sessionId, request.protocolVersion, request.identity);
      if (isRefusal(local)) return overloaded(local);
      const bound = await continueAttachment(store, local, attachment, request, reportError, (frame) => flushAckOf(local, frame));
      if (!bound) return undefined;
      bound.release(local.latestSeq); // a poll reads data from the window by cursor: only what comes after wakes it
      return { ok: true, session: local, attachmentId: bound.attachmentId };
    },
    renew(session, leaseMs) {
      const local = locals.get(session.id);
      if (!store.renew || !local?.subscription) return;
      store.renew(local.subscription, leaseMs).catch((error: unknown) => reportError(error, { sessionId: session.id, type: 'poll' }));
    },
    async receive(text, source) {
      if (source.kind === 'post') return receivePost(text, source);
      const parsed = parser.parse(text);
      if (!parsed.ok) return outcomeOf(0, [parsed]);
      const refused = await accept(parsed.frame, byteLength(text), source.session as LocalSession, source.attachment);
      return refused && !('pending' in refused) ? outcomeOf(0, [refused]) : outcomeOf(1, []);
    },
    detach(session, attachment) {
      const local = locals.get(session.id);
      if (!local || local.attachment !== attachment) return;
      const subscription = local.subscription;
      local.attachment = undefined;
      local.subscription = undefined;
      local.idleSince = now();
      if (subscription) store.detach(subscription).catch((error: unknown) => reportError(error, { sessionId: session.id, type: 'detach' }));
    },
    async end(sessionId) {
      const local = locals.get(sessionId);
      await store.end(sessionId);
      if (!local) return false;
      forget(local);
      try {
        hooks.onSessionEnd?.(local, 'ended');
      } catch (error) {
        reportError(error, { sessionId, type: 'session end' });
      }
      return true;
    },
    start() {
      stopSweeper ??= startSweeper({
        contract,
        store,
        locals,
        now,
        forget,
        expired(id, local) {
          try {
            hooks.onSessionEnd?.(local ?? { id, protocolVersion: '', attachment: undefined, latestSeq: 0, acked: 0, data: new Map(), principal: undefined }, 'expired');
          } catch (error) {
            reportError(error, { sessionId: id, type: 'session end' }); // never crash the timer
          }
        },
        reportError,
      });
    },
    close() {
      stopSweeper?.();
      stopSweeper = undefined;
      for (const s of [...locals.values()]) s.attachment?.close({ code: 'server_closing', message: 'the server is shutting down; resume later' });
    },
  };
  return core;
}
