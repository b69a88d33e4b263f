/**
 * Assembles the server runtime for one contract: the protocol core, the transports the contract
 * declares, the messages endpoint and the history routes, behind a plain node:http request
 * handler and an upgrade handler that Express, Fastify or a bare http.Server can all use.
 * The generated server.ts gives this its typed surface.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ContractDescriptor, TransportKind } from '../contract.js';
import { clip } from '../frames.js';
import type { ContractLimits } from '../limits.js';
import type { Validator } from '../validation.js';
import { createConformanceResponder } from './conformance.js';
import { matchHistoryPath, serveHistory, type HistoryRoute } from './history.js';
import { createServerCore, type ClientFrame, type ServerCore, type ServerStats, type Session } from './server-core.js';
import { addressKey, type ClientKey } from './session-limiter.js';
import type { SessionStore } from './store.js';
import { badTarget, refuseUpgrade, requestUrl, sendJson } from './transports/http-util.js';
import { createMessagesEndpoint } from './transports/messages.js';
import { createPollTransport } from './transports/poll.js';
import { createSseTransport } from './transports/sse.js';
import { createWebSocketTransport } from './transports/websocket.js';

/** What handlers see of a session. */
export interface SessionHandle {
  readonly id: string;
  readonly protocolVersion: string;
  /** The transport of the live attachment, if any. */
  readonly transport: TransportKind | undefined;
  /** Free for the application. */
  readonly data: Map<string, unknown>;
  /** Seq of the newest data message this process has seen. */
  readonly latestSeq: number;
}

export interface HandlerContext<Emitter> {
  readonly session: SessionHandle;
  /** Q3: the only way to send data; each call validates, stamps and resolves to the seq. */
  readonly emit: Emitter;
  /** The request_id of the client frame being handled, if it had one. */
  readonly requestId?: string;
}

export interface ContractServerOptions<Emitter> {
  readonly contract: ContractDescriptor;
  readonly validateClient: Validator<ClientFrame>;
  readonly serverValidators: Readonly<Record<string, Validator<unknown>>>;
  /** Payload validators of the data messages, by type (the runtime builds their envelope). */
  readonly payloadValidators: Readonly<Record<string, Validator<unknown>>>;
  /** Builds the typed emitter of a session on its one send path (Q3). */
  readonly emitter: (send: (type: string, payload: unknown) => Promise<number>) => Emitter;
  /** Where sessions live: memory (default) or a shared store such as Redis for several processes. */
  readonly store?: SessionStore | undefined;
  /** Application message handlers by message type. */
  readonly dispatch: Readonly<Record<string, (frame: ClientFrame, ctx: HandlerContext<Emitter>) => void | Promise<void>>>;
  /** H1: the application's fields of each hello (`payload.app`, when the spec extends the kernel's HelloApp). */
  readonly helloApp?: ((session: SessionHandle) => object | undefined) | undefined;
  readonly onSessionStart?: ((ctx: HandlerContext<Emitter>) => void | Promise<void>) | undefined;
  readonly onSessionResume?: ((ctx: HandlerContext<Emitter>) => void | Promise<void>) | undefined;
  readonly onSessionEnd?: ((session: SessionHandle, reason: 'expired' | 'ended') => void) | undefined;
  readonly onError?: ((error: unknown, where: { readonly sessionId?: string; readonly type?: string }) => void) | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly history?: readonly HistoryRoute<any>[] | undefined;
  /** Prefix for every path of the contract, e.g. `/api` (default none). */
  readonly basePath?: string | undefined;
  /** WebSocket: how long a connection opened with session_id may take to send protocol.resume (default 10 s). */
  readonly resumeTimeoutMs?: number | undefined;
  /** WebSocket and SSE: a client this many bytes behind is closed and resumes from the window (the same as `limits.maxBufferedBytes`). */
  readonly maxBufferedBytes?: number | undefined;
  /** L2: overrides of the contract's limits for this server (sessions, rates, queues, batch and answer sizes). */
  readonly limits?: Partial<ContractLimits> | undefined;
  /**
   * L2: who a request counts against for the per-client session limit. Default: the peer
   * address — behind a reverse proxy, read the client's address from the proxy's header instead.
   */
  readonly clientKey?: ClientKey | undefined;
  /**
   * For `contractgen probe` (default off): answer the contract's conformance trigger by emitting
   * `produces` data messages built from the spec's data-message examples. Needs a contract with
   * a conformance block.
   */
  readonly conformance?: boolean | undefined;
  /**
   * For tests and `contractgen probe --timers` only: run with shorter timers than the contract's,
   * so that expiry (S4), heartbeats (Q4) and empty poll answers can be observed in seconds. The
   * hello announces the values in force (H1).
   */
  readonly timers?: ServerTimers | undefined;
}

