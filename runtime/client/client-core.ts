/**
 * The client side of the contract (Q4, Q5, R1–R4, H2): connects over WebSocket, SSE or
 * long-polling (or `auto`: WebSocket, then SSE, then polling, when one cannot connect),
 * reconnects with exponential backoff and jitter, resumes with its session, token and last seen
 * seq, delivers data in seq order exactly once (duplicates dropped, a gap resumes), surfaces
 * `resume_failed` with its reason, and acknowledges so the server can release its buffer. Sends
 * are numbered and kept by outbound.ts (C1, C3) and written by send-pump.ts.
 */
import type { ContractDescriptor, ContractValidators, TransportKind } from '../contract.js';
import { CLOSE_CODES, KERNEL } from '../frames.js';
import { describeIssues } from '../validation.js';
import { createBackoff, type BackoffOptions } from './backoff.js';
import { ClientSendError, createOutbound } from './outbound.js';
import { createSendPump } from './send-pump.js';
import { createSequencer } from './sequencer.js';
import { createPollSize, type ClientTransport, type CloseInfo, type TransportEnvironment, type TransportEvents } from './transport.js';
import { createPollClientTransport } from './transports/poll.js';
import { createSseClientTransport } from './transports/sse.js';
import { createWebSocketClientTransport } from './transports/websocket.js';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A server frame after validation. */
export interface ServerFrame {
  readonly type: string;
  readonly header: { readonly session_id?: string; readonly seq?: number; readonly latest_seq?: number };
  readonly payload: Readonly<Record<string, unknown>>;
}

export type ClientEvent =
  | { readonly kind: 'state'; readonly state: ConnectionState; readonly transport: TransportKind | undefined }
  | { readonly kind: 'session'; readonly sessionId: string; readonly resumed: boolean; readonly protocolVersion: string }
  /** R3: the server could not resume; `reason` says why. The client starts a new session unless told to stop. */
  | { readonly kind: 'resume-failed'; readonly reason: string; readonly message: string; readonly earliestSeq?: number; readonly latestSeq?: number }
  /** A protocol.error from the server, or a frame the client had to reject. */
  | { readonly kind: 'error'; readonly code: string; readonly message: string; readonly requestId?: string; readonly path?: string; /** C2/C4: the client frame it is about. */ readonly cseq?: number }
  /** Q4: a duplicate was dropped or a gap triggered a resume (for metrics and tests). */
  | { readonly kind: 'sequence'; readonly verdict: 'duplicate' | 'gap'; readonly seq: number; readonly lastSeen: number }
  /**
   * No frame has arrived for `stallMs` (default 30 000) while the client was trying to connect:
   * the link does not let anything through. Emitted once per stall; the client keeps trying.
   */
  | { readonly kind: 'stalled'; readonly sinceMs: number; readonly lastSeenSeq: number; readonly transport: TransportKind; readonly unacknowledged: number }
  /**
   * A3: the server refused the credentials (`unauthorized`: 401 / close 4401) or the caller
   * (`forbidden`: 403 / 4403). Terminal: the client stops reconnecting (state `closed`) until the
   * application calls `connect()` again — with new credentials from its `auth` option.
   */
  | { readonly kind: 'unauthorized' | 'forbidden'; readonly message: string; readonly transport: TransportKind };

/** A1: the application's credentials: request headers, or a function that gives them, called before every connection attempt (so a refreshed token is used). */
export type ClientAuth = Readonly<Record<string, string>> | (() => Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>>);

