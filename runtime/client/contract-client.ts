/**
 * The client of a contract, generic in its types: typed `on.<message>(handler)` for every
 * server-to-client message, `send.<message>(payload)` for every client-to-server application
 * message (validated before it leaves), a history view per endpoint (W3–W5), connection state and
 * events, over the client core. Its surface is derived from the contract's `ProtocolTypes`, so a
 * generated client.ts is a facade of type aliases and one factory call.
 */
import type { FrameOf, PayloadOf, ProtocolDescriptor, ProtocolTypes, TransportKind } from '../contract.js';
import type { BackoffOptions } from './backoff.js';
import { createClientCore, type ClientAuth, type ClientEvent, type ConnectionState } from './client-core.js';
import { createHistoryView, type HistoryPage, type HistoryView } from './history.js';
import type { EventSourceConstructor, WebSocketConstructor } from './transport.js';
import type { Validator } from '../validation.js';

type Messages<P extends ProtocolTypes> = P['messages'];
type Contract<P extends ProtocolTypes> = P['contract'];

export interface ContractClientOptions<P extends ProtocolTypes> {
  /** http(s) URL of the server, with any base path, e.g. "https://example.com/api". */
  readonly url: string;
  /** "auto" (default) tries WebSocket, then SSE, then polling, moving on when one cannot connect. */
  readonly transport?: 'auto' | (keyof Contract<P>['transports'] & TransportKind) | undefined;
  /** WebSocket implementation; the global one in browsers, the `ws` package in Node 20. */
  readonly WebSocket?: WebSocketConstructor | undefined;
  /** EventSource implementation (default: the global one when present; otherwise SSE is read with fetch). */
  readonly EventSource?: EventSourceConstructor | undefined;
  /** fetch implementation (default: the global one). */
  readonly fetch?: typeof fetch | undefined;
  /** H2: protocol versions to offer (default: all of the contract's). */
  readonly versions?: readonly Contract<P>['protocolVersions'][number][] | undefined;
  /** Reconnect delays (exponential with full jitter). */
  readonly backoff?: BackoffOptions | undefined;
  /** R3: after resume_failed, start a new session (default) or stop. */
  readonly onResumeFailed?: 'new-session' | 'stop' | undefined;
  /** Q5: acknowledge after this many messages (default 100). */
  readonly ackEvery?: number | undefined;
  /** Q5: …or this long after the first unacknowledged one (default 1000 ms). */
  readonly ackAfterMs?: number | undefined;
  /** Connect at once (default true). */
  readonly autoConnect?: boolean | undefined;
  /** How long without any frame, while reconnecting, before a `stalled` event (default 30 000 ms). */
  readonly stallMs?: number | undefined;
  /**
   * A1: the application's credentials: request headers (`{ authorization: 'Bearer …' }`), or a
   * function giving them that is called before every connection attempt, so a refreshed token is
   * used. Sent on every fetch (SSE, poll, POST, history) and, where the WebSocket implementation
   * takes headers (`ws`), on the upgrade; a browser WebSocket sends cookies only.
   */
  readonly auth?: ClientAuth | undefined;
  /** A1: send cookies cross-origin (fetch `credentials: 'include'`, `EventSource` `withCredentials`). */
  readonly withCredentials?: boolean | undefined;
}

/** Q4: one method per server-to-client message; data handlers run once per message, in seq order. Each returns an unsubscribe function. */
export type Listeners<P extends ProtocolTypes> = {
  readonly [K in keyof Messages<P> as Messages<P>[K] extends { readonly direction: 'server-to-client' } ? K : never]: (handler: (message: FrameOf<Messages<P>[K]>) => void) => () => void;
};

export interface SendOptions {
  /** Echoed in a protocol.error about this frame. */
  readonly requestId?: string;
}

/** C4: the frame of the message `M` declares as its reply (`x-message.reply`), or void when it declares none. */
export type ReplyOf<P extends ProtocolTypes, M> = M extends { readonly reply: infer R } ? FrameOf<Extract<Messages<P>[keyof Messages<P>], { readonly type: R }>> : void;

/**
 * S5/C1–C4: one method per client-to-server application message; each validates the frame before
 * it leaves, fills in header.session_id and header.cseq, and keeps the frame until the server
 * acknowledges it (sending it again after a reconnect). It resolves on the acknowledgement — to
 * the reply frame when the message declares one — and rejects with ClientSendError: `session_lost`
 * (the session could not be resumed; `maybeHandled` says whether the server may have handled it),
 * `handler_failed` (the handler of a message with a reply threw), `closed`, `invalid_message`.
 */
export type Senders<P extends ProtocolTypes> = {
  readonly [K in keyof Messages<P> as Messages<P>[K] extends { readonly direction: 'client-to-server'; readonly kernel: false } ? K : never]: (
    payload: PayloadOf<Messages<P>[K]>,
    options?: SendOptions,
  ) => Promise<ReplyOf<P, Messages<P>[K]>>;
};