/** Timers that replace the contract's (each optional). */
export interface ServerTimers {
  /** S4: how long a detached session lives. */
  readonly sessionTtlMs?: number | undefined;
  /** Q4: heartbeat interval. */
  readonly heartbeatMs?: number | undefined;
  /** How long a poll is held before an empty answer. */
  readonly pollHoldMs?: number | undefined;
}

/** The contract with `timers` in force: what the core, the transports and the hello read. */
export function withTimers(contract: ContractDescriptor, timers: ServerTimers | undefined): ContractDescriptor {
  if (!timers) return contract;
  for (const [name, value] of Object.entries(timers)) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) throw new RangeError(`contractgen runtime: timers.${name} must be a positive whole number of milliseconds, got ${String(value)}`);
  }
  const poll = contract.transports.poll;
  return {
    ...contract,
    session: { ...contract.session, ttlMs: timers.sessionTtlMs ?? contract.session.ttlMs },
    heartbeatMs: timers.heartbeatMs ?? contract.heartbeatMs,
    transports: { ...contract.transports, ...(poll ? { poll: { ...poll, holdMs: timers.pollHoldMs ?? poll.holdMs } } : {}) },
  };
}

export interface ContractServerStats extends ServerStats {
  /** Open connections per transport (poll: requests held waiting for data). */
  readonly connections: { readonly websocket: number; readonly sse: number; readonly poll: number };
}

export interface ContractServer<Emitter> {
  readonly core: ServerCore;
  /**
   * A node:http request listener. Answers the contract's paths and returns true; for any other
   * path it calls `next` when given (Express style) or returns false.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): boolean;
  /** A node:http 'upgrade' listener part; false when the path is not the WebSocket path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Wires both handlers into an http.Server (other paths get 404, other upgrades are destroyed). */
  attach(server: Server): void;
  /** Typed access to a session this process serves, from outside a handler. */
  session(id: string): HandlerContext<Emitter> | undefined;
  /**
   * Typed emitter for any session by id, wherever its connection is (with a shared store, in
   * another process). Emitting to a session that does not exist rejects with UnknownSessionError.
   */
  emitTo(sessionId: string): Emitter;
  /** Ends a session now (logout, ban): its connection is closed and a resume gets session_expired. */
  endSession(id: string): Promise<boolean>;
  /** L2: what this process holds now (sessions, connections, queued inbound bytes), for metrics. */
  stats(): ContractServerStats;
  /** Stops timers and closes every connection; later requests to the contract's paths get 503, so no session is served here again. */
  close(): void;
}

