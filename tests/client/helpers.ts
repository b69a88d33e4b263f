/**
 * Shared helpers of the client suite: the generated server on a real port (optionally built from a
 * copy of the contract with other parameters), the generated client with `ws`, a recorder of what
 * the application sees, a TCP proxy that cuts connections on a seeded schedule, a hand-written
 * fake server that speaks the protocol (and misbehaves on request), and cleanup.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, connect, type AddressInfo, type Socket } from 'node:net';
import { WebSocket, WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { createAgentUiClient, type AgentUiClient, type AgentUiClientOptions } from '../../generated/client.js';
import type { ClientEvent } from '../../generated/runtime/client/client-core.js';
import type { WebSocketConstructor } from '../../generated/runtime/client/transport.js';
import type { ContractDescriptor, TransportKind } from '../../generated/runtime/contract.js';
import type { AgentUiHandlers, AgentUiServer } from '../../generated/server.js';
import type { AgentEvent, ChatSend, UiAction } from '../../generated/types.js';
import { createContractServer } from '../../runtime/server/contract-server.js';
import { contractWith, protocolWith, type AgentUiProtocol } from '../support/contract.js';
import { listenUntilCleanup } from '../support/http.js';
import { cleanup, onCleanup, sleep, waitFor } from '../support/lifecycle.js';

export { cleanup, contractWith, onCleanup, sleep, waitFor };

export const TRANSPORTS: readonly TransportKind[] = ['websocket', 'sse', 'poll'];

// ---------------------------------------------------------------------------------------------
// The generated server

/** The generated server's wiring (generated/server.ts) over any copy of the contract. */
export function createServerFor(c: ContractDescriptor, handlers: AgentUiHandlers): AgentUiServer {
  return createContractServer<AgentUiProtocol>(protocolWith(c), { handlers });
}

/** Listens on 127.0.0.1 on a free port; closed (with every connection) in cleanup. */
export const listen = (server: Server): Promise<{ readonly port: number; readonly url: string }> => listenUntilCleanup(server);

export interface RunningServer {
  readonly server: AgentUiServer;
  readonly http: Server;
  readonly port: number;
  readonly url: string;
  /** Client frames the handlers received, in order. */
  readonly received: (ChatSend | UiAction)[];
}

/** The generated server (canonical contract, or `contract` when given) on a real port. */
export async function startServer(options: { contract?: ContractDescriptor; handlers?: Partial<AgentUiHandlers> } = {}): Promise<RunningServer> {
  const received: (ChatSend | UiAction)[] = [];
  const handlers: AgentUiHandlers = {
    chatSend: (m) => void received.push(m),
    uiAction: (m) => void received.push(m),
    ...options.handlers,
  };
  const server = createServerFor(options.contract ?? protocolWith().contract, handlers);
  const http = createServer();
  server.attach(http);
  onCleanup(() => server.close());
  const { port, url } = await listen(http);
  return { server, http, port, url, received };
}

/** A sample agent.event payload. */
export const agentEvent = (i: number): AgentEvent['payload'] => ({ conversation_id: 'c-1', turn_id: 't-1', kind: 'text', text: `m${i}` });

// ---------------------------------------------------------------------------------------------
// The generated client and what the application sees

export function startClient(url: string, options: Partial<AgentUiClientOptions> = {}): AgentUiClient {
  const client = createAgentUiClient({
    url,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    backoff: { initialMs: 5, maxMs: 50 },
    ...options,
  });
  onCleanup(() => client.close());
  return client;
}

export interface Recording {
  /** header.seq of every agent.event the application got, in order. */
  readonly seqs: number[];
  /** Texts of the agent.events, in order. */
  readonly texts: string[];
  readonly events: ClientEvent[];
  ofKind<K extends ClientEvent['kind']>(kind: K): Extract<ClientEvent, { kind: K }>[];
  /** Open → reconnecting transitions: how often the client lost a connection it had. */
  readonly reconnects: number;
  /** A short summary for failure messages. */
  summary(): string;
}

export function record(client: AgentUiClient): Recording {
  const seqs: number[] = [];
  const texts: string[] = [];
  const events: ClientEvent[] = [];
  let reconnects = 0;
  let last: string | undefined;
  client.on.agentEvent((m) => {
    seqs.push(m.header.seq);
    texts.push(m.payload.text ?? '');
  });
  client.onEvent((e) => {
    events.push(e);
    if (e.kind === 'state') {
      if (last === 'open' && e.state === 'reconnecting') reconnects++;
      last = e.state;
    }
  });
  const rec: Recording = {
    seqs,
    texts,
    events,
    ofKind: <K extends ClientEvent['kind']>(kind: K) => events.filter((e): e is Extract<ClientEvent, { kind: K }> => e.kind === kind),
    get reconnects() {
      return reconnects;
    },
    summary() {
      const counts: Record<string, number> = {};
      for (const e of events) {
        const key = e.kind === 'state' ? `state:${e.state}` : e.kind === 'error' ? `error:${e.code}` : e.kind === 'sequence' ? `sequence:${e.verdict}` : e.kind;
        counts[key] = (counts[key] ?? 0) + 1;
      }
      return `${seqs.length} delivered (last ${seqs.at(-1) ?? 0}), state ${client.state}, events ${JSON.stringify(counts)}`;
    },
  };
  return rec;
}

