/**
 * Helpers for the server suites: a real agent-ui server on 127.0.0.1 port 0 (the generated
 * contract and validators on the runtime's createContractServer, so a test can shrink the TTL, the
 * replay window or the poll hold), and three raw clients — a WebSocket with a frame queue, an SSE
 * reader over fetch streaming and a long-poll loop — behind one `Channel` shape so that a test
 * can be written once and run over every transport. Everything made here is closed by
 * `cleanup()`: call it in afterEach.
 */
import type { MemorySessionStore } from '../../runtime/server/memory-store.js';
import type http from 'node:http';
import { expect } from 'vitest';
import WebSocket from 'ws';
import type { AgentUiHandlers } from '../../generated/server.js';
import type { HistoryChunk } from '../../generated/types.js';
import type { ContractDescriptor, TransportKind } from '../../runtime/contract.js';
import { createContractServer, type ContractServer, type HandlerContext } from '../../runtime/server/contract-server.js';
import type { HistoryStore } from '../../runtime/server/history.js';
import { validateProtocolResumed, validateProtocolResumeFailed } from '../../generated/validators.js';
import { canonicalContract, contractWith, protocolWith, type AgentUiProtocol, type ContractPatch } from '../support/contract.js';
import { closeHttp, serve, target, type Mountable, type Target } from '../support/http.js';
import { cleanup, keepAcrossTests, onCleanup, sleep, waitFor } from '../support/lifecycle.js';

export { canonicalContract, cleanup, closeHttp, contractWith, keepAcrossTests, onCleanup, serve, sleep, target, waitFor, type ContractPatch, type Mountable, type Target };
export { listen } from '../support/http.js';
export type Kind = TransportKind;
export const KINDS: readonly Kind[] = ['websocket', 'sse', 'poll'];

/** A frame as the client sees it (parsed JSON). */
export interface Frame {
  readonly type: string;
  readonly header: Record<string, any>;
  readonly payload: Record<string, any>;
}

export const isData = (f: Frame): boolean => typeof f.header.seq === 'number';

// ---------------------------------------------------------------------------------------------
// The server

/**
 * Short TTL, heartbeat and poll hold, for the expiry and heartbeat tests: the core sweeps every
 * min(heartbeatMs, max(1000, ttlMs / 4)) = 300 ms; a poll attachment lapses holdMs + heartbeatMs
 * = 700 ms after its last answer.
 */
export const FAST: ContractPatch = { session: { ttlMs: 1500 }, heartbeatMs: 300, transports: { poll: { path: '/poll', messagesPath: '/messages', holdMs: 400 } } };

export type Ctx = HandlerContext<AgentUiProtocol>;

export interface ServerSetup {
  readonly contract?: ContractPatch;
  /** Override the default handlers (see `startServer`). */
  readonly handlers?: Partial<AgentUiHandlers>;
  readonly history?: HistoryStore<HistoryChunk>;
}

export interface TestServer {
  readonly app: ContractServer<AgentUiProtocol>;
  readonly http: http.Server;
  readonly contract: ContractDescriptor;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** `ws://127.0.0.1:<port>` */
  readonly wsOrigin: string;
  /** Every application message a handler saw, in order. */
  readonly handled: { readonly type: string; readonly sessionId: string; readonly text?: string }[];
  /** Errors reported to onError. */
  readonly errors: unknown[];
  /** The URL of every HTTP request, recorded after the contract server handled it synchronously. */
  readonly requests: string[];
  /** Resolves once a poll for `sessionId` with this cursor has reached the server (and is held, if it has nothing to answer). */
  pollArrived(sessionId: string, cursor: number): Promise<void>;
  /** Emits `n` agent.event data messages on a session from outside a handler; returns their seqs. */
  emit(sessionId: string, n: number): Promise<number>[];
  latestSeq(sessionId: string): number;
  /** The transport of the session's live attachment (undefined when detached or gone). */
  transportOf(sessionId: string): Kind | undefined;
  /** Whether the session is still live in the registry. */
  alive(sessionId: string): boolean;
  close(): Promise<void>;
}

