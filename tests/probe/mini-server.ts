/**
 * A small hand-written server of the agent-ui contract for the probe tests — the kind of server
 * contractgen did not generate (a Python service, say): no runtime/, no generated code, just
 * node:http and `ws`, reading the protocol numbers from the spec. Without faults it follows the
 * contract (and the probe passes it); each fault breaks one rule the way real servers do.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export type Fault =
  /** S2: a frame without session_id, or naming "default", is accepted and routed to a shared "default" session. */
  | 'implicit-default-session'
  /** Q1: data frames go out without header.seq (the server keeps the seq to itself). */
  | 'unstamped-data'
  /** R2: the replay starts at last_seen_seq instead of last_seen_seq + 1. */
  | 'off-by-one-replay'
  /** W1: history windows come back newest first. */
  | 'descending-history'
  /** W2: limit=0 is taken as "no limit" instead of a 400. */
  | 'limit-zero-accepted'
  /** S3: a wrong token is told apart from an unknown session. */
  | 'token-oracle';

export interface MiniServer {
  readonly url: string;
  close(): Promise<void>;
}

const spec = JSON.parse(readFileSync(new URL('../../spec/protocol.schema.json', import.meta.url), 'utf8')) as {
  'x-contract': {
    protocolVersions: string[];
    replayWindow: { maxMessages: number; maxBytes: number };
    heartbeatMs: number;
    session: { ttlMs: number };
    maxFrameBytes: number;
    capabilities: string[];
    transports: { poll: { holdMs: number } };
    history: { maxLimit: number }[];
    conformance: { trigger: { type: string; payload: unknown }; produces: number; history: { params: { conversationId: string }; minItems: number }[] };
  };
};
const C = spec['x-contract'];
const VERSIONS = C.protocolVersions;
const WINDOW = C.replayWindow.maxMessages;
const TRIGGER = JSON.stringify(C.conformance.trigger.payload);
const HISTORY_ID = C.conformance.history[0]!.params.conversationId;
const HISTORY_SIZE = C.conformance.history[0]!.minItems;
const MAX_LIMIT = C.history[0]!.maxLimit;
const SESSION_ID = /^[A-Za-z0-9_-]{22,128}$/;

interface Sink {
  send(text: string, seq?: number): void;
  close(): void;
}

interface Session {
  readonly id: string;
  readonly token: string;
  version: string;
  latest: number;
  /** The replay window: the last WINDOW data frames. */
  log: { seq: number; text: string }[];
  sink: Sink | undefined;
  /** Poll: a held request and its cursor. */
  held?: { res: http.ServerResponse; cursor: number; timer: ReturnType<typeof setTimeout> } | undefined;
}

const id = (bytes: number): string => randomBytes(bytes).toString('base64url');

