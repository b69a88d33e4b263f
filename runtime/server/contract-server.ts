/**
 * The server of a contract, generic in its types: the protocol core, the transports the contract
 * declares, the messages endpoint and the history routes, behind a plain node:http request
 * handler and an upgrade handler that Express, Fastify or a bare http.Server can all use. Its
 * typed surface (handlers per client message, `ctx.emit.<message>` per data message, history
 * stores per endpoint) is derived from the contract's `ProtocolTypes`, so a generated server.ts
 * is a facade of type aliases and one factory call.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ContractDescriptor, FrameOf, PayloadOf, ProtocolDescriptor, ProtocolTypes, TransportKind } from '../contract.js';
import { clip } from '../frames.js';
import type { ContractLimits } from '../limits.js';
import { createGate, originalTarget, refusalOf, type Authenticate, type Authorize, type Identity } from './auth.js';
import { createConformanceResponder } from './conformance.js';
import { matchHistoryPath, serveHistory, type HistoryItem, type HistoryRoute, type HistoryStore } from './history.js';
import { createServerCore, type ClientFrame, type ServerCore, type ServerStats, type Session } from './server-core.js';
import type { ClientKey } from './session-limiter.js';
import { UnknownSessionError, type SessionStore } from './store.js';
import { createFastifyPlugin, type FastifyPlugin } from './fastify-plugin.js';
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

export type { AuthRefusal, AuthRequest, AuthResult, Authenticate, Authorize, Entry } from './auth.js';

type Messages<P extends ProtocolTypes> = P['messages'];

/**
 * Q3: one method per server-to-client data message of the contract. Each call validates the
 * payload, stamps header.seq (1-based, gap-free, assigned by the session store), keeps the frame
 * in the replay window, delivers it and resolves to the seq. An invalid payload throws
 * OutboundRejectedError at once and consumes no seq; if the store cannot keep the frame the
 * promise rejects (and onError is told): it was not sent.
 */
export type Emitter<P extends ProtocolTypes> = {
  readonly [K in keyof Messages<P> as Messages<P>[K] extends { readonly sequenced: true } ? K : never]: (payload: PayloadOf<Messages<P>[K]>) => Promise<number>;
};

/**
 * The principal as handlers see it: with an `authenticate` hook every session has one, so the
 * `undefined` TypeScript infers from a hook's refusal branch (`{ refuse }`) is dropped.
 */
export type PrincipalOf<Principal> = [Principal] extends [undefined] ? undefined : Exclude<Principal, undefined>;

/** What a handler gets: the session, its typed emitter, who it belongs to, and the request_id of the frame. */
export interface HandlerContext<P extends ProtocolTypes, Principal = undefined> {
  readonly session: SessionHandle;
  /**
   * A2: whom the session belongs to, as `authenticate` last named them (undefined when the server
   * has no `authenticate` hook, or for a session this process never saw a request of).
   */
  readonly principal: PrincipalOf<Principal>;
  /** Q3: the only way to send data; each call validates, stamps and resolves to the seq. */
  readonly emit: Emitter<P>;
  /** The request_id of the client frame being handled, if it had one. */
  readonly requestId?: string;
}

/** C4: the payload of the message `M` declares as its reply (`x-message.reply`), or void when it declares none. */
export type ReplyPayloadOf<P extends ProtocolTypes, M> = M extends { readonly reply: infer R } ? PayloadOf<Extract<Messages<P>[keyof Messages<P>], { readonly type: R }>> : void;

/**
 * One method per client-to-server application message, called in arrival order per session
 * after validation (S2/S5 are enforced before), each client frame once (C2). A handler that
 * throws answers the client with protocol.error `handler_failed` naming the frame's cseq; the
 * session and the server keep going. C4: the handler of a message that declares a reply returns
 * that reply's payload; the runtime sends it as a data message whose header names the frame's
 * cseq, and the client's `send` resolves to it.
 */
