/**
 * The transport-independent protocol engine: hello and version negotiation (H1, H2), resume
 * (R1–R3), inbound frames with typed errors (S2, S5), acknowledgements (Q5), heartbeats and TTL
 * sweeps (S4), on top of a session store (memory by default, Redis for several processes).
 * Transports turn sockets and requests into calls on this; nothing here knows about WebSocket,
 * SSE or HTTP polling.
 */
import type { ContractDescriptor, TransportKind } from '../contract.js';
import { errorFrame, helloFrame, KERNEL, negotiateVersion, resumeFailedFrame, resumedFrame, type ErrorCode, type Frame } from '../frames.js';
import { describeIssues, type Validator } from '../validation.js';
import { createMemoryStore } from './memory-store.js';
import { createOutbox, type Outbox } from './outbox.js';
import type { ReplayAnswer, SessionListener, SessionStore, Subscription } from './store.js';

/** A client frame after parsing and validation. */
export interface ClientFrame {
  readonly type: string;
  readonly header: { readonly session_id: string; readonly ack?: number; readonly request_id?: string };
  readonly payload: Readonly<Record<string, unknown>>;
}

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
  /** Keepalive tick (every heartbeatMs while attached). */
  heartbeat(latestSeq: number): void;
  close(reason: CloseReason): void;
}

/** What this process knows of a session it serves. */
export interface Session {
  readonly id: string;
  readonly protocolVersion: string;
  /** The live attachment in this process, if any. */
  readonly attachment: Attachment | undefined;
  /** The newest seq this process has seen for the session. */
  readonly latestSeq: number;
  /** Free for the application (process-local: with a shared store it does not travel). */
  readonly data: Map<string, unknown>;
}

interface LocalSession extends Session {
  protocolVersion: string;
  attachment: Attachment | undefined;
  subscription: Subscription | undefined;
  latestSeq: number;
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
  /** The client-to-server dispatcher (validators.ts). */
  readonly validateClient: Validator<ClientFrame>;
  /** Server-to-client validators by type, for the kernel frames the runtime builds. */
  readonly serverValidators: Readonly<Record<string, Validator<unknown>>>;
  /** Payload validators of the data messages, by type (the outbox builds the envelope itself). */
  readonly payloadValidators: Readonly<Record<string, Validator<unknown>>>;
  readonly hooks: ServerHooks;
  /** H1: the application's fields of a session's hello (`payload.app`); called for every hello. */
  readonly helloApp?: ((session: Session) => object | undefined) | undefined;
  /** Where sessions live (default: this process's memory). */
  readonly store?: SessionStore | undefined;
  readonly now?: () => number;
}

export interface ResumeRequest {
  readonly sessionId: string;
  readonly token: string;
  readonly lastSeenSeq: number;
  readonly versions: readonly string[] | undefined;
}

export type OpenOutcome = { readonly ok: true; readonly session: Session } | { readonly ok: false; readonly status: number; readonly frame: Frame };

/** Where an inbound frame came from: an attached connection, or an HTTP POST with a token. */
export type InboundSource = { readonly kind: 'attachment'; readonly session: Session; readonly attachment: Attachment } | { readonly kind: 'post'; readonly token: string | undefined };

export interface InboundOutcome {
  /** Frames accepted (validated and queued for the application). */
  readonly accepted: number;
  /** Typed errors to answer on the same channel. */
  readonly errors: readonly Frame[];
  /** HTTP status that fits the first error (POST). */
  readonly status: number;
}