export async function startMiniServer(faults: readonly Fault[] = []): Promise<MiniServer> {
  const has = (f: Fault): boolean => faults.includes(f);
  const sessions = new Map<string, Session>();

  const error = (code: string, message: string, extra: object = {}) => JSON.stringify({ type: 'protocol.error', header: {}, payload: { code, message, ...extra } });
  const refusal = (reason: string, message: string, extra: object = {}) => JSON.stringify({ type: 'protocol.resume_failed', header: {}, payload: { reason, message, ...extra } });

  const negotiate = (offer: string | null): string | undefined => {
    if (offer === null) return VERSIONS[VERSIONS.length - 1];
    const offered = offer.split(',');
    return [...VERSIONS].reverse().find((v) => offered.includes(v));
  };
  const unsupported = () => error('unsupported_version', `the server speaks ${VERSIONS.join(', ')}`, { supported_versions: VERSIONS });

  const create = (version: string): Session => {
    const s: Session = { id: id(16), token: id(32), version, latest: 0, log: [], sink: undefined };
    sessions.set(s.id, s);
    return s;
  };
  const hello = (s: Session) =>
    JSON.stringify({
      type: 'protocol.hello',
      header: { session_id: s.id },
      payload: {
        protocol_version: s.version,
        session_id: s.id,
        resume_token: s.token,
        latest_seq: s.latest,
        replay_window: { max_messages: WINDOW, max_bytes: C.replayWindow.maxBytes },
        heartbeat_ms: C.heartbeatMs,
        session_ttl_ms: C.session.ttlMs,
        max_frame_bytes: C.maxFrameBytes,
        transports: ['websocket', 'sse', 'poll'],
        capabilities: C.capabilities,
      },
    });

  /** S3: the same answer for an unknown id and a wrong token (unless the oracle fault is on). */
  const authenticate = (sessionId: string | null, token: string | null | undefined): Session | { reason: string } => {
    const s = sessionId === null ? undefined : sessions.get(sessionId);
    if (s && s.token === token) return s;
    return { reason: s && has('token-oracle') ? 'that resume_token is wrong' : 'no session matches this session_id and resume_token' };
  };

  /** R2/R3: the frames after `cursor`, or why not (a resume, or a poll that continues). */
  const replay = (s: Session, cursor: number, resuming = true): { frames: { seq: number; text: string }[] } | { refusal: string; status: number } => {
    const earliest = s.log[0]?.seq ?? s.latest + 1;
    const after = has('off-by-one-replay') && resuming ? cursor - 1 : cursor;
    if (cursor > s.latest) return { refusal: refusal('invalid_cursor', `cursor ${cursor} is ahead of ${s.latest}`, { latest_seq: s.latest }), status: 400 };
    if (after < earliest - 1) return { refusal: refusal('window_exceeded', `cursor ${cursor} is older than the window`, { earliest_seq: earliest, latest_seq: s.latest }), status: 410 };
    return { frames: s.log.filter((f) => f.seq > after) };
  };
  const resumed = (s: Session, cursor: number) => {
    const from = has('off-by-one-replay') ? Math.max(1, cursor) : cursor + 1;
    return JSON.stringify({ type: 'protocol.resumed', header: { session_id: s.id, latest_seq: s.latest }, payload: { from_seq: from, latest_seq: s.latest } });
  };

  const emit = (s: Session): void => {
    const seq = ++s.latest;
    const header = has('unstamped-data') ? { session_id: s.id } : { session_id: s.id, seq };
    const text = JSON.stringify({ type: 'agent.event', header, payload: { conversation_id: 'probe', turn_id: 't-1', kind: 'text', text: `message ${seq}` } });
    s.log.push({ seq, text });
    if (s.log.length > WINDOW) s.log.shift();
    s.sink?.send(text, seq);
    if (s.held) answerHeld(s);
  };

  const attach = (s: Session, sink: Sink): void => {
    if (s.sink && s.sink !== sink) s.sink.close();
    s.sink = sink;
  };

  /** A client frame from `source` (the connection's session, or a POST's bearer token). */
  const receive = (text: string, connection: Session | undefined, token: string | undefined): { status: number; frame?: string } => {
    let f: { type?: unknown; header?: { session_id?: unknown }; payload?: unknown };
    try {
      f = JSON.parse(text) as typeof f;
    } catch {
      return { status: 400, frame: error('malformed_frame', 'not JSON') };
    }
    const sid = f.header?.session_id;
    let s: Session | undefined;
    if (has('implicit-default-session') && (sid === undefined || sid === 'default')) {
      s = sessions.get('default') ?? { id: 'default', token: '', version: '1.1', latest: 0, log: [], sink: undefined };
      sessions.set('default', s);
    } else if (sid === undefined) return { status: 400, frame: error('session_required', 'every client frame names its session') };
    else if (typeof sid !== 'string' || !SESSION_ID.test(sid)) return { status: 400, frame: error('invalid_message', '/header/session_id is not a session id', { path: '/header/session_id' }) };
    else if (connection) {
      if (sid !== connection.id) return { status: 404, frame: error('unknown_session', "not this connection's session") };
      s = connection;
    } else {
      if (token === undefined) return { status: 401, frame: error('unknown_session', 'send Authorization: Bearer <resume_token>') };
      const auth = authenticate(sid, token);
      if (!('id' in auth)) return { status: 404, frame: error('unknown_session', auth.reason) };
      s = auth;
    }
    if (f.type === C.conformance.trigger.type && JSON.stringify(f.payload) === TRIGGER) for (let i = 0; i < C.conformance.produces; i++) emit(s);
    return { status: 202 };
  };

  // --- poll ---------------------------------------------------------------------------------
  const json = (res: http.ServerResponse, status: number, body: unknown): void => {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const framesBody = (texts: readonly string[]) => `{"frames":[${texts.join(',')}]}`;
  const answerHeld = (s: Session): void => {
    const held = s.held;
    if (!held) return;
    s.held = undefined;
    clearTimeout(held.timer);
    const r = replay(s, held.cursor, false);
    if ('refusal' in r) return void (held.res.writeHead(r.status, { 'content-type': 'application/json' }), held.res.end(framesBody([r.refusal])));
    const texts = r.frames.map((f) => f.text);
    if (texts.length === 0) texts.push(JSON.stringify({ type: 'protocol.heartbeat', header: { session_id: s.id }, payload: { latest_seq: s.latest } }));
    held.res.writeHead(200, { 'content-type': 'application/json' });
    held.res.end(framesBody(texts));
  };
  const bearer = (req: http.IncomingMessage): string | undefined => /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];

  const poll = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    const sessionId = url.searchParams.get('session_id');
    if (sessionId === null) {
      const version = negotiate(url.searchParams.get('versions'));
      if (!version) return void res.writeHead(400).end(framesBody([unsupported()]));
      const s = create(version);
      return void (res.writeHead(200, { 'content-type': 'application/json' }), res.end(framesBody([hello(s)])));
    }
    const cursor = Number(url.searchParams.get('cursor'));
    const auth = authenticate(sessionId, bearer(req));
    if (!('id' in auth)) return json(res, 404, { frames: [JSON.parse(refusal('unknown_session', auth.reason))] });
    const s = auth;
    const resuming = url.searchParams.get('resume') === '1';
    const r = replay(s, cursor, resuming);
    if ('refusal' in r) return void (res.writeHead(r.status, { 'content-type': 'application/json' }), res.end(framesBody([r.refusal])));
    if (resuming) {
      attach(s, { send: () => undefined, close: () => undefined });
      return void (res.writeHead(200, { 'content-type': 'application/json' }), res.end(framesBody([hello(s), resumed(s, cursor), ...r.frames.map((f) => f.text)])));
    }
    if (s.held) answerHeld(s);
    s.held = { res, cursor, timer: setTimeout(() => answerHeld(s), C.transports.poll.holdMs) };
    res.on('close', () => {
      if (s.held?.res === res) {
        clearTimeout(s.held.timer);
        s.held = undefined;
      }
    });
    if (r.frames.length > 0) answerHeld(s);
  };

  // --- SSE ----------------------------------------------------------------------------------
  const sse = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    const event = (text: string, seq?: number) => (seq === undefined ? `data: ${text}\n\n` : `id: ${seq}\ndata: ${text}\n\n`);
    const version = negotiate(url.searchParams.get('versions'));
    if (!version) return void res.end(event(unsupported()));
    const sessionId = url.searchParams.get('session_id');
    let s: Session;
    let replayed: string[] = [];
    if (sessionId === null) s = create(version);
    else {
      const auth = authenticate(sessionId, url.searchParams.get('resume_token'));
      if (!('id' in auth)) return void res.end(event(refusal('unknown_session', auth.reason)));
      const lastEventId = req.headers['last-event-id'];
      const cursor = Number(typeof lastEventId === 'string' ? lastEventId : url.searchParams.get('last_seen_seq'));
      const r = replay(auth, cursor);
      if ('refusal' in r) return void res.end(event(r.refusal));
      s = auth;
      replayed = [event(resumed(s, cursor)), ...r.frames.map((f) => event(f.text, f.seq))];
    }
    res.write(event(hello(s)) + replayed.join(''));
    const sink: Sink = { send: (text, seq) => res.write(event(text, seq)), close: () => res.end() };
    attach(s, sink);
    res.on('close', () => {
      if (s.sink === sink) s.sink = undefined;
    });
  };

  // --- history ------------------------------------------------------------------------------
  const chunks = Array.from({ length: HISTORY_SIZE }, (_, i) => ({ seq: i + 1, role: i % 2 ? 'assistant' : 'user', turn_id: `t-${i >> 1}`, chunk: { kind: 'text', text: `item ${i + 1}` } }));
  const history = (res: http.ServerResponse, conversation: string, url: URL): void => {
    if (conversation !== HISTORY_ID) return json(res, 404, { error: `no conversation ${conversation}` });
    const q: Record<string, number> = {};
    for (const [name, value] of url.searchParams) {
      const min = name === 'sinceSeq' ? 0 : 1;
      if (!['sinceSeq', 'beforeSeq', 'limit'].includes(name)) return json(res, 400, { error: `unknown parameter ${name}`, parameter: name });
      if (name === 'limit' && value === '0' && has('limit-zero-accepted')) continue;
      const n = /^(0|[1-9][0-9]{0,15})$/.test(value) ? Number(value) : NaN;
      if (!(n >= min) || (name === 'limit' && n > MAX_LIMIT)) return json(res, 400, { error: `${name} must be an integer >= ${min}${name === 'limit' ? ` and <= ${MAX_LIMIT}` : ''}`, parameter: name });
      q[name] = n;
    }
    const since = q.sinceSeq ?? 0;
    let selection = chunks.filter((c) => c.seq > since && (q.beforeSeq === undefined || c.seq < q.beforeSeq));
    if (q.limit !== undefined) selection = selection.slice(-q.limit);
    const latestSeq = selection.length ? selection[selection.length - 1]!.seq : since;
    json(res, 200, { chunks: has('descending-history') ? [...selection].reverse() : selection, latestSeq });
  };

  // --- HTTP and WebSocket ---------------------------------------------------------------------
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/poll' && req.method === 'GET') return poll(req, res, url);
    if (url.pathname === '/events' && req.method === 'GET') return sse(req, res, url);
    const conversation = /^\/conversations\/([^/]+)$/.exec(url.pathname)?.[1];
    if (conversation !== undefined && req.method === 'GET') return history(res, decodeURIComponent(conversation), url);
    if (url.pathname === '/messages' && req.method === 'POST') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const r = receive(body, undefined, bearer(req));
        json(res, r.status, { accepted: r.frame ? 0 : 1, frames: r.frame ? [JSON.parse(r.frame)] : [] });
      });
      return;
    }
    json(res, 404, { error: 'no route' });
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/ws') return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => connection(ws, new URL(req.url ?? '/', 'http://localhost')));
  });
  const connection = (ws: WebSocket, url: URL): void => {
    let s: Session | undefined;
    const sink: Sink = { send: (text) => ws.send(text), close: () => ws.close(4001, 'superseded') };
    const version = negotiate(url.searchParams.get('versions'));
    if (!version) {
      ws.send(unsupported());
      return ws.close(4004, 'unsupported version');
    }
    if (url.searchParams.get('session_id') === null) {
      s = create(version);
      attach(s, sink);
      ws.send(hello(s));
    }
    ws.on('message', (data) => {
      const text = data.toString();
      if (s) {
        const r = receive(text, s, undefined);
        if (r.frame) ws.send(r.frame);
        return;
      }
      // The first frame of a resuming connection: protocol.resume.
      const f = JSON.parse(text) as { header: { session_id: string }; payload: { resume_token: string; last_seen_seq: number } };
      const auth = authenticate(f.header.session_id, f.payload.resume_token);
      if (!('id' in auth)) {
        ws.send(refusal('unknown_session', auth.reason));
        return ws.close(4003, 'resume failed');
      }
      const r = replay(auth, f.payload.last_seen_seq);
      if ('refusal' in r) {
        ws.send(r.refusal);
        return ws.close(4003, 'resume failed');
      }
      s = auth;
      ws.send(hello(s));
      ws.send(resumed(s, f.payload.last_seen_seq));
      for (const x of r.frames) ws.send(x.text);
      attach(s, sink);
    });
    ws.on('close', () => {
      if (s?.sink === sink) s.sink = undefined;
    });
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