export type MessageHandlers<P extends ProtocolTypes, Principal = undefined> = {
  readonly [K in keyof Messages<P> as Messages<P>[K] extends { readonly direction: 'client-to-server'; readonly kernel: false } ? K : never]: (
    message: FrameOf<Messages<P>[K]>,
    ctx: HandlerContext<P, Principal>,
  ) => ReplyPayloadOf<P, Messages<P>[K]> | Promise<ReplyPayloadOf<P, Messages<P>[K]>>;
};

/** The session hooks, all optional. Handlers are called as methods of the object they are on. */
export interface SessionHooks<P extends ProtocolTypes, Principal = undefined> {
  /** A new session got its hello; data emitted here follows the hello (H1). `ctx.principal` is its owner (A2). */
  onSessionStart?(ctx: HandlerContext<P, Principal>): void | Promise<void>;
  /** A session resumed on a new connection, after its replay (R2). */
  onSessionResume?(ctx: HandlerContext<P, Principal>): void | Promise<void>;
  /** S4: the session expired (its TTL, `contract.session.ttlMs`, ran out without a connection) or was ended. */
  onSessionEnd?(session: SessionHandle, reason: 'expired' | 'ended'): void;
  /** A handler or hook threw (the client was told `handler_failed`), or a request failed (answered 500). */
  onError?(error: unknown, where: { readonly sessionId?: string; readonly type?: string }): void;
}

export type Handlers<P extends ProtocolTypes, Principal = undefined> = MessageHandlers<P, Principal> & SessionHooks<P, Principal>;

/** The path parameters of a history endpoint, by name (`{ conversationId: string }`). */
export type HistoryParams<H> = H extends { readonly pathParams: readonly (infer E)[] } ? { readonly [N in E extends { readonly name: infer Name extends string } ? Name : never]: string } : Readonly<Record<string, string>>;

/**
 * A2: per history endpoint, whether a principal may read the log its path parameters name. Without
 * an entry an endpoint is readable by everyone `authenticate` lets in. `false` answers 404, like a
 * log that does not exist (no oracle); a refusal object answers 401 / 403.
 */
type AuthorizeOption<P extends ProtocolTypes, Principal> = [keyof P['history']] extends [never]
  ? { readonly authorize?: never }
  : { readonly authorize?: { readonly [K in keyof P['history']]?: Authorize<PrincipalOf<Principal>, HistoryParams<P['history'][K]>> | undefined } | undefined };

/**
 * A1: identity. `authenticate` decides who each request is — WebSocket upgrade, SSE, poll, POST,
 * history — before any protocol work: `{ principal }` or `{ refuse: 'unauthorized' | 'forbidden' }`
 * (401 / 403, WebSocket close 4401 / 4403). Without it every request is anonymous.
 */
export interface AuthSettings<Principal> {
  readonly authenticate?: Authenticate<Principal> | undefined;
  /**
   * A2: the key a principal's sessions are bound to and counted under (L2). Default: the
   * principal's JSON with sorted keys (a string principal is its own key). Name the user, not the
   * credential: a refreshed token must give the same key.
   */
  readonly principalKey?: ((principal: Principal) => string) | undefined;
}

/** W1–W6: a store per history endpoint; an endpoint without a store is not served. (`never` when the contract has none.) */
type HistoryOption<P extends ProtocolTypes> = [keyof P['history']] extends [never]
  ? { readonly history?: never }
  : { readonly history?: { readonly [K in keyof P['history']]?: HistoryStore<P['history'][K]['item']> | undefined } | undefined };

/** H1: the application fields of each session's hello (`payload.app`), as the spec extends the kernel's HelloApp. */
type HelloAppOption<P extends ProtocolTypes> = P['helloApp'] extends object ? { readonly helloApp?: ((session: SessionHandle) => P['helloApp']) | undefined } : { readonly helloApp?: never };

/**
 * For `contractgen probe` (default off): a frame equal to x-contract.conformance.trigger is
 * answered by the runtime with `produces` data messages built from the spec's data-message
 * examples, instead of by the handler. Seed the history stores with the logs
 * x-contract.conformance.history names. Only for a contract with a conformance block.
 */
type ConformanceOption<P extends ProtocolTypes> = 'conformance' extends keyof P['contract'] ? { readonly conformance?: boolean | undefined } : { readonly conformance?: never };