/** Resolves with the next client event that matches. */
export function nextEvent<K extends ClientEvent['kind']>(client: AgentUiClient, kind: K, match: (e: Extract<ClientEvent, { kind: K }>) => boolean = () => true, timeoutMs = 5000): Promise<Extract<ClientEvent, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${kind} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.onEvent((e) => {
      if (e.kind === kind && match(e as Extract<ClientEvent, { kind: K }>)) {
        clearTimeout(timer);
        off();
        resolve(e as Extract<ClientEvent, { kind: K }>);
      }
    });
  });
}

/** [1, 2, …, n] */
export const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** Checks "exactly 1..n, in order, each once" and says where it first went wrong. */
export function sequenceProblem(seqs: readonly number[], n: number): string | undefined {
  for (let i = 0; i < seqs.length; i++) if (seqs[i] !== i + 1) return `position ${i} holds seq ${seqs[i]} (previous ${seqs[i - 1]})`;
  return seqs.length === n ? undefined : `got ${seqs.length} of ${n}`;
}

// ---------------------------------------------------------------------------------------------
// A chaos proxy

export interface ChaosProxyOptions {
  readonly targetPort: number;
  /** Seeded source of randomness: the schedule of cuts is a function of it. */
  readonly random: () => number;
  /** Mean bytes (both directions) a connection forwards before it is cut at that byte. */
  readonly meanBytes: number;
  /** A connection lives at most a random time in [minMs, maxMs] before it is cut. */
  readonly minMs: number;
  readonly maxMs: number;
}

export interface ChaosProxy {
  readonly port: number;
  readonly url: string;
  /** Connections cut by the proxy (both sockets destroyed). */
  readonly cuts: number;
  readonly connections: number;
  /** Whether cuts happen (on by default); off leaves the proxy a plain pipe. */
  chaos: boolean;
  /** While down, existing connections are cut and new ones refused (a network outage). */
  down: boolean;
  close(): Promise<void>;
}

/**
 * A TCP proxy that forwards bytes both ways and cuts each connection at a random byte (so frames,
 * HTTP bodies and WebSocket messages are cut in the middle) or after a random time, whichever
 * comes first, destroying both sockets.
 */
export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  const { random } = options;
  const live = new Set<() => void>();
  let down = false;
  let cuts = 0;
  let connections = 0;
  const server = createNetServer((downstream: Socket) => {
    connections++;
    if (down) {
      downstream.destroy();
      return;
    }
    const upstream = connect(options.targetPort, '127.0.0.1');
    let dead = false;
    let forwarded = 0;
    const budget = 1 + Math.floor(random() * 2 * options.meanBytes);
    const lifetime = options.minMs + Math.floor(random() * (options.maxMs - options.minMs));
    const kill = (): void => {
      if (dead) return;
      dead = true;
      live.delete(cut);
      clearTimeout(timer);
      downstream.destroy();
      upstream.destroy();
    };
    const cut = (): void => {
      if (dead) return;
      cuts++;
      kill();
    };
    live.add(cut);
    const timer = setTimeout(() => {
      if (proxy.chaos) cut();
    }, lifetime);
    const pipe = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (dead) return;
        if (proxy.chaos && forwarded + chunk.length >= budget) {
          // Forward the bytes up to the budget, then cut: the peer gets a partial frame.
          const part = chunk.subarray(0, budget - forwarded);
          forwarded = budget;
          cuts++;
          dead = true;
          live.delete(cut);
          clearTimeout(timer);
          from.pause();
          const finish = (): void => {
            downstream.destroy();
            upstream.destroy();
          };
          if (part.length > 0) to.write(part, finish);
          else finish();
          setTimeout(finish, 20); // if the write never completes
          return;
        }
        forwarded += chunk.length;
        to.write(chunk);
      });
      from.on('error', kill);
      from.on('close', kill);
    };
    pipe(downstream, upstream);
    pipe(upstream, downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const proxy: ChaosProxy = {
    port,
    url: `http://127.0.0.1:${port}`,
    get cuts() {
      return cuts;
    },
    get connections() {
      return connections;
    },
    chaos: true,
    get down() {
      return down;
    },
    set down(value: boolean) {
      down = value;
      if (value) for (const cut of [...live]) cut();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const cut of [...live]) cut();
        server.close(() => resolve());
      }),
  };
  onCleanup(() => proxy.close());
  return proxy;
}