export interface ClientCoreOptions {
  readonly contract: ContractDescriptor;
  /** The contract's validators (validators.ts): every frame received is checked, and every send before it leaves (S5). */
  readonly validators: ContractValidators;
  readonly env: TransportEnvironment;
  readonly transport?: 'auto' | TransportKind | undefined;
  /** H2: versions this client speaks (default: every version of the contract). */
  readonly versions?: readonly string[] | undefined;
  readonly backoff?: BackoffOptions | undefined;
  /** Q5: acknowledge after this many data messages (default 100)… */
  readonly ackEvery?: number | undefined;
  /** …or this long after the first unacknowledged one (default 1000 ms). */
  readonly ackAfterMs?: number | undefined;
  /** What to do when a resume fails: start a new session (default) or stop. */
  readonly onResumeFailed?: 'new-session' | 'stop' | undefined;
  /** Start connecting at once (default true). */
  readonly autoConnect?: boolean | undefined;
  /** How long without any frame, while not connected, before a `stalled` event (default 30 000 ms). */
  readonly stallMs?: number | undefined;
  /** A1: credentials sent with every connection attempt, POST and poll (see ClientAuth). */
  readonly auth?: ClientAuth | undefined;
}

export { ClientSendError, type SendErrorCode } from './outbound.js';

export interface ClientCore {
  readonly state: ConnectionState;
  readonly transport: TransportKind | undefined;
  readonly sessionId: string | undefined;
  readonly protocolVersion: string | undefined;
  /** R4: the last seq delivered — the resume cursor. */
  readonly lastSeenSeq: number;
  /** Handlers for one message type (each gets the frame of that type); returns an unsubscribe function. */
  on(type: string, handler: (frame: never) => void): () => void;
  /** Connection, session, resume and error events. */
  onEvent(handler: (event: ClientEvent) => void): () => void;
  /**
   * C1/C3: validates one client frame, numbers it (cseq) and keeps it until the server
   * acknowledges it, sending it again after a reconnect; resolves on the acknowledgement, or to
   * the reply frame when the message declares one (C4). Rejects with ClientSendError.
   */
  send(type: string, payload: unknown, options?: { readonly requestId?: string }): Promise<unknown>;
  /** C2: the highest cseq the server acknowledged in this session. */
  readonly acked: number;
  connect(): void;
  /** Drops the current connection and resumes (as after a network change). */
  reconnect(): void;
  close(): void;
}

const ORDER: readonly TransportKind[] = ['websocket', 'sse', 'poll'];