/** Options of a contract's server (a generated server takes these, for its own contract). */
export type ContractServerOptions<P extends ProtocolTypes, Principal = undefined> = ServerSettings &
  AuthSettings<Principal> & { readonly handlers: Handlers<P, Principal> } & HistoryOption<P> &
  AuthorizeOption<P, Principal> &
  HelloAppOption<P> &
  ConformanceOption<P>;

/** The settings every server has, whatever its contract. */
export interface ServerSettings {
  /** Where sessions live: this process (default), or a shared store such as createRedisStore() so several processes serve one protocol. */
  readonly store?: SessionStore | undefined;
  /** Prefix for every path of the contract, e.g. `/api` (default none). */
  readonly basePath?: string | undefined;
  /** WebSocket: how long a connection opened with session_id may take to send protocol.resume (default 10 000 ms). */
  readonly resumeTimeoutMs?: number | undefined;
  /** WebSocket and SSE: a client this many bytes behind is closed and resumes from the window (the same as `limits.maxBufferedBytes`). */
  readonly maxBufferedBytes?: number | undefined;
  /**
   * L2: overrides of the contract's limits for this server: sessions (in total, per client, per
   * second), inbound bytes per session, frames per POST, error frames per answer, bytes per poll
   * answer, buffered bytes per connection. The defaults are in `contract.limits`.
   */
  readonly limits?: Partial<ContractLimits> | undefined;
  /**
   * L2: whom a request counts against for `limits.maxSessionsPerClient`. Default: the peer
   * address — behind a reverse proxy, return the client's address from the proxy's header.
   */
  readonly clientKey?: ClientKey | undefined;
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

/** Fan-out: what `emitToPrincipal` and `broadcast` did, per session. */
export interface FanOutResult {
  /** Sessions the message was stamped into (each with its own next seq, Q2). */
  readonly sent: number;
  /** Sessions that ended between listing and sending (nothing was sent to them). */
  readonly gone: number;
  /** Sessions whose store refused or failed the append (onError was told). */
  readonly failed: number;
}

/** Fan-out emitters: one method per data message, each resolving to what happened per session. */
export type FanOutEmitter<P extends ProtocolTypes> = {
  readonly [K in keyof Messages<P> as Messages<P>[K] extends { readonly sequenced: true } ? K : never]: (payload: PayloadOf<Messages<P>[K]>) => Promise<FanOutResult>;
};

export interface ContractServer<P extends ProtocolTypes, Principal = undefined> {
  readonly core: ServerCore;
  /**
   * A node:http request listener. Answers the contract's paths and returns true; for any other
   * path it calls `next` when given (Express style) or returns false.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): boolean;
  /** A node:http 'upgrade' listener part; false when the path is not the WebSocket path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * Wires both handlers into an http.Server (other paths get 404, other upgrades are refused).
   * `{ requests: false }`: upgrades only, for a server whose requests a framework takes
   * (`app.use(server.handleRequest)` in Express, then `server.attach(app.listen(…), { requests: false })`).
   */
  attach(server: Server, options?: { readonly requests?: boolean }): void;
  /**
   * The server as a Fastify plugin, with no glue: `fastify.register(server.fastify, { prefix: '/rt' })`.
   * It owns its routes' body parsing, takes WebSocket upgrades under the prefix, and closes its
   * connections when Fastify closes (fastify-plugin.ts).
   */
  readonly fastify: FastifyPlugin;
  /** Typed access to a session this process serves, from outside a handler. */
  session(id: string): HandlerContext<P, Principal> | undefined;
  /**
   * Typed emitter for any session by id, wherever its connection is (with a shared store, in
   * another process). Emitting to a session that does not exist rejects with UnknownSessionError.
   */
  emitTo(sessionId: string): Emitter<P>;
  /**
   * Fan-out to every session of `principal` (by `principalKey`), wherever each is attached (on
   * Redis, in every process). Each message goes through the one send path (Q3): validated once,
   * stamped with each session's own next seq, kept in each window within its bounds (L2).
   */
  emitToPrincipal(principal: PrincipalOf<Principal>): FanOutEmitter<P>;
  /** Fan-out to every session of the store (every process on Redis), through the same send path. */
  broadcast(): FanOutEmitter<P>;
  /** Ends a session now (logout, ban): its connection is closed and a resume gets session_expired. */
  endSession(id: string): Promise<boolean>;
  /** L2: what this process holds now (sessions, connections, queued inbound bytes), for metrics. */
  stats(): ContractServerStats;
  /** Stops timers and closes every connection; later requests to the contract's paths get 503, so no session is served here again. */
  close(): void;
}

type Handler = (this: unknown, frame: ClientFrame, ctx: HandlerContext<ProtocolTypes, unknown>) => unknown;

/**
 * The server of a contract, typed by its `ProtocolTypes` (generated contract.ts declares them):
 * the protocol core, the transports the contract declares, the messages endpoint and the history
 * routes. A generated server is this, for its own contract: `createContractServer<AgentUiProtocol>({ contract, validators }, options)`.
 */
export function createContractServer<P extends ProtocolTypes, Principal = undefined>(protocol: ProtocolDescriptor, options: ContractServerOptions<P, Principal>): ContractServer<P, Principal> {
  const contract = withTimers(protocol.contract, options.timers);
  const base = options.basePath?.replace(/\/$/, '') ?? '';
  const handlers: SessionHooks<P, Principal> & Readonly<Record<string, unknown>> = options.handlers;
  const contexts = new WeakMap<Session, HandlerContext<P, Principal>>();

  // Q3: a session's emitter has a function per data message of the contract (each may be taken off it and called alone).
  const dataTypes = Object.values(contract.messages).filter((m) => m.sequenced).map((m) => [m.member, m.type] as const);
  const emitterOf = (sessionId: string): Emitter<P> => {
    const emitter: Record<string, (payload: unknown) => Promise<number>> = {};
    for (const [member, type] of dataTypes) emitter[member] = (payload) => core.outbox.append(sessionId, type, payload);
    return emitter as Emitter<P>;
  };
  const handleOf = (session: Session): SessionHandle => new Handle(session);
  const contextOf = (session: Session, requestId?: string): HandlerContext<P, Principal> => {
    let ctx = contexts.get(session);
    if (!ctx) {
      // The principal is read live: a resume with refreshed credentials names it anew (A2).
      ctx = { session: handleOf(session), emit: emitterOf(session.id), get principal() { return session.principal as PrincipalOf<Principal>; } };
      contexts.set(session, ctx);
    }
    return requestId === undefined ? ctx : { session: ctx.session, emit: ctx.emit, principal: ctx.principal, requestId };
  };

  // The handler of each application message, by type, called as a method of `handlers`.
  const memberOf = new Map(Object.values(contract.messages).filter((m) => m.direction === 'client-to-server' && !m.kernel).map((m) => [m.type, m.member]));
  // C4: the reply each application message declares, by type.
  const replyOf = new Map(Object.values(contract.messages).flatMap((m) => (m.reply !== undefined ? [[m.type, m.reply] as const] : [])));
  const dispatch = async (frame: ClientFrame, ctx: HandlerContext<P, Principal>, sessionId: string): Promise<void> => {
    const member = memberOf.get(frame.type);
    const handler = member === undefined ? undefined : handlers[member];
    if (typeof handler !== 'function') throw new Error(`no handler for ${frame.type}`);
    const result = await (handler as Handler).call(handlers, frame, ctx as HandlerContext<ProtocolTypes, unknown>);
    const reply = replyOf.get(frame.type);
    if (reply === undefined) return;
    // C4: the reply goes through the one send path (validated, stamped, replayable), naming the frame it answers.
    if (result === undefined) throw new Error(`the handler of ${frame.type} returned nothing; it must return the payload of its reply ${reply} (C4)`);
    await core.outbox.append(sessionId, reply, result, frame.header.cseq);
  };

  const conformanceOption = (options as { readonly conformance?: boolean | undefined }).conformance;
  if (conformanceOption && !contract.conformance) throw new Error('contractgen runtime: conformance mode needs a contract whose spec declares x-contract.conformance');
  const conformance = conformanceOption && contract.conformance ? createConformanceResponder(contract.conformance) : undefined;
  const helloApp = (options as { readonly helloApp?: ((session: SessionHandle) => object | undefined) | undefined }).helloApp;

  const core = createServerCore({
    contract,
    validators: protocol.validators,
    store: options.store,
    limits: { ...options.limits, ...(options.maxBufferedBytes !== undefined ? { maxBufferedBytes: options.maxBufferedBytes } : {}) },
    ...(helloApp ? { helloApp: (s: Session) => helloApp(handleOf(s)) } : {}),
    hooks: {
      onMessage(session, frame) {
        if (conformance?.matches(frame)) return conformance.answer((type, payload, cseq) => core.outbox.append(session.id, type, payload, cseq), frame.header.cseq);
        return dispatch(frame, contextOf(session, frame.header.request_id), session.id);
      },
      ...(handlers.onSessionStart ? { onSessionStart: (s: Session) => handlers.onSessionStart!(contextOf(s)) } : {}),
      ...(handlers.onSessionResume ? { onSessionResume: (s: Session) => handlers.onSessionResume!(contextOf(s)) } : {}),
      onSessionEnd: (s, reason) => handlers.onSessionEnd?.(handleOf(s), reason),
      ...(handlers.onError ? { onError: (error: unknown, where: { readonly sessionId?: string; readonly type?: string }) => handlers.onError!(error, where) } : {}),
    },
  });

  const t = contract.transports;
  // A1: one gate in front of every entry.
  const gate = createGate<Principal>({
    authenticate: options.authenticate,
    principalKey: options.principalKey,
    clientKey: options.clientKey,
    onError: (error) => handlers.onError?.(error, { type: 'authenticate' }),
  });
  const ws = t.websocket ? createWebSocketTransport({ core, path: base + t.websocket.path, gate, ...(options.resumeTimeoutMs !== undefined ? { resumeTimeoutMs: options.resumeTimeoutMs } : {}) }) : undefined;
  const sse = t.sse ? createSseTransport({ core, path: base + t.sse.path, gate }) : undefined;
  const poll = t.poll ? createPollTransport({ core, path: base + t.poll.path, holdMs: t.poll.holdMs, gate }) : undefined;
  const messagesPath = t.sse?.messagesPath ?? t.poll?.messagesPath;
  const messages = messagesPath ? createMessagesEndpoint(core, base + messagesPath, gate) : undefined;
  const stores: Readonly<Record<string, HistoryStore<HistoryItem> | undefined>> = (options as { readonly history?: Readonly<Record<string, HistoryStore<HistoryItem> | undefined>> }).history ?? {};
  const authorizers: Readonly<Record<string, Authorize<unknown, Readonly<Record<string, string>>> | undefined>> =
    (options as { readonly authorize?: Readonly<Record<string, Authorize<unknown, Readonly<Record<string, string>>> | undefined>> }).authorize ?? {};
  // W1–W6: an endpoint of the contract is served when the application gave it a store.
  const history = Object.values(contract.history).flatMap((h) => {
    const store = Object.hasOwn(stores, h.name) ? stores[h.name] : undefined;
    const authorize = Object.hasOwn(authorizers, h.name) ? authorizers[h.name] : undefined;
    return store ? [{ ...h, path: base + h.path, store, authorize }] : [];
  });

  /** Fan-out (Q3): one validated payload, appended to each session through the outbox. */
  const fanOut = (list: () => Promise<readonly string[]>): FanOutEmitter<P> => {
    const emitter: Record<string, (payload: unknown) => Promise<FanOutResult>> = {};
    for (const [member, type] of dataTypes) {
      emitter[member] = async (payload) => {
        // Validated and serialized once; an invalid payload throws before any session is listed.
        const message = core.outbox.prepare(type, payload);
        const ids = await list();
        let sent = 0;
        let gone = 0;
        let failed = 0;
        await Promise.all(
          ids.map((id) =>
            core.outbox.appendPrepared(id, message).then(
              () => void sent++,
              // A store failure was reported by the outbox (onError); a session that just ended is no failure.
              (error: unknown) => void (error instanceof UnknownSessionError ? gone++ : failed++),
            ),
          ),
        );
        return { sent, gone, failed };
      };
    }
    return emitter as FanOutEmitter<P>;
  };
  core.start();

  let closed = false;
  const owns = (path: string): boolean =>
    [sse?.path, poll?.path, messages?.path, ws?.path].includes(path) || history.some((r) => matchHistoryPath(r.path, path) !== undefined);

  /**
   * L1: never throws, whatever the request: a target that is not a URL is answered 400. Express
   * strips its mount path from `req.url`: the whole target (`originalUrl`) is matched first, so
   * `app.use('/rt', …)` with `basePath: '/rt'` serves `/rt/…` as the WebSocket upgrade sees it;
   * the stripped one second, so a server mounted without a basePath is found too.
   */
  const handleRequest = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): boolean => {
    let url = requestUrl(req);
    if (url && !owns(url.pathname) && req.url !== undefined && req.url !== originalTarget(req)) {
      const inner = requestUrl(req, req.url);
      if (inner && owns(inner.pathname)) url = inner;
    }
    return serve(req, res, url, next);
  };

