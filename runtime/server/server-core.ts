/**
 * The transport-independent protocol engine: hello and version negotiation (H1, H2), resume
 * (R1–R3), inbound frames with typed errors (S2, S5), acknowledgements (Q5), heartbeats and TTL
 * sweeps (S4). Transports turn sockets and requests into calls on this; nothing here knows
 * about WebSocket, SSE or HTTP polling.
 */
import type { ContractDescriptor, TransportKind } from '../contract.js';
import {
  errorFrame,
  helloFrame,
  KERNEL,
  negotiateVersion,
  resumeFailedFrame,
  resumedFrame,
  utf8Length,
  type ErrorCode,
  type Frame,
} from '../frames.js';
import { describeIssues, type Validator } from '../validation.js';
import type { ReplayAnswer } from './outbox.js';
import { createSessionRegistry, type Attachment, type Session, type SessionRegistry } from './session-registry.js';

/** A client frame after parsing and validation. */
export interface ClientFrame {
  readonly type: string;
  readonly header: { readonly session_id: string; readonly ack?: number; readonly request_id?: string };
  readonly payload: Readonly<Record<string, unknown>>;
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
  /** A handler or hook threw; the client got `handler_failed`. */
  onError?(error: unknown, where: { readonly sessionId?: string; readonly type?: string }): void;
}

export interface ServerCoreOptions {
  readonly contract: ContractDescriptor;
  /** The client-to-server dispatcher (validators.ts). */
  readonly validateClient: Validator<ClientFrame>;
  /** Server-to-client validators by type: data ones guard the outbox, kernel ones the runtime. */
  readonly serverValidators: Readonly<Record<string, Validator<unknown>>>;
  readonly hooks: ServerHooks;
  readonly now?: () => number;
}

export interface ResumeRequest {
  readonly sessionId: string;
  readonly token: string;
  readonly lastSeenSeq: number;
  readonly versions: readonly string[] | undefined;
  readonly requestId?: string;
}

export type OpenOutcome = { readonly ok: true; readonly session: Session } | { readonly ok: false; readonly status: number; readonly frame: Frame };
export type ResumeOutcome = OpenOutcome;

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
  readonly registry: SessionRegistry;
  /** H1/H2: a new session on a fresh attachment; the hello is sent before this returns. */
  open(attachment: Attachment, versions: readonly string[] | undefined): OpenOutcome;
  /** R1–R3: resume on a (new) attachment; hello, resumed and the replay are sent on success. */
  resume(attachment: Attachment, request: ResumeRequest): ResumeOutcome;
  /** Parses and validates one client frame (S2/S5 typed errors). */
  parse(text: string): { readonly ok: true; readonly frame: ClientFrame } | { readonly ok: false; readonly frame: Frame; readonly status: number };
  /** Handles inbound text (one frame, or a JSON array of frames for POST). */
  receive(text: string, source: InboundSource): InboundOutcome;
  detach(session: Session, attachment: Attachment): void;
  /** Ends a session now: closes its attachment, forgets it (a resume gets session_expired), runs onSessionEnd. */
  end(session: Session): void;
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