let emitted = 0;
function agentEvent(conversation: string, text: string) {
  return { conversation_id: conversation, turn_id: 't-1', kind: 'text' as const, text };
}

/**
 * Starts the agent-ui contract on a bare http.Server bound to 127.0.0.1:0. Default handlers:
 * `chat.send` with text `"<n>"` emits n agent.events (text `"throw"` throws); `ui.action` does
 * nothing. Both record what they saw in `handled`.
 */
export async function startServer(setup: ServerSetup = {}): Promise<TestServer> {
  const contract = contractWith(setup.contract ?? {});
  const handled: { type: string; sessionId: string; text?: string }[] = [];
  const errors: unknown[] = [];
  const defaults: AgentUiHandlers = {
    chatSend(message, ctx) {
      handled.push({ type: message.type, sessionId: ctx.session.id, text: message.payload.text });
      if (message.payload.text === 'throw') throw new Error('handler exploded on purpose');
      const n = Number(message.payload.text) || 1;
      for (let i = 0; i < n; i++) ctx.emit.agentEvent(agentEvent(message.payload.conversation_id, `reply ${++emitted}`));
    },
    uiAction(message, ctx) {
      handled.push({ type: message.type, sessionId: ctx.session.id });
    },
    onError(error) {
      errors.push(error);
    },
  };
  const handlers: AgentUiHandlers = { ...defaults, ...setup.handlers };
  const app = createContractServer<AgentUiProtocol>(protocolWith(contract), { handlers, ...(setup.history ? { history: { conversationHistory: setup.history } } : {}) });
  const { server, port: listening } = await serve(app);
  const requests: string[] = [];
  server.on('request', (req: http.IncomingMessage) => requests.push(req.url ?? ''));
  const close = async (): Promise<void> => {
    app.close();
    await closeHttp(server);
  };
  return {
    app,
    http: server,
    contract,
    origin: `http://127.0.0.1:${listening}`,
    wsOrigin: `ws://127.0.0.1:${listening}`,
    handled,
    errors,
    requests,
    pollArrived(sessionId, cursor) {
      const path = contract.transports.poll!.path;
      return waitFor(() => requests.some((u) => u.startsWith(`${path}?`) && u.includes(`session_id=${sessionId}`) && u.includes(`cursor=${cursor}`)), `a poll of ${sessionId} at cursor ${cursor}`);
    },
    emit(sessionId, n) {
      const ctx = app.session(sessionId);
      if (!ctx) throw new Error(`no live session ${sessionId}`);
      return Array.from({ length: n }, () => ctx.emit.agentEvent(agentEvent('c-1', `pushed ${++emitted}`)));
    },
    latestSeq: (id) => (app.core.store as MemorySessionStore).peek(id)?.latestSeq ?? -1,
    transportOf: (id) => app.core.local(id)?.attachment?.kind,
    alive: (id) => (app.core.store as MemorySessionStore).peek(id) !== undefined,
    close,
  };
}

// ---------------------------------------------------------------------------------------------
// A frame queue with typed waits, shared by the three clients

export interface EndInfo {
  /** WebSocket close code. */
  readonly code?: number;
  readonly reason?: string;
  /** HTTP status of the last poll answer. */
  readonly status?: number;
}

class FrameQueue {
  readonly log: Frame[] = [];
  private readonly queue: Frame[] = [];
  private waiter: (() => void) | undefined;
  private finished = false;

  push(frame: Frame): void {
    this.log.push(frame);
    this.queue.push(frame);
    this.wake();
  }

