/**
 * Raw clients of a contract server, one per transport: a WebSocket with a frame queue, an SSE
 * reader over fetch streaming and a long-poll loop, each a `Channel` (channel.ts); and the POST of
 * client frames. Everything opened here is closed by `cleanup()`.
 */
import WebSocket from 'ws';
import { FrameQueue, idle, isData, takeData, type Channel, type EndInfo, type Frame, type SendResult } from './channel.js';
import type { Target } from './http.js';
import { onCleanup } from './lifecycle.js';

/** `?a&b`, without the empty parts. */
export function qs(parts: (string | undefined)[]): string {
  const s = parts.filter((p) => p !== undefined && p !== '').join('&');
  return s ? `?${s}` : '';
}

/** POSTs frames to the messages endpoint. */
export async function postMessages(server: Target, body: object | string, token?: string, extraHeaders: Record<string, string> = {}): Promise<SendResult> {
  const path = server.contract.transports.sse?.messagesPath ?? server.contract.transports.poll!.messagesPath;
  const res = await fetch(server.origin + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== undefined ? { "resume-token": token } : {}), ...extraHeaders },
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
    headers: token !== undefined ? { "resume-token": token } : {},
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