  const serve = (req: IncomingMessage, res: ServerResponse, url: URL | undefined, next?: (err?: unknown) => void): boolean => {
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
          void gate
            .pass(req, url, 'history')
            .then((who) =>
              // A1: a refused request is answered before any protocol work (A3: 401 / 403).
              who.ok ? serveHistory({ ...route, authorize: authorizeOf(route.authorize, who.identity) }, req, res, url, params) : sendJson(res, who.status, JSON.stringify({ error: who.message, code: who.code })),
            )
            .catch((err: unknown) => fail(res, err));
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
      handlers.onError?.(err, {});
    } catch {
      // A failing error hook must not turn one failed request into a crashed server.
    }
    sendJson(res, 500, JSON.stringify({ error: 'internal error; the server keeps serving' }));
  };
  const close = (): void => {
    if (closed) return;
    closed = true;
    core.close();
    ws?.close();
    sse?.close();
    poll?.close();
  };
  const fastify = createFastifyPlugin({
    paths: [sse?.path, poll?.path, messages?.path, ws?.path, ...history.map((r) => r.path)].filter((p): p is string => p !== undefined),
    serve: (req, res, url) => void serve(req, res, url, () => sendJson(res, 404, JSON.stringify({ error: 'no route' }))),
    upgrade: (req, socket, head, url) => (ws ? ws.handleUpgrade(req, socket, head, url) : false),
    close: () => close(),
  });
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
    fastify,
    attach(server, attachOptions = {}) {
      if (attachOptions.requests !== false) {
        server.on('request', (req: IncomingMessage, res: ServerResponse) => {
          if (!handleRequest(req, res)) sendJson(res, 404, JSON.stringify({ error: `no route for ${clip(req.method ?? '')} ${clip(requestUrl(req)?.pathname ?? '', 200)}` }));
        });
      }
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
    emitToPrincipal(principal) {
      const owner = gate.ownerOf(principal);
      return fanOut(() => core.store.sessionsOf(owner));
    },
    broadcast() {
      return fanOut(() => core.store.sessionsOf(undefined));
    },
    endSession(id) {
      return core.end(id);
    },
    stats() {
      return { ...core.stats(), connections: { websocket: ws?.connections ?? 0, sse: sse?.connections ?? 0, poll: poll?.waiting ?? 0 } };
    },
    close,
  };
}

/** A2: a history endpoint's `authorize`, asked with the principal of an admitted request. */
function authorizeOf(authorize: Authorize<unknown, Readonly<Record<string, string>>> | undefined, identity: Identity): HistoryRoute<HistoryItem>['authorize'] {
  if (!authorize) return undefined;
  return async (params) => {
    const verdict = await authorize(identity.principal, params);
    if (typeof verdict === 'boolean') return verdict;
    const refused = refusalOf(verdict);
    return { status: refused.status, code: refused.code, message: refused.message };
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