export function createServerCore(options: ServerCoreOptions): ServerCore {
  const { contract, hooks } = options;
  const now = options.now ?? Date.now;
  const transports = (['websocket', 'sse', 'poll'] as const).filter((k) => contract.transports[k]);
  const dataValidators: Record<string, Validator<unknown>> = {};
  for (const m of Object.values(contract.messages)) {
    if (m.sequenced && options.serverValidators[m.type]) dataValidators[m.type] = options.serverValidators[m.type]!;
  }
  const registry = createSessionRegistry({
    ttlMs: contract.session.ttlMs,
    idBits: contract.session.idBits,
    tokenBits: contract.session.tokenBits,
    now,
    outbox: { replayWindow: contract.replayWindow, maxFrameBytes: contract.maxFrameBytes, validators: dataValidators },
  });
  // Application messages of one session run one after another, in arrival order.
  const queues = new WeakMap<Session, Promise<void>>();
  let timer: ReturnType<typeof setInterval> | undefined;

  const encode = (frame: Frame): string => {
    const check = options.serverValidators[frame.type];
    const result = check?.(frame);
    // A kernel frame the spec does not accept is a contract/runtime mismatch: fail loudly.
    if (result && !result.ok) throw new Error(`contractgen runtime: the spec rejects the ${frame.type} the runtime builds (${describeIssues(result)}); regenerate from a spec that passes \`contractgen lint\``);
    return JSON.stringify(frame);
  };

  const sendControl = (attachment: Attachment, frame: Frame): void => attachment.send(encode(frame));

  const fail = (reason: 'unknown_session' | 'session_expired'): OpenOutcome => ({ ok: false, status: ERROR_STATUS[reason], frame: resumeFailedFrame(reason, RESUME_MESSAGES[reason]) });

  /** R3: never a silent partial replay — the refusal says where the window starts. */
  const windowFailure = (answer: Extract<ReplayAnswer, { ok: false }>, lastSeenSeq: number): Frame =>
    resumeFailedFrame(
      answer.reason,
      answer.reason === 'window_exceeded'
        ? `last_seen_seq ${lastSeenSeq} is older than the replay window, which starts at seq ${answer.earliestSeq}; re-sync from history`
        : `last_seen_seq ${lastSeenSeq} is ahead of the newest seq ${answer.latestSeq}`,
      { earliestSeq: answer.earliestSeq, latestSeq: answer.latestSeq },
    );

  const unsupported = (versions: readonly string[] | undefined): OpenOutcome => ({
    ok: false,
    status: ERROR_STATUS.unsupported_version,
    frame: errorFrame('unsupported_version', `no common protocol version: the client offered ${versions?.join(', ') || 'none'}, the server speaks ${contract.protocolVersions.join(', ')}`, {
      supportedVersions: contract.protocolVersions,
    }),
  });

  const hello = (session: Session, token: string): Frame =>
    helloFrame({
      protocolVersion: session.protocolVersion,
      sessionId: session.id,
      resumeToken: token,
      latestSeq: session.outbox.latestSeq,
      replayWindow: contract.replayWindow,
      heartbeatMs: contract.heartbeatMs,
      sessionTtlMs: contract.session.ttlMs,
      maxFrameBytes: contract.maxFrameBytes,
      transports,
      capabilities: contract.capabilities,
    });

  const runHook = (session: Session, type: string, fn: () => void | Promise<void>): void => {
    const previous = queues.get(session) ?? Promise.resolve();
    const next = previous.then(fn).catch((error: unknown) => {
      try {
        hooks.onError?.(error, { sessionId: session.id, type });
      } catch {
        // An error hook that throws must not reject the session's queue: that would stop every
        // later message of the session and, unhandled, end the process.
      }
      const a = session.attachment;
      if (a) sendControl(a, errorFrame('handler_failed', `the server failed to handle ${type}; the session is intact`, { sessionId: session.id }));
    });
    queues.set(session, next);
  };

  /** R2: replay on an attachment that is already bound to the session. */
  const replayOn = (attachment: Attachment, session: Session, lastSeenSeq: number): Frame | undefined => {
    const answer = session.outbox.replayAfter(lastSeenSeq);
    if (!answer.ok) return windowFailure(answer, lastSeenSeq);
    sendControl(attachment, resumedFrame(session.id, answer.fromSeq, answer.latestSeq));
    answer.frames.forEach((f, i) => attachment.send(f, answer.fromSeq + i));
    session.outbox.release(lastSeenSeq); // the client has processed these (R4)
    return undefined;
  };

  const parse: ServerCore['parse'] = (text) => {
    const reject = (code: ErrorCode, message: string, extra: { path?: string; requestId?: string; sessionId?: string } = {}) =>
      ({ ok: false, status: ERROR_STATUS[code], frame: errorFrame(code, message, extra) }) as const;
    if (utf8Length(text) > contract.maxFrameBytes) return reject('frame_too_large', `a frame of ${utf8Length(text)} bytes exceeds the limit of ${contract.maxFrameBytes}`);
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

  const handleFrame = (frame: ClientFrame, session: Session, attachment: Attachment | undefined): Frame | undefined => {
    const requestId = frame.header.request_id;
    if (frame.header.ack !== undefined) session.outbox.release(frame.header.ack);
    switch (frame.type) {
      case KERNEL.ack:
        session.outbox.release(frame.payload.last_seen_seq as number);
        return undefined;
      case KERNEL.resume: {
        // Over an attached connection the client may ask to replay its own session again.
        if (!attachment) return errorFrame('invalid_message', 'protocol.resume is sent on connect: a WebSocket frame, or query parameters on SSE and poll', { ...(requestId ? { requestId } : {}), path: '/type' });
        const auth = registry.authenticate(frame.header.session_id, frame.payload.resume_token as string);
        if (!auth.ok || auth.session !== session) return resumeFailedFrame('unknown_session', RESUME_MESSAGES.unknown_session);
        return replayOn(attachment, session, frame.payload.last_seen_seq as number);
      }
      default:
        runHook(session, frame.type, () => hooks.onMessage(session, frame));
        return undefined;
    }
  };

  const receiveOne = (value: string, source: InboundSource): { accepted: boolean; error?: Frame; status?: number } => {
    const parsed = parse(value);
    if (!parsed.ok) return { accepted: false, error: parsed.frame, status: parsed.status };
    const frame = parsed.frame;
    const requestId = frame.header.request_id ? { requestId: frame.header.request_id } : {};
    let session: Session;
    if (source.kind === 'attachment') {
      // S2: a frame names its session; on a connection it must be the connection's session.
      if (frame.header.session_id !== source.session.id) {
        return { accepted: false, error: errorFrame('unknown_session', `header.session_id does not name this connection's session`, { ...requestId, path: '/header/session_id' }), status: 404 };
      }
      session = source.session;
    } else {
      if (source.token === undefined) {
        return { accepted: false, error: errorFrame('unknown_session', 'a POSTed frame needs the session token: send Authorization: Bearer <resume_token>', requestId), status: 401 };
      }
      const auth = registry.authenticate(frame.header.session_id, source.token);
      if (!auth.ok) return { accepted: false, error: errorFrame(auth.reason, auth.reason === 'session_expired' ? RESUME_MESSAGES.session_expired : RESUME_MESSAGES.unknown_session, { ...requestId, path: '/header/session_id' }), status: ERROR_STATUS[auth.reason] };
      session = auth.session;
    }
    const error = handleFrame(frame, session, source.kind === 'attachment' ? source.attachment : undefined);
    return error ? { accepted: false, error, status: 400 } : { accepted: true };
  };

  const core: ServerCore = {
    contract,
    registry,
    sendControl,
    parse,
    open(attachment, versions) {
      const version = negotiateVersion(versions, contract.protocolVersions);
      if (!version) return unsupported(versions);
      const { session, token } = registry.create(version);
      registry.attach(session, attachment);
      sendControl(attachment, hello(session, token));
      if (hooks.onSessionStart) runHook(session, 'session start', () => hooks.onSessionStart!(session));
      return { ok: true, session };
    },
    resume(attachment, request) {
      const version = negotiateVersion(request.versions, contract.protocolVersions);
      if (!version) return unsupported(request.versions);
      const auth = registry.authenticate(request.sessionId, request.token);
      if (!auth.ok) return fail(auth.reason);
      const session = auth.session;
      // Check the window before taking the session over: a refused resume leaves it as it was.
      const answer = session.outbox.replayAfter(request.lastSeenSeq);
      if (!answer.ok) return { ok: false, status: ERROR_STATUS[answer.reason], frame: windowFailure(answer, request.lastSeenSeq) };
      session.protocolVersion = version;
      registry.attach(session, attachment);
      sendControl(attachment, hello(session, request.token));
      replayOn(attachment, session, request.lastSeenSeq);
      if (hooks.onSessionResume) runHook(session, 'session resume', () => hooks.onSessionResume!(session, attachment.kind));
      return { ok: true, session };
    },
    receive(text, source) {
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
        const r = receiveOne(item, source);
        if (r.accepted) accepted++;
        if (r.error) {
          errors.push(r.error);
          if (status === 202) status = r.status ?? 400;
        }
      }
      return { accepted, errors, status };
    },
    detach(session, attachment) {
      registry.detach(session, attachment);
    },
    end(session) {
      if (!registry.peek(session.id)) return;
      registry.end(session);
      try {
        hooks.onSessionEnd?.(session, 'ended');
      } catch (error) {
        hooks.onError?.(error, { sessionId: session.id, type: 'session end' });
      }
    },
    start() {
      if (timer) return;
      const tick = Math.min(contract.heartbeatMs, Math.max(1000, Math.floor(contract.session.ttlMs / 4)));
      timer = setInterval(() => {
        for (const s of registry.sessions()) s.attachment?.heartbeat(s.outbox.latestSeq);
        for (const s of registry.sweep(now())) {
          try {
            hooks.onSessionEnd?.(s, 'expired');
          } catch (error) {
            hooks.onError?.(error, { sessionId: s.id, type: 'session end' }); // never crash the timer
          }
        }
      }, tick);
      timer.unref?.();
    },
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const s of [...registry.sessions()]) s.attachment?.close({ code: 'server_closing', message: 'the server is shutting down; resume later' });
    },
  };
  return core;
}