export interface HistoryViewOptions {
  /** Items per page (default 50, at most the endpoint's maxLimit). */
  readonly pageSize?: number;
  /** Extra request headers (e.g. authorization). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** W3–W5: a history view per endpoint (fresh load, tail sync that never moves the cursor back, showEarlier with hasEarlier from seq > 1). */
export type HistoryViews<P extends ProtocolTypes> = {
  readonly [K in keyof P['history']]: (params: { readonly [N in P['history'][K]['pathParams'][number]['name']]: string }, options?: HistoryViewOptions) => HistoryView<P['history'][K]['item']>;
};

export interface ContractClient<P extends ProtocolTypes> {
  readonly on: Listeners<P>;
  readonly send: Senders<P>;
  readonly history: HistoryViews<P>;
  readonly state: ConnectionState;
  readonly transport: TransportKind | undefined;
  readonly sessionId: string | undefined;
  readonly protocolVersion: string | undefined;
  /** R4: the last seq delivered — the resume cursor. */
  readonly lastSeenSeq: number;
  /** C2: the highest cseq of this session the server acknowledged. */
  readonly acked: number;
  /** Connection state, session, resume-failed, error, sequence and (A3) unauthorized / forbidden events. */
  onEvent(handler: (event: ClientEvent) => void): () => void;
  connect(): void;
  /** Drops the connection and resumes at once. */
  reconnect(): void;
  close(): void;
}

/**
 * The client of a contract, typed by its `ProtocolTypes` (generated contract.ts declares them). A
 * generated client is this, for its own contract: `createContractClient<AgentUiProtocol>({ contract, validators }, options)`.
 */
export function createContractClient<P extends ProtocolTypes>(protocol: ProtocolDescriptor, options: ContractClientOptions<P>): ContractClient<P> {
  const { contract, validators } = protocol;
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const core = createClientCore({
    contract,
    validators,
    env: {
      baseUrl: options.url,
      fetch: fetchImpl,
      WebSocket: options.WebSocket,
      EventSource: options.EventSource ?? (globalThis as { EventSource?: EventSourceConstructor }).EventSource,
      withCredentials: options.withCredentials,
    },
    auth: options.auth,
    transport: options.transport,
    versions: options.versions,
    backoff: options.backoff,
    onResumeFailed: options.onResumeFailed,
    ackEvery: options.ackEvery,
    ackAfterMs: options.ackAfterMs,
    autoConnect: options.autoConnect,
    stallMs: options.stallMs,
  });

  const on: Record<string, (handler: (frame: never) => void) => () => void> = {};
  const send: Record<string, (payload: unknown, sendOptions?: SendOptions) => Promise<unknown>> = {};
  for (const m of Object.values(contract.messages)) {
    const type = m.type;
    if (m.direction === 'server-to-client') on[m.member] = (handler) => core.on(type, handler);
    else if (!m.kernel) send[m.member] = (payload, sendOptions) => core.send(type, payload, sendOptions);
  }
  // A1: history reads carry the same credentials (the auth function is asked for each read).
  const historyFetch: typeof fetch = async (input, init = {}) => {
    const auth = typeof options.auth === 'function' ? await options.auth() : options.auth;
    return fetchImpl(input, { ...init, headers: { ...auth, ...(init.headers as Record<string, string> | undefined) }, ...(options.withCredentials ? { credentials: 'include' } : {}) });
  };
  const history: Record<string, (params: Readonly<Record<string, string>>, viewOptions?: HistoryViewOptions) => HistoryView<{ readonly seq: number }>> = {};
  for (const endpoint of Object.values(contract.history)) {
    const validateResponse = validators.history[endpoint.name] as Validator<HistoryPage<{ readonly seq: number }>> | undefined;
    if (!validateResponse) throw new Error(`contractgen runtime: no response validator for history endpoint ${endpoint.name}`);
    const pageSize = Math.min(50, endpoint.maxLimit ?? 50);
    history[endpoint.name] = (params, viewOptions = {}) => createHistoryView({ baseUrl: options.url, fetch: historyFetch, endpoint, validateResponse, headers: viewOptions.headers }, params, viewOptions.pageSize ?? pageSize);
  }

  return {
    // Built from the contract's catalogue: one entry per message of the kind each map selects.
    on: on as Listeners<P>,
    send: send as Senders<P>,
    history: history as HistoryViews<P>,
    get state() {
      return core.state;
    },
    get transport() {
      return core.transport;
    },
    get sessionId() {
      return core.sessionId;
    },
    get protocolVersion() {
      return core.protocolVersion;
    },
    get lastSeenSeq() {
      return core.lastSeenSeq;
    },
    get acked() {
      return core.acked;
    },
    onEvent: (handler) => core.onEvent(handler),
    connect: () => core.connect(),
    reconnect: () => core.reconnect(),
    close: () => core.close(),
  };
}