export function createContractServer<Emitter>(options: ContractServerOptions<Emitter>): ContractServer<Emitter> {
  const contract = withTimers(options.contract, options.timers);
  const base = options.basePath?.replace(/\/$/, '') ?? '';
  const contexts = new WeakMap<Session, HandlerContext<Emitter>>();

  const handleOf = (session: Session): SessionHandle => new Handle(session);
  const emitterOf = (sessionId: string): Emitter => options.emitter((type, payload) => core.outbox.append(sessionId, type, payload));
  const contextOf = (session: Session, requestId?: string): HandlerContext<Emitter> => {
    let ctx = contexts.get(session);
    if (!ctx) {
      ctx = { session: handleOf(session), emit: emitterOf(session.id) };
      contexts.set(session, ctx);
    }
    return requestId === undefined ? ctx : { ...ctx, requestId };
  };

  if (options.conformance && !contract.conformance) throw new Error('contractgen runtime: conformance mode needs a contract whose spec declares x-contract.conformance');
  const conformance = options.conformance && contract.conformance ? createConformanceResponder(contract.conformance) : undefined;

  const core = createServerCore({
    contract,
    validateClient: options.validateClient,
    serverValidators: options.serverValidators,
    payloadValidators: options.payloadValidators,
    store: options.store,
    limits: { ...options.limits, ...(options.maxBufferedBytes !== undefined ? { maxBufferedBytes: options.maxBufferedBytes } : {}) },
    ...(options.helloApp ? { helloApp: (s: Session) => options.helloApp!(handleOf(s)) } : {}),
    hooks: {
      onMessage(session, frame) {
        if (conformance?.matches(frame)) return conformance.answer((type, payload) => core.outbox.append(session.id, type, payload));
        const handler = options.dispatch[frame.type];
        if (!handler) throw new Error(`no handler for ${frame.type}`);
        return handler(frame, contextOf(session, frame.header.request_id));
      },
      ...(options.onSessionStart ? { onSessionStart: (s: Session) => options.onSessionStart!(contextOf(s)) } : {}),
      ...(options.onSessionResume ? { onSessionResume: (s: Session) => options.onSessionResume!(contextOf(s)) } : {}),
      onSessionEnd: (s, reason) => options.onSessionEnd?.(handleOf(s), reason),
      ...(options.onError ? { onError: options.onError } : {}),
    },
  });

  const t = contract.transports;
  const clientKey = options.clientKey ?? addressKey;
  const ws = t.websocket ? createWebSocketTransport({ core, path: base + t.websocket.path, clientKey, ...(options.resumeTimeoutMs !== undefined ? { resumeTimeoutMs: options.resumeTimeoutMs } : {}) }) : undefined;
  const sse = t.sse ? createSseTransport({ core, path: base + t.sse.path, clientKey }) : undefined;
  const poll = t.poll ? createPollTransport({ core, path: base + t.poll.path, holdMs: t.poll.holdMs, clientKey }) : undefined;
  const messagesPath = t.sse?.messagesPath ?? t.poll?.messagesPath;
  const messages = messagesPath ? createMessagesEndpoint(core, base + messagesPath, clientKey) : undefined;
  const history = (options.history ?? []).map((r) => ({ ...r, path: base + r.path }));
  core.start();

  let closed = false;
  const owns = (path: string): boolean =>
    [sse?.path, poll?.path, messages?.path, ws?.path].includes(path) || history.some((r) => matchHistoryPath(r.path, path) !== undefined);

  /** L1: never throws, whatever the request: a target that is not a URL is answered 400. */
  const handleRequest = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): boolean => {
    const url = requestUrl(req);
    if (!url) {
      badTarget(res);
      return true;
    }
    const path = url.pathname;
    // After close() nothing is served: a poll client's next poll would otherwise resume its
    // session and hold the host's shutdown open (WebSocket upgrades get 503 from ws itself).
    if (closed && owns(path)) {
      sendJson(res, 503, JSON.stringify({ error: 'the server is shutting down; resume later' }), { connection: 'close' });
      return true;
    }
    try {
      if (sse && path === sse.path) return sse.handle(req, res, url), true;
      if (poll && path === poll.path) return poll.handle(req, res, url), true;
      if (messages && path === messages.path) {
        void messages.handle(req, res, url).catch((err: unknown) => fail(res, err));
        return true;
      }
      for (const route of history) {
        const params = matchHistoryPath(route.path, path);
        if (params) {
          void serveHistory(route, req, res, url, params).catch((err: unknown) => fail(res, err));
          return true;
        }
      }
      if (ws && path === ws.path) return wrongMethod(res), true;
    } catch (err) {
      fail(res, err);
      return true;
    }
    next?.();
    return false;
  };

  const fail = (res: ServerResponse, err: unknown): void => {
    try {
      options.onError?.(err, {});
    } catch {
      // A failing error hook must not turn one failed request into a crashed server.
    }
    sendJson(res, 500, JSON.stringify({ error: 'internal error; the server keeps serving' }));
  };
  const wrongMethod = (res: ServerResponse): void => sendJson(res, 426, JSON.stringify({ error: 'this path speaks WebSocket; send an Upgrade request' }), { upgrade: 'websocket' });

  return {
    core,
    handleRequest,
    handleUpgrade(req, socket, head) {
      if (ws) return ws.handleUpgrade(req, socket, head);
      // L1: with no WebSocket transport only a malformed target is ours to answer.
      if (requestUrl(req)) return false;
      refuseUpgrade(socket, 400, 'the request target is not a valid URL path');
      return true;
    },
    attach(server) {
      server.on('request', (req: IncomingMessage, res: ServerResponse) => {
        if (!handleRequest(req, res)) sendJson(res, 404, JSON.stringify({ error: `no route for ${clip(req.method ?? '')} ${clip(requestUrl(req)?.pathname ?? '', 200)}` }));
      });
      server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (!(ws ? ws.handleUpgrade(req, socket, head) : false)) refuseUpgrade(socket, requestUrl(req) ? 404 : 400, 'no WebSocket endpoint at this path');
      });
    },
    session(id) {
      const s = core.local(id);
      return s ? contextOf(s) : undefined;
    },
    emitTo(sessionId) {
      return emitterOf(sessionId);
    },
    endSession(id) {
      return core.end(id);
    },
    stats() {
      return { ...core.stats(), connections: { websocket: ws?.connections ?? 0, sse: sse?.connections ?? 0, poll: poll?.waiting ?? 0 } };
    },
    close() {
      closed = true;
      core.close();
      ws?.close();
      sse?.close();
      poll?.close();
    },
  };
}

/** What handlers see of a session (a class: one hidden class for every session). */
class Handle implements SessionHandle {
  readonly #session: Session;
  constructor(session: Session) {
    this.#session = session;
  }
  get id(): string {
    return this.#session.id;
  }
  get data(): Map<string, unknown> {
    return this.#session.data;
  }
  get protocolVersion(): string {
    return this.#session.protocolVersion;
  }
  get transport(): TransportKind | undefined {
    return this.#session.attachment?.kind;
  }
  get latestSeq(): number {
    return this.#session.latestSeq;
  }
}