  finish(): void {
    this.finished = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Frames that arrived and were not taken yet (heartbeats excluded). */
  pending(): Frame[] {
    return this.queue.filter((f) => f.type !== 'protocol.heartbeat');
  }

  /**
   * The next frame; heartbeats are skipped unless `type` is protocol.heartbeat. With `type`, a
   * different frame is an error that shows what came instead.
   */
  async next(kind: string, type?: string, timeoutMs = 3000): Promise<Frame> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const wantHeartbeat = type === 'protocol.heartbeat';
      while (this.queue.length > 0) {
        const f = this.queue.shift()!;
        if (f.type === 'protocol.heartbeat' && !wantHeartbeat) continue;
        if (type !== undefined && f.type !== type) throw new Error(`${kind}: expected ${type}, got ${JSON.stringify(f)}`);
        return f;
      }
      if (this.finished) throw new Error(`${kind}: the connection ended while waiting for ${type ?? 'a frame'}; received ${JSON.stringify(this.log.map((f) => f.type))}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`${kind}: no ${type ?? 'frame'} within ${timeoutMs} ms; received ${JSON.stringify(this.log.map((f) => f.type))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Channels: one attachment of one client over one transport

export interface SendResult {
  /** HTTP status of the POST (202 accepted); 0 over WebSocket. */
  readonly status: number;
  /** The answer body of the POST. */
  readonly body?: { accepted: number; frames: Frame[] };
}

export interface Channel {
  readonly kind: Kind;
  /** HTTP status of the first answer (101 for a WebSocket upgrade; poll: 0 until it came). */
  readonly status: number;
  /** Every frame received, in order (heartbeats included). */
  readonly log: readonly Frame[];
  /** The next frame (see FrameQueue.next). */
  next(type?: string, timeoutMs?: number): Promise<Frame>;
  /** The next `n` frames, each of which must be a data frame. */
  data(n: number): Promise<Frame[]>;
  /** Asserts that no frame (heartbeats aside) arrives within `ms`. */
  idle(ms?: number): Promise<void>;
  /** Sends a client frame: over the socket (WebSocket) or by POST with the bearer token. */
  send(frame: object | string, token?: string): Promise<SendResult>;
  /** Forced disconnect: destroy the socket / abort the request, no goodbye. */
  drop(): void;
  /** Resolves when the server ended the attachment (close, end of stream, poll refused/superseded). */
  readonly ended: Promise<EndInfo>;
  /** SSE only: the `id:` of an event, by frame. */
  idOf(frame: Frame): string | undefined;
  /** SSE only: comment lines received (heartbeats). */
  readonly comments: readonly string[];
}

export interface ConnectOptions {
  /** `versions` query value; default "1.0,1.1". Pass null to leave it out. */
  readonly versions?: string | null;
}

export interface ResumeOptions extends ConnectOptions {
  readonly sessionId: string;
  readonly token: string;
  readonly lastSeenSeq: number;
  /** SSE: send this as Last-Event-ID (it wins over last_seen_seq). */
  readonly lastEventId?: string;
  /** Poll: put the token in the query (resume_token) instead of Authorization. */
  readonly tokenInQuery?: boolean;
}

function versionsQuery(o: ConnectOptions): string {
  const v = o.versions === undefined ? '1.0,1.1' : o.versions;
  return v === null ? '' : `versions=${encodeURIComponent(v)}`;
}

function qs(parts: (string | undefined)[]): string {
  const s = parts.filter((p) => p !== undefined && p !== '').join('&');
  return s ? `?${s}` : '';
}

/** POSTs frames to the messages endpoint. */
export async function postMessages(server: Target, body: object | string, token?: string, extraHeaders: Record<string, string> = {}): Promise<SendResult> {
  const path = server.contract.transports.sse?.messagesPath ?? server.contract.transports.poll!.messagesPath;
  const res = await fetch(server.origin + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...extraHeaders },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

// --- WebSocket --------------------------------------------------------------------------------

export interface WsChannel extends Channel {
  readonly ws: WebSocket;
  sendBinary(data: Buffer): void;
}

export async function connectWs(server: Target, query: string, options: WebSocket.ClientOptions = {}): Promise<WsChannel> {
  const ws = new WebSocket(`${server.wsOrigin}${server.contract.transports.websocket!.path}${query}`, options);
  const q = new FrameQueue();
  let endInfo: EndInfo | undefined;
  const ended = new Promise<EndInfo>((resolve) =>
    ws.on('close', (code, reason) => {
      endInfo = { code, reason: reason.toString() };
      q.finish();
      resolve(endInfo);
    }),
  );
  ws.on('message', (data, isBinary) => {
    if (isBinary) throw new Error('the server sent a binary frame');
    q.push(JSON.parse(data.toString()) as Frame);
  });
  ws.on('error', () => {
    /* 'close' follows */
  });
  onCleanup(() => ws.terminate());
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const ch: WsChannel = {
    kind: 'websocket',
    status: 101,
    ws,
    log: q.log,
    next: (type, t) => q.next('websocket', type, t),
    data: (n) => takeData(ch, n),
    idle: (ms) => idle(q, 'websocket', ms),
    async send(frame) {
      ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
      return { status: 0 };
    },
    sendBinary: (data) => ws.send(data, { binary: true }),
    drop: () => ws.terminate(),
    ended,
    idOf: () => undefined,
    comments: [],
  };
  return ch;
}

// --- SSE --------------------------------------------------------------------------------------

export async function connectSse(server: Target, query: string, headers: Record<string, string> = {}): Promise<Channel> {
  const abort = new AbortController();
  const res = await fetch(`${server.origin}${server.contract.transports.sse!.path}${query}`, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  onCleanup(() => abort.abort());
  const q = new FrameQueue();
  const ids = new WeakMap<Frame, string>();
  const comments: string[] = [];
  let resolveEnded!: (e: EndInfo) => void;
  const ended = new Promise<EndInfo>((r) => (resolveEnded = r));
  const contentType = res.headers.get('content-type') ?? '';
  if (!contentType.startsWith('text/event-stream')) {
    // Not a stream: keep the JSON body's frames so a test can look at them.
    const body = (await res.json()) as { frames?: Frame[] };
    for (const f of body.frames ?? []) q.push(f);
    q.finish();
    resolveEnded({ status: res.status });
  } else {
    void (async () => {
      let buffer = '';
      let id: string | undefined;
      let data: string[] = [];
      try {
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let nl: number;
          while ((nl = buffer.indexOf('\n')) >= 0) {
            const line = buffer.slice(0, nl);
            buffer = buffer.slice(nl + 1);
            if (line === '') {
              if (data.length > 0) {
                const frame = JSON.parse(data.join('\n')) as Frame;
                if (id !== undefined) ids.set(frame, id);
                q.push(frame);
              }
              id = undefined;
              data = [];
            } else if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id:')) id = line.slice(3).trim();
            else if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
            else if (line.startsWith('retry:')) continue; // a reconnection delay (an overloaded refusal)
            else throw new Error(`unexpected SSE line ${JSON.stringify(line)}`);
          }
        }
      } catch {
        /* aborted */
      }
      q.finish();
      resolveEnded({ status: res.status });
    })();
  }
  const ch: Channel = {
    kind: 'sse',
    status: res.status,
    log: q.log,
    next: (type, t) => q.next('sse', type, t),
    data: (n) => takeData(ch, n),
    idle: (ms) => idle(q, 'sse', ms),
    async send(frame, token) {
      return postMessages(server, frame, token);
    },
    drop: () => abort.abort(),
    ended,
    idOf: (f) => ids.get(f),
    comments,
  };
  return ch;
}

// --- Poll -------------------------------------------------------------------------------------

export interface PollAnswer {
  readonly status: number;
  readonly frames: Frame[];
}

/** One GET of the poll path. */
export async function pollOnce(server: Target, query: string, token?: string, signal?: AbortSignal): Promise<PollAnswer> {
  const res = await fetch(`${server.origin}${server.contract.transports.poll!.path}${query}`, {
    headers: token !== undefined ? { authorization: `Bearer ${token}` } : {},
    ...(signal ? { signal } : {}),
  });
  const body = (await res.json()) as { frames: Frame[] };
  return { status: res.status, frames: body.frames };
}

export interface PollChannel extends Channel {
  /** Status of every answer, in order. */
  readonly statuses: readonly number[];
}

const TERMINAL = (f: Frame): boolean =>
  f.type === 'protocol.resume_failed' || (f.type === 'protocol.error' && ['superseded', 'unsupported_version', 'session_expired'].includes(f.payload.code));

/**
 * A long-poll client: the first GET opens or resumes, then it polls again and again with the
 * cursor = the last data seq received, until it is dropped, refused or superseded.
 */
export function connectPoll(server: Target, first: { query: string; token?: string; cursor: number }): PollChannel {
  const q = new FrameQueue();
  const statuses: number[] = [];
  let abort = new AbortController();
  let stopped = false;
  onCleanup(() => {
    stopped = true;
    abort.abort();
  });
  let resolveEnded!: (e: EndInfo) => void;
  const ended = new Promise<EndInfo>((r) => (resolveEnded = r));
  let token = first.token;
  let sessionId: string | undefined;
  let cursor = first.cursor;

  const take = (answer: PollAnswer): boolean => {
    statuses.push(answer.status);
    let terminal = answer.status !== 200;
    for (const f of answer.frames) {
      if (f.type === 'protocol.hello') {
        token = f.payload.resume_token;
        sessionId = f.payload.session_id;
      }
      if (isData(f)) cursor = f.header.seq;
      if (TERMINAL(f)) terminal = true;
      q.push(f);
    }
    return terminal;
  };

  // The loop runs in the background: a first poll that continues a live attachment is held
  // until data arrives, so connecting must not wait for its answer.
  void (async () => {
    let query = first.query;
    let tok = first.token;
    let last = 0;
    while (!stopped) {
      try {
        const a = await pollOnce(server, query, tok, abort.signal);
        last = a.status;
        if (take(a)) break;
      } catch {
        break; // aborted
      }
      sessionId ??= /session_id=([^&]+)/.exec(first.query)?.[1];
      query = qs([`session_id=${sessionId}`, `cursor=${cursor}`]);
      tok = token;
    }
    q.finish();
    resolveEnded({ status: last });
  })();
  const ch: PollChannel = {
    kind: 'poll',
    get status() {
      return statuses[0] ?? 0;
    },
    statuses,
    log: q.log,
    next: (type, t) => q.next('poll', type, t),
    data: (n) => takeData(ch, n),
    idle: (ms) => idle(q, 'poll', ms),
    async send(frame, tok) {
      return postMessages(server, frame, tok ?? token);
    },
    drop() {
      stopped = true;
      abort.abort();
      abort = new AbortController();
    },
    ended,
    idOf: () => undefined,
    comments: [],
  };
  return ch;
}

// --- Open / resume over any transport ----------------------------------------------------------

/** A new session over `kind` (the hello is not consumed). */
export async function openChannel(server: Target, kind: Kind, o: ConnectOptions = {}): Promise<Channel> {
  const query = qs([versionsQuery(o)]);
  switch (kind) {
    case 'websocket':
      return connectWs(server, query);
    case 'sse':
      return connectSse(server, query);
    case 'poll':
      return connectPoll(server, { query, cursor: 0 });
  }
}

/** A resume over `kind`: the WebSocket protocol.resume frame, SSE query (or Last-Event-ID), poll cursor. */
export async function resumeChannel(server: Target, kind: Kind, o: ResumeOptions): Promise<Channel> {
  switch (kind) {
    case 'websocket': {
      const ch = await connectWs(server, qs([versionsQuery(o), `session_id=${encodeURIComponent(o.sessionId)}`]));
      await ch.send({ type: 'protocol.resume', header: { session_id: o.sessionId }, payload: { resume_token: o.token, last_seen_seq: o.lastSeenSeq } });
      return ch;
    }
    case 'sse':
      return connectSse(
        server,
        qs([versionsQuery(o), `session_id=${encodeURIComponent(o.sessionId)}`, `resume_token=${encodeURIComponent(o.token)}`, `last_seen_seq=${o.lastSeenSeq}`]),
        o.lastEventId !== undefined ? { 'last-event-id': o.lastEventId } : {},
      );
    case 'poll':
      return connectPoll(server, {
        query: qs([versionsQuery(o), `session_id=${encodeURIComponent(o.sessionId)}`, `cursor=${o.lastSeenSeq}`, o.tokenInQuery ? `resume_token=${encodeURIComponent(o.token)}` : undefined]),
        ...(o.tokenInQuery ? {} : { token: o.token }),
        cursor: o.lastSeenSeq,
      });
  }
}

export interface OpenSession {
  readonly ch: Channel;
  readonly hello: Frame;
  readonly sessionId: string;
  readonly token: string;
}

/** Opens a new session over `kind` and reads its hello. */
export async function openSession(server: Target, kind: Kind, o: ConnectOptions = {}): Promise<OpenSession> {
  const ch = await openChannel(server, kind, o);
  const hello = await ch.next('protocol.hello');
  return { ch, hello, sessionId: hello.payload.session_id, token: hello.payload.resume_token };
}

async function takeData(ch: Channel, n: number): Promise<Frame[]> {
  const out: Frame[] = [];
  while (out.length < n) {
    const f = await ch.next();
    if (!isData(f)) throw new Error(`${ch.kind}: expected data frame #${out.length + 1} of ${n}, got ${JSON.stringify(f)}`);
    out.push(f);
  }
  return out;
}

async function idle(q: FrameQueue, kind: string, ms = 200): Promise<void> {
  await sleep(ms);
  const extra = q.pending();
  if (extra.length > 0) throw new Error(`${kind}: expected nothing more, got ${JSON.stringify(extra)}`);
}

export const seqsOf = (frames: readonly Frame[]): number[] => frames.map((f) => f.header.seq as number);
export const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** A chat.send frame that makes the default handler emit `n` agent.events. */
export function chatSend(sessionId: string | undefined, n: number | string = 1, extraHeader: Record<string, unknown> = {}): object {
  return { type: 'chat.send', header: { ...(sessionId !== undefined ? { session_id: sessionId } : {}), ...extraHeader }, payload: { conversation_id: 'c-1', text: String(n) } };
}

/** A well-formed session id / token that no server ever issued. */
export const FAKE_SESSION_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
export const FAKE_TOKEN = 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

// ---------------------------------------------------------------------------------------------
// Resume answers, as every transport gives them

/** R2 on a resume that is not a poll continuation: hello, then resumed, then the replay. */
export async function expectResumed(ch: Channel, sessionId: string, fromSeq: number, latestSeq: number): Promise<Frame[]> {
  const hello = await ch.next('protocol.hello');
  expect(hello.payload.session_id).toBe(sessionId);
  expect(hello.payload.latest_seq).toBe(latestSeq);
  const resumed = await ch.next('protocol.resumed');
  expect(validateProtocolResumed(resumed).ok).toBe(true);
  expect(resumed.payload).toEqual({ from_seq: fromSeq, latest_seq: latestSeq });
  expect(resumed.header).toEqual({ session_id: sessionId, latest_seq: latestSeq });
  return ch.data(latestSeq - fromSeq + 1);
}

export const REFUSAL_STATUS = { window_exceeded: 410, invalid_cursor: 400, session_expired: 410, unknown_session: 404 } as const;

/** R3/S3/S4: the refusal as each transport gives it; returns the frame. */
export async function expectRefused(ch: Channel, reason: keyof typeof REFUSAL_STATUS): Promise<Frame> {
  const f = await ch.next('protocol.resume_failed');
  expect(validateProtocolResumeFailed(f).ok).toBe(true);
  expect(f.payload.reason).toBe(reason);
  expect(f.header).toEqual({});
  const end = await ch.ended;
  if (ch.kind === 'websocket') expect(end.code).toBe(4003);
  if (ch.kind === 'sse') expect(ch.status).toBe(200);
  if (ch.kind === 'poll') expect(ch.status).toBe(REFUSAL_STATUS[reason]);
  expect(ch.log.filter((x) => x.type !== 'protocol.resume_failed')).toEqual([]); // never a partial replay
  return f;
}