/** CHAOS_SEED from the environment (to replay a failure), or a fresh one. */
export function chaosSeed(): number {
  const fromEnv = process.env.CHAOS_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (!Number.isSafeInteger(n)) throw new Error(`CHAOS_SEED must be an integer, got ${fromEnv}`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// A fake server that speaks the protocol by hand

export const FAKE_SESSION = 'fakeSession0123456789AB';
export const FAKE_TOKEN = 'fakeToken0123456789abcdefghijklmnopqrstuvwxyzABC';

type Json = Record<string, unknown>;

/** Frames as the protocol defines them, built by hand (not with the runtime's builders). */
export const frames = {
  hello: (o: { sessionId?: string; token?: string; latestSeq?: number; version?: string; heartbeatMs?: number } = {}): Json => ({
    type: 'protocol.hello',
    header: { session_id: o.sessionId ?? FAKE_SESSION },
    payload: {
      protocol_version: o.version ?? '1.1',
      session_id: o.sessionId ?? FAKE_SESSION,
      resume_token: o.token ?? FAKE_TOKEN,
      latest_seq: o.latestSeq ?? 0,
      replay_window: { max_messages: 1000, max_bytes: 1048576 },
      heartbeat_ms: o.heartbeatMs ?? 15000,
      session_ttl_ms: 120000,
      max_frame_bytes: 65536,
      transports: ['websocket', 'sse', 'poll'],
      capabilities: ['ack', 'history', 'resume'],
    },
  }),
  data: (seq: number, sessionId = FAKE_SESSION): Json => ({ type: 'agent.event', header: { session_id: sessionId, seq }, payload: agentEvent(seq) }),
  resumed: (fromSeq: number, latestSeq: number, sessionId = FAKE_SESSION): Json => ({ type: 'protocol.resumed', header: { session_id: sessionId, latest_seq: latestSeq }, payload: { from_seq: fromSeq, latest_seq: latestSeq } }),
  resumeFailed: (reason: string, extra: { earliest_seq?: number; latest_seq?: number } = {}): Json => ({ type: 'protocol.resume_failed', header: {}, payload: { reason, message: `resume refused: ${reason}`, ...extra } }),
  error: (code: string, extra: Json = {}): Json => ({ type: 'protocol.error', header: {}, payload: { code, message: `error: ${code}`, ...extra } }),
  heartbeat: (latestSeq: number, sessionId = FAKE_SESSION): Json => ({ type: 'protocol.heartbeat', header: { session_id: sessionId }, payload: { latest_seq: latestSeq } }),
};

/** What a fake connection does, step by step. */
export type Step =
  /** A frame, serialized as JSON (SSE adds `id:` for frames with header.seq). */
  | Json
  /** Raw text: a WebSocket message as is, or bytes written to the SSE stream as is. */
  | { readonly raw: string }
  /** Close cleanly (WebSocket close 1000, SSE end of stream). */
  | { readonly end: true }
  /** Drop the TCP connection (WebSocket terminate, SSE/poll socket destroyed). */
  | { readonly kill: true }
  /** Poll: answer with this HTTP status (default 200). */
  | { readonly status: number }
  /** Poll: send the first half of the JSON body, then drop the connection. */
  | { readonly truncate: true }
  /** Wait before the next step. */
  | { readonly wait: number };

export const END = { end: true } as const;
export const KILL = { kill: true } as const;

export interface FakeRequest {
  readonly kind: TransportKind;
  /** 1-based number of this connection (poll: of this GET) among all of the fake's. */
  readonly n: number;
  readonly versions: readonly string[] | undefined;
  /** R1: what the client resumes from (WS: its protocol.resume frame; SSE: query; poll: session_id and cursor). */
  readonly resume?: { readonly sessionId: string; readonly token: string | undefined; readonly lastSeenSeq: number };
}

export interface FakeServer {
  readonly url: string;
  /** Every request, in order. */
  readonly requests: FakeRequest[];
  /** Client frames received (WebSocket messages and POST bodies), parsed. */
  readonly received: Json[];
  /** Decides what each connection does. */
  plan: (req: FakeRequest) => Step[];
}

/** A correct answer to a resume from `lastSeen` when the server holds data 1..latest. */
export function resumeAnswer(lastSeen: number, latest: number, sessionId = FAKE_SESSION): Json[] {
  return [frames.hello({ sessionId, latestSeq: latest }), frames.resumed(lastSeen + 1, latest, sessionId), ...range(lastSeen + 1, latest).map((s) => frames.data(s, sessionId))];
}

/**
 * A node:http + `ws` server that speaks the protocol by hand: WebSocket on /ws, SSE on /events,
 * poll on /poll, POST on /messages. `plan(req)` decides every connection's frames. A poll plan
 * without frames is answered `{ frames: [] }` after `pollHoldMs`.
 */
export async function startFakeServer(plan: (req: FakeRequest) => Step[], options: { pollHoldMs?: number } = {}): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  const received: Json[] = [];
  const pollHoldMs = options.pollHoldMs ?? 50;
  const versionsOf = (url: URL): string[] | undefined => url.searchParams.get('versions')?.split(',');
  const cursorOf = (v: string | null): number => (v === null ? 0 : Number(v));

  const run = async (steps: Step[], io: { frame(f: Json): void; raw(t: string): void; end(): void; kill(): void }): Promise<void> => {
    for (const step of steps) {
      if ('wait' in step && typeof step.wait === 'number') await sleep(step.wait);
      else if ('raw' in step && typeof step.raw === 'string') io.raw(step.raw);
      else if ('end' in step && step.end === true) return io.end();
      else if ('kill' in step && step.kill === true) return io.kill();
      else io.frame(step as Json);
    }
  };

  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/messages' && req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        const parsed = JSON.parse(body) as Json | Json[];
        received.push(...(Array.isArray(parsed) ? parsed : [parsed]));
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ accepted: 1, frames: [] }));
      });
      return;
    }
    if (url.pathname === '/events') {
      const sessionId = url.searchParams.get('session_id');
      const request: FakeRequest = {
        kind: 'sse',
        n: requests.length + 1,
        versions: versionsOf(url),
        ...(sessionId ? { resume: { sessionId, token: url.searchParams.get('resume_token') ?? undefined, lastSeenSeq: cursorOf(url.searchParams.get('last_seen_seq')) } } : {}),
      };
      requests.push(request);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.flushHeaders();
      void run(fake.plan(request), {
        frame: (f) => res.write(`${typeof (f.header as Json | undefined)?.seq === 'number' ? `id: ${(f.header as Json).seq}\n` : ''}data: ${JSON.stringify(f)}\n\n`),
        raw: (t) => res.write(t),
        end: () => res.end(),
        // Drop the connection once what was written before has left (destroy discards buffered bytes).
        kill: () => void res.socket?.write('', () => res.socket?.destroy()),
      });
      return;
    }
    if (url.pathname === '/poll') {
      const sessionId = url.searchParams.get('session_id');
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const request: FakeRequest = {
        kind: 'poll',
        n: requests.length + 1,
        versions: versionsOf(url),
        ...(sessionId ? { resume: { sessionId, token: auth, lastSeenSeq: cursorOf(url.searchParams.get('cursor')) } } : {}),
      };
      requests.push(request);
      const steps = fake.plan(request);
      const out: Json[] = [];
      let status = 200;
      let truncate = false;
      let kill = false;
      void (async () => {
        for (const step of steps) {
          if ('wait' in step && typeof step.wait === 'number') await sleep(step.wait);
          else if ('status' in step && typeof step.status === 'number') status = step.status;
          else if ('truncate' in step) truncate = true;
          else if ('kill' in step) kill = true;
          else if ('end' in step) break;
          else if ('raw' in step) throw new Error('poll answers are JSON: a raw step has no meaning here');
          else out.push(step as Json);
        }
        if (kill) return void res.socket?.destroy();
        if (out.length === 0 && !truncate && status === 200) await sleep(pollHoldMs);
        const body = JSON.stringify({ frames: out });
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        if (truncate) {
          res.write(body.slice(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
        } else res.end(body);
      })();
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'no route' }));
  });

  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/ws') return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws: WsSocket) => {
      const sessionId = url.searchParams.get('session_id');
      const io = {
        frame: (f: Json) => ws.send(JSON.stringify(f)),
        raw: (t: string) => ws.send(t),
        end: () => ws.close(1000, 'done'),
        kill: () => ws.terminate(),
      };
      let awaitingResume = sessionId !== null;
      if (!awaitingResume) {
        const request: FakeRequest = { kind: 'websocket', n: requests.length + 1, versions: versionsOf(url) };
        requests.push(request);
        void run(fake.plan(request), io);
      }
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as Json;
        received.push(frame);
        if (!awaitingResume) return;
        awaitingResume = false;
        const payload = frame.payload as { resume_token?: string; last_seen_seq?: number };
        const request: FakeRequest = {
          kind: 'websocket',
          n: requests.length + 1,
          versions: versionsOf(url),
          resume: { sessionId: sessionId!, token: payload.resume_token, lastSeenSeq: payload.last_seen_seq ?? 0 },
        };
        requests.push(request);
        void run(fake.plan(request), io);
      });
      ws.on('error', () => undefined);
    });
  });
  onCleanup(() => {
    for (const ws of wss.clients) ws.terminate();
    wss.close();
  });
  const { url } = await listen(http);
  const fake: FakeServer = { url, requests, received, plan };
  return fake;
}
