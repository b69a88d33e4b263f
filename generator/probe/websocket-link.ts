/**
 * Probe client for WebSocket (the `ws` package). A new session: upgrade `path?versions=…` and
 * read the hello. A resume (R1): upgrade with `session_id` in the URL, then send
 * `protocol.resume { resume_token, last_seen_seq }` as the first frame; the token never goes
 * into a URL. Client frames go on the socket.
 */
import WebSocket from 'ws';
import { ProbeFailure } from './context.js';
import { clip, FrameQueue, framesOf, helloSession, urlFor, type EndInfo, type Link, type LinkEnvironment } from './link.js';

export interface OpenOptions {
  /** The `versions` query value (H2); undefined leaves it out. */
  readonly versions?: string | undefined;
  /** WebSocket: `session_id` in the URL without sending protocol.resume (R1.2: the check sends the first frame). */
  readonly sessionId?: string | undefined;
  /** SSE: more query parameters (an incomplete resume, a bad cursor). */
  readonly query?: Readonly<Record<string, string>> | undefined;
  /** SSE: request headers (Last-Event-ID). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

export interface ResumeOptions extends OpenOptions {
  readonly sessionId: string;
  readonly token: string;
  readonly lastSeenSeq: number;
}

export async function connectWebSocket(env: LinkEnvironment, options: OpenOptions & { readonly resume?: ResumeOptions }): Promise<Link> {
  const t = env.spec.model.transports.find((x) => x.kind === 'websocket');
  if (!t) throw new Error('the spec has no WebSocket transport');
  const { resume } = options;
  const url = urlFor(env.base, t.path, { versions: options.versions, session_id: resume?.sessionId ?? options.sessionId });
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: env.timeoutMs, ...(env.headers ? { headers: { ...env.headers } } : {}) });
  const q = new FrameQueue();
  let session = resume ? { id: resume.sessionId, token: resume.token } : undefined;
  let status = 0;
  let ended: EndInfo | undefined;
  const end = (info: EndInfo): void => {
    ended ??= info;
    q.finish();
  };

  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      env.recorder.violation('a binary WebSocket frame (the protocol is JSON text)');
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    const parsed = env.recorder.parse(text);
    if (!parsed) return;
    session ??= helloSession(parsed.value);
    const r = env.recorder.value(parsed.value, session?.id, undefined, Buffer.byteLength(text, 'utf8'));
    if (r) q.push(r);
  });
  ws.on('close', (code, reason) => end({ code, reason: reason.toString() }));
  ws.on('error', (err) => end({ reason: err.message }));
  ws.on('unexpected-response', (_req, res) => {
    status = res.statusCode ?? 0;
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (body += c));
    res.on('end', () => {
      // A refused upgrade may still explain itself with frames in a JSON body.
      const parsed = body ? env.recorder.parse(body) : undefined;
      for (const f of framesOf(parsed?.value) ?? []) {
        const r = env.recorder.value(f, session?.id);
        if (r) q.push(r);
      }
      end({ status, body: clip(body) });
    });
    res.on('error', () => end({ status }));
  });

  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, env.timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    ws.once('open', () => {
      status = 101;
      done();
    });
    ws.once('close', done);
    ws.once('error', done);
  });

  const link: Link = {
    kind: 'websocket',
    get status() {
      return status;
    },
    get session() {
      return session;
    },
    log: q.log,
    next: (timeoutMs) => q.next(timeoutMs),
    async send(frame, o = {}) {
      if (ws.readyState !== WebSocket.OPEN) {
        const state = ended ? `closed ${ended.code ?? ''} ${ended.reason ?? ''}`.trim() : ws.readyState === WebSocket.CLOSING ? 'the server is closing it' : 'not connected';
        throw new ProbeFailure(`the WebSocket is not open (${state}) to send ${clip(typeof frame === 'string' ? frame : JSON.stringify(frame), 60)}`);
      }
      const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
      ws.send(o.binary ? Buffer.from(text, 'utf8') : text, { binary: o.binary === true });
      return undefined;
    },
    close() {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000, 'probe done');
    },
    drop() {
      ws.terminate();
    },
    get ended() {
      return ended;
    },
  };
  env.track(link);
  // A server may refuse at once (no common version, H2.4): then there is no resume to send.
  if (resume && status === 101 && ws.readyState === WebSocket.OPEN) {
    await link.send({ type: 'protocol.resume', header: { session_id: resume.sessionId }, payload: { resume_token: resume.token, last_seen_seq: resume.lastSeenSeq } });
  }
  return link;
}
