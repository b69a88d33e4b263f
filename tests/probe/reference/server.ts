/**
 * A reference server of the agent-ui contract, written from generated/docs/wire.md alone — the
 * kind of server contractgen did not generate (a Python service, say): node:http and `ws`, the
 * spec's schemas for validation, nothing from runtime/ or generated/. Without faults it passes
 * every check of `contractgen probe`; each fault (faults.ts) breaks one statement.
 * This file: SSE (§6), POST /messages (§7), history (§10) and the routes (§2).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Fault } from './faults.js';
import { createPollTransport, framesBody, sendJson, tokenOf } from './poll.js';
import { C, createCore, type Core, type Session, type Sink, type Timers } from './sessions.js';
import { createWebSocketTransport } from './websocket.js';

export interface ReferenceServer {
  readonly url: string;
  close(): Promise<void>;
}

/** SSE: every answer is 200 text/event-stream; a refusal is its only event (R1.4). */
function sse(core: Core, req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
  const controlId = core.has('sse-control-ids') ? 'id: 0\n' : '';
  const event = (text: string, seq?: number): string => (seq === undefined ? `${controlId}data: ${text}\n\n` : `id: ${seq}\ndata: ${text}\n\n`);
  const refuse = (text: string): void => void res.end(event(text));
  const version = core.negotiate(url.searchParams.get('versions'));
  if (!version) return refuse(core.unsupported());
  const q = url.searchParams;
  const sessionId = q.get('session_id');
  const token = q.get('resume_token');
  const lastEventId = req.headers['last-event-id'];
  const raw = typeof lastEventId === 'string' && lastEventId !== '' && !core.has('last-event-id-ignored') ? lastEventId : q.get('last_seen_seq');
  const resuming = sessionId !== null || token !== null || raw !== null;
  if (resuming && (sessionId === null || token === null || raw === null)) return refuse(core.error('session_required', 'a resume needs session_id, resume_token and last_seen_seq'));
  let s: Session;
  let head: string[] = [];
  if (!resuming) s = core.create(version);
  else {
    const cursor = core.cursorOf(raw);
    if (cursor === undefined || cursor === 'malformed') return refuse(core.error('invalid_message', 'last_seen_seq must be a non-negative integer', { path: '/last_seen_seq' }));
    const auth = core.authenticate(sessionId, token);
    if (!('id' in auth)) return refuse(core.refusal(auth.reason, auth.message));
    const r = core.replay(auth, cursor);
    if ('refusal' in r) return refuse(r.refusal);
    s = auth;
    s.version = version;
    core.release(s, cursor);
    head = [event(core.resumed(s, cursor)), ...r.frames.map((f) => event(f.text, f.seq))];
  }
  res.write(event(core.hello(s, resuming)) + head.join(''));
  const sink: Sink = {
    kind: 'sse',
    send: (text, seq) => res.write(event(text, seq)),
    heartbeat: () => res.write(core.has('comment-heartbeat') ? `: heartbeat ${s.latest}\n\n` : event(core.heartbeat(s))),
    superseded: () => res.end(event(core.error('superseded', 'another attachment took over this session', {}, s.id))),
  };
  core.attach(s, sink);
  res.on('close', () => core.detach(s, sink));
}

/** POST: each frame judged alone, in order; the status of the first refusal (L1.5, L1.6). */
function messages(core: Core, req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    const token = tokenOf(req, url);
    // L4: no token, no body read: the refusal comes before any frame is judged.
    const unread = token === undefined && !core.has('implicit-default-session');
    let items = unread ? [] : [body];
    if (!unread && body.trimStart().startsWith('[')) {
      try {
        const list = JSON.parse(body) as unknown;
        if (Array.isArray(list)) items = list.map((f) => JSON.stringify(f));
      } catch {
        /* judged as one malformed frame */
      }
    }
    const errors: { text: string; status: number }[] = unread ? [{ text: core.error('unknown_session', 'send Resume-Token: <resume_token>'), status: core.has('no-token-404') ? 404 : 401 }] : [];
    const accepted: (() => void)[] = [];
    let session: { acked: number } | undefined;
    for (const item of items) {
      const parsed = core.parse(item);
      if (!parsed.ok) {
        errors.push({ text: parsed.error, status: parsed.status });
        continue;
      }
      const f = parsed.frame;
      if (f.header.session_id === 'default' && core.has('implicit-default-session')) {
        accepted.push(() => core.handle(core.defaultSession(), f));
        continue;
      }
      if (token === undefined) {
        errors.push({ text: core.error('unknown_session', 'send Resume-Token: <resume_token>'), status: core.has('no-token-404') ? 404 : 401 });
        continue;
      }
      const auth = core.authenticate(f.header.session_id as string, token);
      if (!('id' in auth)) {
        errors.push({ text: core.error(auth.reason, auth.message, { path: '/header/session_id' }), status: auth.reason === 'session_expired' ? 410 : 404 });
        continue;
      }
      if (f.type === 'protocol.resume') {
        errors.push({ text: core.error('invalid_message', 'protocol.resume is not POSTed', { path: '/type' }), status: 400 });
        continue;
      }
      session = auth;
      accepted.push(() => {
        // C2.3: a frame past the next cseq is refused (409), not handled.
        if (core.handle(auth, f).verdict === 'gap') errors.push({ text: core.gap(auth, f), status: 409 });
      });
    }
    if (errors.length > 0 && core.has('batch-all-or-nothing')) accepted.length = 0;
    const before = errors.length;
    for (const run of accepted) run();
    const taken = accepted.length - (errors.length - before);
    const status = errors[0]?.status ?? (core.has('post-200') ? 200 : 202);
    if (errors.length > 0 && core.has('bare-error-body')) return sendJson(res, status, errors[0]!.text);
    sendJson(res, status, `{"accepted":${taken},${session ? `"acked":${session.acked},` : ''}"frames":[${errors.map((e) => e.text).join(',')}]}`);
  });
}