export interface ServerCore {
  readonly contract: ContractDescriptor;
  readonly store: SessionStore;
  /** Q3: the one send path for data messages. */
  readonly outbox: Outbox;
  /** H1/H2: a new session on a fresh attachment; the hello is sent before this resolves. */
  open(attachment: Attachment, versions: readonly string[] | undefined): Promise<OpenOutcome>;
  /** R1–R3: resume on a (new) attachment; hello, resumed and the replay are sent on success. */
  resume(attachment: Attachment, request: ResumeRequest): Promise<OpenOutcome>;
  /** Parses and validates one client frame (S2/S5 typed errors). */
  parse(text: string): { readonly ok: true; readonly frame: ClientFrame } | { readonly ok: false; readonly frame: Frame; readonly status: number };
  /** Handles inbound text (one frame, or a JSON array of frames for POST). */
  receive(text: string, source: InboundSource): Promise<InboundOutcome>;
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

/** HTTP status per error code, for transports that answer over HTTP. */
export const ERROR_STATUS: Readonly<Record<ErrorCode | 'window_exceeded' | 'invalid_cursor', number>> = {
  malformed_frame: 400,
  unknown_type: 400,
  invalid_message: 400,
  frame_too_large: 413,
  session_required: 400,
  unknown_session: 404,
  session_expired: 410,
  unsupported_version: 400,
  superseded: 409,
  handler_failed: 500,
  window_exceeded: 410,
  invalid_cursor: 400,
};

const RESUME_MESSAGES = {
  unknown_session: 'no session matches this session_id and resume_token; start a new session',
  session_expired: 'the session expired after its grace period; start a new session and re-sync from history',
} as const;

/** UTF-8 length: Buffer.byteLength is native and far faster than a loop (the server has Buffer). */
const byteLength = (text: string): number => Buffer.byteLength(text, 'utf8');

export function createServerCore(options: ServerCoreOptions): ServerCore {
  const { contract, hooks } = options;
  const now = options.now ?? Date.now;
  const transports = (['websocket', 'sse', 'poll'] as const).filter((k) => contract.transports[k]);
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
  const outbox = createOutbox({ store, maxFrameBytes: contract.maxFrameBytes, validators: options.payloadValidators, onStoreError: reportError });
  const locals = new Map<string, LocalSession>();
  // Application messages of one session run one after another, in arrival order.
  const queues = new WeakMap<Session, Promise<void>>();
  let timer: ReturnType<typeof setInterval> | undefined;

  const encode = (frame: Frame): string => {
    const result = options.serverValidators[frame.type]?.(frame);
    // A kernel frame the spec does not accept is a contract/runtime mismatch: fail loudly.
    if (result && !result.ok) throw new Error(`contractgen runtime: the spec rejects the ${frame.type} the runtime builds (${describeIssues(result)}); regenerate from a spec that passes \`contractgen lint\``);
    return JSON.stringify(frame);
  };
  const sendControl = (attachment: Attachment, frame: Frame): void => attachment.send(encode(frame));

  const localOf = (id: string, protocolVersion: string): LocalSession => {
    let local = locals.get(id);
    if (!local) {
      local = { id, protocolVersion, attachment: undefined, subscription: undefined, latestSeq: 0, data: new Map() };
      locals.set(id, local);
    }
    return local;
  };

  const fail = (reason: 'unknown_session' | 'session_expired'): OpenOutcome => ({ ok: false, status: ERROR_STATUS[reason], frame: resumeFailedFrame(reason, RESUME_MESSAGES[reason]) });

  /** R3: never a silent partial replay — the refusal says where the window starts. */
  const windowFailure = (answer: Extract<ReplayAnswer, { ok: false }>, lastSeenSeq: number): Extract<OpenOutcome, { ok: false }> => ({
    ok: false,
    status: ERROR_STATUS[answer.reason],
    frame: resumeFailedFrame(
      answer.reason,
      answer.reason === 'window_exceeded'
        ? `last_seen_seq ${lastSeenSeq} is older than the replay window, which starts at seq ${answer.earliestSeq}; re-sync from history`
        : `last_seen_seq ${lastSeenSeq} is ahead of the newest seq ${answer.latestSeq}`,
      { earliestSeq: answer.earliestSeq, latestSeq: answer.latestSeq },
    ),
  });

  const unsupported = (versions: readonly string[] | undefined): OpenOutcome => ({
    ok: false,
    status: ERROR_STATUS.unsupported_version,
    frame: errorFrame('unsupported_version', `no common protocol version: the client offered ${versions?.join(', ') || 'none'}, the server speaks ${contract.protocolVersions.join(', ')}`, {
      supportedVersions: contract.protocolVersions,
    }),
  });

  const hello = (session: LocalSession, token: string): Frame =>
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
      app: options.helloApp?.(session),
    });

  const runHook = (session: Session, type: string, fn: () => void | Promise<void>): void => {
    const previous = queues.get(session) ?? Promise.resolve();
    const next = previous.then(fn).catch((error: unknown) => {
      reportError(error, { sessionId: session.id, type });
      const a = session.attachment;
      if (a) sendControl(a, errorFrame('handler_failed', `the server failed to handle ${type}; the session is intact`, { sessionId: session.id }));
    });
    queues.set(session, next);
  };

  /**
   * S4: binds `attachment` to the session through the store (superseding any other one). Frames
   * the store delivers are held back until `release` — after the hello, resumed and replay have
   * been sent — so nothing overtakes them and nothing is sent twice.
   */
  const bind = async (session: LocalSession, attachment: Attachment): Promise<{ release(afterSeq: number): void }> => {
    let held: { frame: string; seq: number }[] | undefined = [];
    let sentUpTo = Infinity;
    const listener: SessionListener = {
      frame(frame, seq) {
        if (seq > session.latestSeq) session.latestSeq = seq;
        if (session.attachment !== attachment) return;
        if (held) held.push({ frame, seq });
        else if (seq > sentUpTo) {
          sentUpTo = seq;
          attachment.send(frame, seq);
        }
      },
      superseded() {
        if (session.attachment === attachment) {
          session.attachment = undefined;
          session.subscription = undefined;
        }
        attachment.close({ code: 'superseded', message: 'another connection took over this session' });
      },
      ended() {
        if (session.attachment === attachment) session.attachment = undefined;
        attachment.close({ code: 'session_expired', message: 'the session was ended by the server' });
      },
    };
    session.attachment = attachment;
    let subscription: Subscription;
    try {
      subscription = await store.attach(session.id, session.protocolVersion, listener);
    } catch (error) {
      // The store refused (e.g. Redis is down): the session is not bound here.
      if (session.attachment === attachment) session.attachment = undefined;
      throw error;
    }
    if (session.attachment === attachment) session.subscription = subscription;
    else {
      // The connection went away (or was superseded) while the store answered: let go of the
      // binding, or the store would hold the session attached and it would never expire.
      store.detach(subscription).catch((error: unknown) => reportError(error, { sessionId: session.id, type: 'detach' }));
    }
    return {
      release(afterSeq) {
        sentUpTo = afterSeq;
        const pending = held ?? [];
        held = undefined;
        for (const p of pending) listener.frame(p.frame, p.seq);
      },
    };
  };

  /** R2: hello/resumed already sent; the replay, then whatever arrived meanwhile. */
  const sendReplay = (attachment: Attachment, answer: Extract<ReplayAnswer, { ok: true }>): void => {
    for (const f of answer.frames) attachment.send(f.frame, f.seq);
  };

  const parse: ServerCore['parse'] = (text) => {
    const reject = (code: ErrorCode, message: string, extra: { path?: string; requestId?: string } = {}) => ({ ok: false, status: ERROR_STATUS[code], frame: errorFrame(code, message, extra) }) as const;
    const bytes = byteLength(text);
    if (bytes > contract.maxFrameBytes) return reject('frame_too_large', `a frame of ${bytes} bytes exceeds the limit of ${contract.maxFrameBytes}`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return reject('malformed_frame', `the frame is not valid JSON (${(err as Error).message})`);
    }
    const header = typeof value === 'object' && value !== null ? (value as { header?: unknown }).header : undefined;
    const requestId = typeof header === 'object' && header !== null && typeof (header as { request_id?: unknown }).request_id === 'string' ? (header as { request_id: string }).request_id : undefined;
    const result = options.validateClient(value);
    if (result.ok) return { ok: true, frame: result.value };
    const first = result.issues[0]!;
    const extra = { path: first.path, ...(requestId ? { requestId } : {}) };
    if (first.keyword === 'unknown-type') return reject('unknown_type', first.message, extra);
    if (first.keyword === 'not-a-message') return reject('malformed_frame', `${first.path || '/'} ${first.message}`, extra);
    if (first.path === '/header/session_id' && first.keyword === 'required') return reject('session_required', `${result.type ?? 'the frame'} has no header.session_id; every client frame names its session (S5)`, extra);
    if (first.path === '/header' && first.keyword === 'required') return reject('session_required', `${result.type ?? 'the frame'} has no header; every client frame carries header.session_id (S5)`, extra);
    return reject('invalid_message', describeIssues(result), extra);
  };

  const release = (session: Session, seq: number): void => {
    store.release(session.id, seq).catch((error: unknown) => reportError(error, { sessionId: session.id, type: KERNEL.ack }));
  };

  const handleFrame = async (frame: ClientFrame, session: LocalSession, attachment: Attachment | undefined): Promise<Frame | undefined> => {
    const requestId = frame.header.request_id;
    if (frame.header.ack !== undefined) release(session, frame.header.ack);
    switch (frame.type) {
      case KERNEL.ack:
        release(session, frame.payload.last_seen_seq as number);
        return undefined;
      case KERNEL.resume: {
        // Over an attached connection the client may ask to replay its own session again.
        if (!attachment) return errorFrame('invalid_message', 'protocol.resume is sent on connect: a WebSocket frame, or query parameters on SSE and poll', { ...(requestId ? { requestId } : {}), path: '/type' });
        const auth = await store.authenticate(frame.header.session_id, frame.payload.resume_token as string);
        if (!auth.ok || frame.header.session_id !== session.id) return resumeFailedFrame('unknown_session', RESUME_MESSAGES.unknown_session);
        const lastSeen = frame.payload.last_seen_seq as number;
        const answer = await store.replay(session.id, lastSeen);
        if (!answer.ok) return windowFailure(answer, lastSeen).frame;
        sendControl(attachment, resumedFrame(session.id, answer.fromSeq, answer.latestSeq));
        sendReplay(attachment, answer);
        return undefined;
      }
      default:
        runHook(session, frame.type, () => hooks.onMessage(session, frame));
        return undefined;
    }
  };

  const receiveOne = async (value: string, source: InboundSource): Promise<{ accepted: boolean; error?: Frame; status?: number }> => {
    const parsed = parse(value);
    if (!parsed.ok) return { accepted: false, error: parsed.frame, status: parsed.status };
    const frame = parsed.frame;
    const requestId = frame.header.request_id ? { requestId: frame.header.request_id } : {};
    let session: LocalSession;
    if (source.kind === 'attachment') {
      // S2: a frame names its session; on a connection it must be the connection's session.
      if (frame.header.session_id !== source.session.id) {
        return { accepted: false, error: errorFrame('unknown_session', `header.session_id does not name this connection's session`, { ...requestId, path: '/header/session_id' }), status: 404 };
      }
      session = source.session as LocalSession;
    } else {
      if (source.token === undefined) {
        return { accepted: false, error: errorFrame('unknown_session', 'a POSTed frame needs the session token: send Authorization: Bearer <resume_token>', requestId), status: 401 };
      }
      const auth = await store.authenticate(frame.header.session_id, source.token);
      if (!auth.ok) return { accepted: false, error: errorFrame(auth.reason, auth.reason === 'session_expired' ? RESUME_MESSAGES.session_expired : RESUME_MESSAGES.unknown_session, { ...requestId, path: '/header/session_id' }), status: ERROR_STATUS[auth.reason] };
      session = localOf(frame.header.session_id, auth.protocolVersion);
    }
    const error = await handleFrame(frame, session, source.kind === 'attachment' ? source.attachment : undefined);
    return error ? { accepted: false, error, status: 400 } : { accepted: true };
  };

  const core: ServerCore = {
    contract,
    store,
    outbox,
    sendControl,
    parse,
    local: (id) => locals.get(id),
    sessions: () => locals.values(),
    async open(attachment, versions) {
      const version = negotiateVersion(versions, contract.protocolVersions);
      if (!version) return unsupported(versions);
      const { id, token } = await store.create(version);
      const session = localOf(id, version);
      const bound = await bind(session, attachment);
      sendControl(attachment, hello(session, token));
      bound.release(0);
      if (hooks.onSessionStart) runHook(session, 'session start', () => hooks.onSessionStart!(session));
      return { ok: true, session };
    },
    async resume(attachment, request) {
      const version = negotiateVersion(request.versions, contract.protocolVersions);
      if (!version) return unsupported(request.versions);
      const auth = await store.authenticate(request.sessionId, request.token);
      if (!auth.ok) return fail(auth.reason);
      // Check the window before taking the session over: a refused resume leaves it as it was.
      const check = await store.replay(request.sessionId, request.lastSeenSeq);
      if (!check.ok) return windowFailure(check, request.lastSeenSeq);
      const session = localOf(request.sessionId, version);
      session.protocolVersion = version;
      const bound = await bind(session, attachment);
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
      sendControl(attachment, hello(session, request.token));
      sendControl(attachment, resumedFrame(session.id, answer.fromSeq, answer.latestSeq));
      sendReplay(attachment, answer);
      bound.release(answer.latestSeq);
      release(session, request.lastSeenSeq); // the client has processed these (R4)
      if (hooks.onSessionResume) runHook(session, 'session resume', () => hooks.onSessionResume!(session, attachment.kind));
      return { ok: true, session };
    },
    async receive(text, source) {
      let items: string[] = [text];
      // A POST may carry a JSON array of frames (poll clients batch acks with messages).
      if (source.kind === 'post' && text.trimStart().startsWith('[')) {
        try {
          const list = JSON.parse(text) as unknown;
          if (Array.isArray(list)) items = list.map((f) => JSON.stringify(f));
        } catch {
          /* parse() reports it as malformed_frame */
        }
      }
      let accepted = 0;
      const errors: Frame[] = [];
      let status = 202;
      for (const item of items) {
        const r = await receiveOne(item, source);
        if (r.accepted) accepted++;
        if (r.error) {
          errors.push(r.error);
          if (status === 202) status = r.status ?? 400;
        }
      }
      return { accepted, errors, status };
    },
    detach(session, attachment) {
      const local = locals.get(session.id);
      if (!local || local.attachment !== attachment) return;
      const subscription = local.subscription;
      local.attachment = undefined;
      local.subscription = undefined;
      if (subscription) store.detach(subscription).catch((error: unknown) => reportError(error, { sessionId: session.id, type: 'detach' }));
    },
    async end(sessionId) {
      const local = locals.get(sessionId);
      await store.end(sessionId);
      if (!local) return false;
      locals.delete(sessionId);
      try {
        hooks.onSessionEnd?.(local, 'ended');
      } catch (error) {
        reportError(error, { sessionId, type: 'session end' });
      }
      return true;
    },
    start() {
      if (timer) return;
      const tick = Math.min(contract.heartbeatMs, Math.max(1000, Math.floor(contract.session.ttlMs / 4)));
      timer = setInterval(() => {
        for (const s of locals.values()) s.attachment?.heartbeat(s.latestSeq);
        store.sweep(now()).then(
          (expired) => {
            for (const id of expired) {
              const local = locals.get(id);
              locals.delete(id);
              try {
                hooks.onSessionEnd?.(local ?? { id, protocolVersion: '', attachment: undefined, latestSeq: 0, data: new Map() }, 'expired');
              } catch (error) {
                reportError(error, { sessionId: id, type: 'session end' }); // never crash the timer
              }
            }
          },
          (error: unknown) => reportError(error, { type: 'sweep' }),
        );
      }, tick);
      timer.unref?.();
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const s of [...locals.values()]) s.attachment?.close({ code: 'server_closing', message: 'the server is shutting down; resume later' });
    },
  };
  return core;
}