export function createClientCore(options: ClientCoreOptions): ClientCore {
  const { contract, env } = options;
  const versions = options.versions ?? contract.protocolVersions;
  const available = ORDER.filter((k) => contract.transports[k]);
  const auto = (options.transport ?? 'auto') === 'auto';
  if (!auto && !available.includes(options.transport as TransportKind)) throw new Error(`the contract has no ${String(options.transport)} transport (it has ${available.join(', ')})`);
  const sequenced = new Set(Object.values(contract.messages).filter((m) => m.sequenced).map((m) => m.type));
  const backoff = createBackoff(options.backoff);
  const sequencer = createSequencer();
  const ackEvery = options.ackEvery ?? 100;
  const ackAfterMs = options.ackAfterMs ?? 1000;

  // Each handler takes the frame type of its message; the dispatcher checked `type` (hence `never`).
  const handlers = new Map<string, Set<(frame: never) => void>>();
  const listeners = new Set<(event: ClientEvent) => void>();
  let state: ConnectionState = 'closed';
  let kind: TransportKind = auto ? available[0]! : (options.transport as TransportKind);
  const everOpened = new Set<TransportKind>();
  let current: ClientTransport | undefined;
  let session: { id: string; token: string; version: string } | undefined;
  let sessionOpen = false; // hello (and resumed, when resuming) received on this connection
  let closedByUser = false;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let ackTimer: ReturnType<typeof setTimeout> | undefined;
  let unacked = 0;
  // Q4: drops for a gap or a lost tail since the last message delivered in order. A server that
  // answers every resume with the same gap must not get a reconnect loop without backoff.
  let stalls = 0;
  let heartbeatMs = contract.heartbeatMs;
  const outbound = createOutbound();
  // Poll answers shrink after a cut mid-answer and grow back (shared by every poll attempt).
  const pollSize = createPollSize(contract.limits?.maxPollBytes ?? 256 * 1024);
  // No progress: the last frame that arrived, and the timer that says so once per stall.
  const stallMs = options.stallMs ?? 30_000;
  let lastProgress = Date.now();
  let stallTimer: ReturnType<typeof setTimeout> | undefined;
  let stallReported = false;
  const watchStall = (): void => {
    if (stallTimer || closedByUser || stallReported) return;
    stallTimer = setTimeout(() => {
      stallTimer = undefined;
      if (closedByUser || state === 'open' || state === 'closed') return;
      stallReported = true;
      emit({ kind: 'stalled', sinceMs: Date.now() - lastProgress, lastSeenSeq: sequencer.lastSeen, transport: kind, unacknowledged: outbound.size });
    }, Math.max(0, lastProgress + stallMs - Date.now()));
    (stallTimer as { unref?: () => void }).unref?.();
  };
  // C3: what the outbound keeps goes out on the open connection (send-pump.ts).
  const pump = createSendPump({
    outbound,
    maxPerPost: contract.limits?.maxFramesPerPost ?? 64,
    connection: () => (current && session && sessionOpen ? { transport: current, session } : undefined),
    session: () => session,
    refused: (why, message, transport) => refused(why, message, transport),
    error: (message) => emit({ kind: 'error', code: 'refused', message }),
  });

  const emit = (event: ClientEvent): void => {
    for (const l of [...listeners]) l(event);
  };
  const setState = (next: ConnectionState): void => {
    if (state === next) return;
    state = next;
    emit({ kind: 'state', state, transport: current?.kind });
  };

  const watchdogMs = (): number | undefined => {
    if (kind === 'poll') return (contract.transports.poll?.holdMs ?? 0) + 2 * heartbeatMs;
    return Math.round(2.5 * heartbeatMs);
  };
  const touch = (): void => {
    if (watchdog) clearTimeout(watchdog);
    const ms = watchdogMs();
    if (ms === undefined || state === 'closed') return;
    watchdog = setTimeout(() => dropConnection('no heartbeat from the server'), ms);
    (watchdog as { unref?: () => void }).unref?.();
  };

  const factory = (k: TransportKind) => (k === 'websocket' ? createWebSocketClientTransport : k === 'sse' ? createSseClientTransport : createPollClientTransport);

  /** A1: the credentials of this attempt (the `auth` function is asked every time); undefined when it failed (reported, retried with backoff). */
  let attempt = 0;
  const open = (): void => {
    if (closedByUser) return;
    sessionOpen = false;
    const auth = options.auth;
    if (typeof auth !== 'function') return openWith(auth);
    const mine = ++attempt;
    setState(session ? 'reconnecting' : 'connecting');
    Promise.resolve()
      .then(auth)
      .then(
        (headers) => mine === attempt && !closedByUser && openWith(headers),
        (error: unknown) => {
          if (mine !== attempt || closedByUser) return;
          emit({ kind: 'error', code: 'auth_failed', message: `the auth option failed: ${(error as Error)?.message ?? String(error)}; trying again` });
          scheduleReconnect(false);
        },
      );
  };

  const openWith = (headers: Readonly<Record<string, string>> | undefined): void => {
    const transport: ClientTransport = factory(kind)(contract, headers ? { ...env, headers } : env, {
      open: () => {
        if (current !== transport) return;
        everOpened.add(kind);
        touch();
      },
      frame: (text) => current === transport && onFrame(text),
      activity: () => current === transport && touch(),
      close: (info) => current === transport && onClose(info),
    } satisfies TransportEvents);
    current = transport;
    setState(session ? 'reconnecting' : 'connecting');
    transport.connect({
      versions,
      resume: session ? { sessionId: session.id, token: session.token, lastSeenSeq: sequencer.lastSeen } : undefined,
      cursor: () => sequencer.lastSeen,
      credentials: () => (session ? { sessionId: session.id, token: session.token } : undefined),
      pollSize,
    });
  };

  const scheduleReconnect = (immediate: boolean): void => {
    if (closedByUser || reconnectTimer) return;
    setState('reconnecting');
    watchStall();
    reconnectTimer = setTimeout(
      () => {
        reconnectTimer = undefined;
        open();
      },
      immediate ? 0 : backoff.next(),
    );
  };

  /** Ends the current connection and resumes (a gap, a dead connection): at once, or after the backoff. */
  const dropConnection = (why: string, useBackoff = false): void => {
    void why;
    const t = current;
    current = undefined;
    sessionOpen = false;
    if (watchdog) clearTimeout(watchdog);
    t?.close();
    scheduleReconnect(!useBackoff);
  };

  const onClose = (info: CloseInfo): void => {
    const was = current?.kind ?? kind;
    current = undefined;
    sessionOpen = false;
    if (watchdog) clearTimeout(watchdog);
    if (closedByUser || state === 'closed') return;
    // A3: a close code that names a refusal (when no frame said so first, e.g. through a proxy).
    if (info.code === CLOSE_CODES.unauthorized || info.code === CLOSE_CODES.forbidden) {
      return refused(info.code === CLOSE_CODES.forbidden ? 'forbidden' : 'unauthorized', info.reason, was);
    }
    // auto: a transport that never connected in this client's life gives way to the next one.
    if (auto && !info.opened && !everOpened.has(kind)) {
      const next = available[available.indexOf(kind) + 1];
      if (next) {
        kind = next;
        return scheduleReconnect(true);
      }
    }
    scheduleReconnect(false);
  };

  const stop = (): void => {
    closedByUser = true;
    if (reconnectTimer) clearTimeout(reconnectTimer);
    if (watchdog) clearTimeout(watchdog);
    if (ackTimer) clearTimeout(ackTimer);
    if (stallTimer) clearTimeout(stallTimer);
    reconnectTimer = watchdog = ackTimer = stallTimer = undefined;
    const t = current;
    current = undefined;
    t?.close();
    pump.stop();
    outbound.lose((maybeHandled) => new ClientSendError('closed', maybeHandled ? 'the client was closed before the server acknowledged the frame; it may or may not have been handled' : 'the client was closed before the frame was sent', { maybeHandled }));
    setState('closed');
  };

  /**
   * A3: refused by the application: tell it, and stop reconnecting until `connect()` (frames
   * queued by `send` wait for it; the session is resumed then, if the new credentials are its owner's).
   */
  const refused = (why: 'unauthorized' | 'forbidden', message: string, transport: TransportKind): void => {
    if (closedByUser) return;
    closedByUser = true;
    attempt++;
    if (reconnectTimer) clearTimeout(reconnectTimer);
    if (watchdog) clearTimeout(watchdog);
    reconnectTimer = watchdog = undefined;
    const t = current;
    current = undefined;
    sessionOpen = false;
    t?.close();
    setState('closed');
    emit({ kind: why, message, transport });
  };

  const sendAck = (): void => {
    if (ackTimer) clearTimeout(ackTimer);
    ackTimer = undefined;
    unacked = 0;
    // Over polling the cursor of every poll already acknowledges.
    if (!session || !current || !sessionOpen || current.kind === 'poll') return;
    const frame = JSON.stringify({ type: KERNEL.ack, header: { session_id: session.id }, payload: { last_seen_seq: sequencer.lastSeen } });
    void current.send([frame], session.token);
  };

  /** C3: the session is gone: every send it did not acknowledge rejects (it may have been handled). */
  const loseSends = (reason: string, message: string): void => {
    pump.reset();
    outbound.lose((maybeHandled) => new ClientSendError('session_lost', maybeHandled ? message : `the session was lost (${reason}) before the frame was sent; it was not handled`, { maybeHandled, reason }));
  };

  const deliver = (frame: ServerFrame): void => {
    const set = handlers.get(frame.type);
    if (!set) return;
    for (const h of [...set]) h(frame as never);
  };

  const sessionReady = (resumed: boolean): void => {
    sessionOpen = true;
    outbound.rewind(); // C3: whatever this connection's server has not acknowledged goes again, in order
    if (stalls === 0) backoff.reset(); // a resume that keeps showing the same gap is no success
    setState('open');
    emit({ kind: 'session', sessionId: session!.id, resumed, protocolVersion: session!.version });
    pump.now();
  };

  const onFrame = (text: string): void => {
    touch();
    lastProgress = Date.now();
    stallReported = false;
    if (stallTimer) clearTimeout(stallTimer);
    stallTimer = undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      emit({ kind: 'error', code: 'invalid_frame', message: 'the server sent a frame that is not JSON; it was dropped' });
      return;
    }
    const result = options.validators.server(value);
    if (!result.ok) {
      // Consume the seq of an invalid data frame (loudly) so a replay of it cannot loop forever.
      const seq = (value as { header?: { seq?: unknown } } | null)?.header?.seq;
      if (typeof seq === 'number' && seq === sequencer.lastSeen + 1) sequencer.accept(seq);
      emit({ kind: 'error', code: 'invalid_frame', message: `the server sent an invalid frame; it was dropped: ${describeIssues(result)}` });
      return;
    }
    // The kernel's headers (held to the kernel by lint) make every valid server frame a ServerFrame.
    const frame = result.value as ServerFrame;
    const p = frame.payload;
    switch (frame.type) {
      case KERNEL.hello: {
        const id = p.session_id as string;
        if (!session || session.id !== id) sequencer.reset(0); // a new session starts at seq 1 (Q2)
        if (session && session.id !== id) loseSends('session_lost', `the session ${session.id} was replaced by a new one`);
        const resuming = session?.id === id;
        session = { id, token: p.resume_token as string, version: p.protocol_version as string };
        heartbeatMs = (p.heartbeat_ms as number) || heartbeatMs;
        touch();
        deliver(frame);
        if (!resuming) {
          outbound.started();
          sessionReady(false);
        }
        return;
      }
      case KERNEL.resumed:
        if (typeof p.acked === 'number') outbound.resumed(p.acked);
        deliver(frame);
        sessionReady(true);
        return;
      case KERNEL.received:
        outbound.acknowledge(p.acked as number);
        deliver(frame);
        return;
      case KERNEL.resumeFailed: {
        emit({ kind: 'resume-failed', reason: p.reason as string, message: p.message as string, ...(typeof p.earliest_seq === 'number' ? { earliestSeq: p.earliest_seq } : {}), ...(typeof p.latest_seq === 'number' ? { latestSeq: p.latest_seq } : {}) });
        deliver(frame);
        const t = current;
        current = undefined;
        t?.close();
        // C3: what the lost session never acknowledged is rejected, never sent into a new session.
        loseSends(p.reason as string, `the session could not be resumed (${p.reason as string}); the frame may or may not have been handled`);
        if (options.onResumeFailed === 'stop') return stop();
        session = undefined; // start over: a new session, and the app re-syncs from history
        sequencer.reset(0);
        scheduleReconnect(true);
        return;
      }
      case KERNEL.error: {
        const code = p.code as string;
        emit({ kind: 'error', code, message: p.message as string, ...(typeof p.request_id === 'string' ? { requestId: p.request_id } : {}), ...(typeof p.path === 'string' ? { path: p.path } : {}), ...(typeof p.cseq === 'number' ? { cseq: p.cseq } : {}) });
        deliver(frame);
        if (typeof p.cseq === 'number' && code === 'handler_failed') outbound.failed(p.cseq, new ClientSendError('handler_failed', p.message as string));
        // C2: a frame of this connection was refused as a gap (one before it never arrived): resume and send again from acked.
        if (code === 'cseq_gap' && current?.kind === 'websocket') return dropConnection('the server refused a frame as a gap');
        // Another connection took this session over, or no version is shared: reconnecting would not help.
        if (code === 'superseded' || code === 'unsupported_version') stop();
        // A3: the application refused this client: it waits for connect() and new credentials.
        if (code === 'unauthorized' || code === 'forbidden') refused(code, p.message as string, current?.kind ?? kind);
        return;
      }
      case KERNEL.heartbeat:
        if (typeof p.acked === 'number') outbound.acknowledge(p.acked);
        deliver(frame);
        if (sessionOpen && sequencer.behind(p.latest_seq as number)) {
          emit({ kind: 'sequence', verdict: 'gap', seq: p.latest_seq as number, lastSeen: sequencer.lastSeen });
          dropConnection('a heartbeat shows messages this client has not seen', ++stalls > 1);
        }
        return;
    }
    if (!sequenced.has(frame.type) || typeof frame.header.seq !== 'number') return deliver(frame);
    const seq = frame.header.seq;
    const verdict = sequencer.accept(seq);
    if (verdict === 'duplicate') return emit({ kind: 'sequence', verdict, seq, lastSeen: sequencer.lastSeen });
    if (verdict === 'gap') {
      emit({ kind: 'sequence', verdict, seq, lastSeen: sequencer.lastSeen });
      return dropConnection(`seq ${seq} arrived after ${sequencer.lastSeen}`, ++stalls > 1);
    }
    stalls = 0;
    deliver(frame);
    // C4: a data frame naming a cseq is the reply to that send.
    const cseq = (frame.header as { cseq?: unknown }).cseq;
    if (typeof cseq === 'number') outbound.reply(cseq, frame.type, frame);
    if (++unacked >= ackEvery) sendAck();
    else if (!ackTimer) {
      ackTimer = setTimeout(sendAck, ackAfterMs);
      (ackTimer as { unref?: () => void }).unref?.();
    }
  };

  const core: ClientCore = {
    get state() {
      return state;
    },
    get transport() {
      return current?.kind;
    },
    get sessionId() {
      return session?.id;
    },
    get protocolVersion() {
      return session?.version;
    },
    get lastSeenSeq() {
      return sequencer.lastSeen;
    },
    get acked() {
      return outbound.acked;
    },
    on(type, handler) {
      let set = handlers.get(type);
      if (!set) handlers.set(type, (set = new Set()));
      set.add(handler);
      return () => set!.delete(handler);
    },
    onEvent(handler) {
      listeners.add(handler);
      return () => listeners.delete(handler);
    },
    send(type, payload, sendOptions = {}) {
      const validate = options.validators.client.of(type);
      if (!validate) return Promise.reject(new ClientSendError('unknown_type', `"${type}" is not a client-to-server message of this contract`));
      // The session id and cseq are filled in when the frame is written; validate with placeholders of the right shape.
      const header = sendOptions.requestId ? { request_id: sendOptions.requestId } : {};
      const result = validate({ type, header: { ...header, session_id: session?.id ?? 'AAAAAAAAAAAAAAAAAAAAAA', cseq: 1 }, payload });
      if (!result.ok) return Promise.reject(new ClientSendError('invalid_message', `refused to send an invalid ${type}: ${describeIssues(result)}`, { issues: result.issues }));
      if (closedByUser) return Promise.reject(new ClientSendError('closed', 'the client is closed'));
      const sent = outbound.add(type, header, payload, contract.messages[type]?.reply, session?.id);
      pump.soon();
      return sent;
    },
    connect() {
      if (state !== 'closed' && !closedByUser) return;
      closedByUser = false;
      backoff.reset();
      open();
    },
    reconnect() {
      if (!closedByUser) dropConnection('reconnect requested');
    },
    close() {
      attempt++;
      stop();
    },
  };
  if (options.autoConnect ?? true) core.connect();
  return core;
}
