/**
 * A fake server that speaks the protocol by hand (not with the runtime's builders), on WebSocket,
 * SSE, poll and POST, whose every connection follows a plan — and misbehaves on request. For the
 * client suites. `cleanup()` closes it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import type { AgentEvent } from '../../generated/types.js';
import type { TransportKind } from '../../runtime/contract.js';
import { range } from './channel.js';
import { listenUntilCleanup } from './http.js';
import { onCleanup, sleep } from './lifecycle.js';

/** A sample agent.event payload. */
export const agentEvent = (i: number): AgentEvent['payload'] => ({ conversation_id: 'c-1', turn_id: 't-1', kind: 'text', text: `m${i}` });


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
  const cseqOf = (f: Json): number => ((f.header as { cseq?: unknown } | undefined)?.cseq as number | undefined) ?? 0;
  let acked = 0;

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
        const list = Array.isArray(parsed) ? parsed : [parsed];
        received.push(...list);
        for (const f of list) acked = Math.max(acked, cseqOf(f));
        res.writeHead(202, { 'content-type': 'application/json' });
        // C2: accepts whatever comes and acknowledges the highest cseq seen.
        res.end(JSON.stringify({ accepted: list.length, acked, frames: [] }));
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
      const header = req.headers['resume-token'];
      const auth = typeof header === 'string' ? header : undefined;
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
        if (cseqOf(frame) > 0) {
          acked = Math.max(acked, cseqOf(frame));
          ws.send(JSON.stringify({ type: 'protocol.received', header: { session_id: sessionId ?? FAKE_SESSION }, payload: { acked } }));
        }
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
  const { url } = await listenUntilCleanup(http);
  const fake: FakeServer = { url, requests, received, plan };
  return fake;
}