/** W1–W4: windowed reads of the seeded log. */
function history(core: Core, req: http.IncomingMessage, res: http.ServerResponse, url: URL, conversation: string): void {
  const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => sendJson(res, status, JSON.stringify(body), headers);
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, { error: 'use GET or HEAD' }, { allow: 'GET, HEAD' });
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(conversation)) return reply(400, { error: 'conversationId must match ^[A-Za-z0-9_-]{1,64}$', parameter: 'conversationId' });
  const log = C.conformance.history[0]!;
  if (conversation !== log.params.conversationId) return reply(404, { error: `no conversation ${conversation}` });
  const q: Record<string, number> = {};
  const maxLimit = C.history[0]!.maxLimit;
  for (const [name, value] of url.searchParams) {
    if (!['sinceSeq', 'beforeSeq', 'limit'].includes(name)) return reply(400, { error: `unknown parameter ${name}`, parameter: name });
    if (name in q) {
      if (core.has('repeated-parameter-first-wins')) continue;
      return reply(400, { error: `${name} is given twice`, parameter: name });
    }
    if (name === 'limit' && value === '0' && core.has('limit-zero-accepted')) continue;
    const min = name === 'sinceSeq' ? 0 : 1;
    const n = /^(0|[1-9][0-9]{0,15})$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= Number.MAX_SAFE_INTEGER) || (name === 'limit' && n > maxLimit)) return reply(400, { error: `${name} must be an integer >= ${min}`, parameter: name });
    q[name] = n;
  }
  const since = q.sinceSeq ?? 0;
  if (q.beforeSeq !== undefined && since >= q.beforeSeq && core.has('empty-selection-400')) return reply(400, { error: 'sinceSeq must be below beforeSeq', parameter: 'sinceSeq' });
  const all = Array.from({ length: log.minItems }, (_, i) => ({ seq: i + 1, role: i % 2 ? 'assistant' : 'user', turn_id: `t-${i >> 1}`, chunk: { kind: 'text', text: `item ${i + 1}` } }));
  let chunks = all.filter((c) => c.seq > since && (q.beforeSeq === undefined || c.seq < q.beforeSeq));
  if (q.limit !== undefined) chunks = chunks.slice(-q.limit);
  const latestSeq = chunks.length ? chunks[chunks.length - 1]!.seq : since;
  reply(200, { chunks: core.has('descending-history') ? [...chunks].reverse() : chunks, latestSeq });
}

/** The reference server on 127.0.0.1, with `faults` switched on, the given test timers and (for a spec variant) replay window. */
export async function startReferenceServer(faults: readonly Fault[], timers: Timers, window?: Parameters<typeof createCore>[2]): Promise<ReferenceServer> {
  const core = createCore(faults, timers, window);
  const poll = createPollTransport(core, timers);
  const ws = createWebSocketTransport(core);
  const wrongMethod = (res: http.ServerResponse, allow: string): void => sendJson(res, 405, JSON.stringify({ error: `use ${allow}` }), { allow });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const conversation = /^\/conversations\/([^/]+)$/.exec(url.pathname)?.[1];
    if (conversation !== undefined) return history(core, req, res, url, decodeURIComponent(conversation));
    switch (url.pathname) {
      case '/ws':
        return sendJson(res, 426, JSON.stringify({ error: 'this path speaks WebSocket' }), { upgrade: 'websocket' });
      case '/events':
        return req.method === 'GET' ? sse(core, req, res, url) : wrongMethod(res, 'GET');
      case '/poll':
        return req.method === 'GET' ? poll.handle(req, res, url) : wrongMethod(res, 'GET');
      case '/messages':
        return req.method === 'POST' ? messages(core, req, res, url) : wrongMethod(res, 'POST');
      default:
        sendJson(res, 404, framesBody([]));
    }
  });
  server.on('upgrade', (req, socket, head) => {
    if (new URL(req.url ?? '/', 'http://localhost').pathname !== '/ws') return socket.destroy();
    ws.handleUpgrade(req, socket, head);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      core.close();
      ws.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
