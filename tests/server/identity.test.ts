/**
 * A1–A4 over real sockets, on every entry of the generated server: `authenticate` sees the request
 * and refuses it typed (401 / 4401 `unauthorized`, 403 / 4403 `forbidden`) before any protocol work;
 * a session belongs to the principal that created it, so another principal's resume, poll, POST
 * and history read are refused exactly like an unknown session; handlers and hooks see
 * `ctx.principal`; the resume token travels in `Resume-Token`, never in `Authorization` (A4); and
 * fan-out reaches every session of a principal, or every session, each with its own seq.
 */
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { contract } from '../../generated/contract.js';
import { createMemoryHistoryStore } from '../../generated/runtime/server/history.js';
import { createAgentUiServer, type AgentUiServer } from '../../generated/server.js';
import type { HistoryChunk } from '../../generated/types.js';
import { cleanup, connectSse, connectWs, FrameQueue, serve, target, type Frame, type Target } from './helpers.js';
import { accepted } from '../support/accepted.js';

afterEach(cleanup);

interface User {
  readonly user: string;
}

const bearer = (user: string): Record<string, string> => ({ authorization: `Bearer ${user}` });

interface Running {
  readonly app: AgentUiServer<User>;
  readonly at: Target;
  /** Who each hook and handler saw, in order. */
  readonly seen: { readonly where: string; readonly principal: User | undefined }[];
  readonly entries: string[];
  readonly errors: unknown[];
}

async function start(): Promise<Running> {
  const seen: Running['seen'] = [];
  const entries: string[] = [];
  const errors: unknown[] = [];
  const history = createMemoryHistoryStore<HistoryChunk>();
  history.append('alice-c1', { role: 'user', chunk: { kind: 'text', text: 'hi' } });
  const app = createAgentUiServer({
    // A1: who the request is, from the application's own header; the resume token is elsewhere (A4).
    authenticate(request) {
      entries.push(`${request.entry} ${request.method} ${request.url.pathname}`);
      const m = /^Bearer (\w+)$/.exec(request.headers.authorization ?? '');
      if (!m) return { refuse: 'unauthorized' };
      if (m[1] === 'mallory') return { refuse: 'forbidden', message: 'mallory is banned' };
      if (m[1] === 'boom') throw new Error('the user database is down');
      return { principal: { user: m[1]! } };
    },
    history: { conversationHistory: history },
    authorize: { conversationHistory: (principal, params) => params.conversationId.startsWith(`${principal.user}-`) },
    handlers: {
      async chatSend(message, ctx) {
        seen.push({ where: 'chatSend', principal: ctx.principal });
        await ctx.emit.agentEvent({ conversation_id: 'c', turn_id: 't', kind: 'text', text: `for ${ctx.principal.user}` });
        return accepted(message);
      },
      uiAction() {},
      onSessionStart(ctx) {
        seen.push({ where: 'start', principal: ctx.principal });
      },
      onSessionResume(ctx) {
        seen.push({ where: 'resume', principal: ctx.principal });
      },
      onError: (error) => void errors.push(error),
    },
  });
  const { port } = await serve(app);
  return { app, at: target(port, contract), seen, entries, errors };
}

/** A raw WebSocket that records its frames and its close. */
async function ws(at: Target, query: string, headers: Record<string, string>) {
  const socket = new WebSocket(`${at.wsOrigin}/ws${query}`, { headers });
  const q = new FrameQueue();
  socket.on('message', (data) => q.push(JSON.parse(data.toString()) as Frame));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => (q.finish(), resolve({ code, reason: reason.toString() }))));
  socket.on('error', () => undefined);
  return { socket, next: (type?: string) => q.next('websocket', type), closed };
}

async function openAlice(r: Running): Promise<{ id: string; token: string }> {
  const c = await connectWs(r.at, '', { headers: bearer('alice') });
  const hello = await c.next('protocol.hello');
  c.drop();
  await c.ended;
  return { id: hello.payload.session_id as string, token: hello.payload.resume_token as string };
}

const post = (r: Running, sessionId: string, token: string | undefined, headers: Record<string, string>) =>
  fetch(`${r.at.origin}/messages?session_id=${sessionId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'resume-token': token } : {}), ...headers },
    body: JSON.stringify({ type: 'chat.send', header: { session_id: sessionId }, payload: { conversation_id: 'c-1', text: 'hi' } }),
  });

describe('A1/A3: every entry is authenticated first, and refused typed', () => {
  it.each([
    ['no credentials', {}, 'unauthorized', 401, 4401],
    ['a banned user', bearer('mallory'), 'forbidden', 403, 4403],
    ['a hook that throws', bearer('boom'), 'handler_failed', 500, 1011],
  ] as const)('%s: typed on WebSocket (frame + close code), SSE (frame), poll, POST and history (status)', async (_name, headers, code, status, close) => {
    const r = await start();
    const w = await ws(r.at, '', headers);
    expect((await w.next()).payload).toMatchObject({ code });
    expect((await w.closed).code).toBe(close);

    const sse = await connectSse(r.at, '', headers);
    expect((await sse.next('protocol.error')).payload.code).toBe(code);

    const poll = await fetch(`${r.at.origin}/poll`, { headers });
    expect(poll.status).toBe(status);
    expect(((await poll.json()) as { frames: Frame[] }).frames[0]!.payload.code).toBe(code);

    const posted = await post(r, 'AAAAAAAAAAAAAAAAAAAAAA', 'B'.repeat(43), headers);
    expect(posted.status).toBe(status);

    const history = await fetch(`${r.at.origin}/conversations/alice-c1`, { headers });
    expect(history.status).toBe(status);
    // Nothing was created for a refused request.
    expect(r.app.stats().sessions).toBe(0);
    expect(r.seen).toEqual([]);
    if (code === 'handler_failed') expect(r.errors.length).toBeGreaterThan(0);
  });

  it('authenticate sees method, URL, headers, remote address and the entry', async () => {
    const r = await start();
    const c = await connectWs(r.at, '?versions=1.1', { headers: bearer('alice') });
    await c.next('protocol.hello');
    await fetch(`${r.at.origin}/conversations/alice-c1?limit=1`, { headers: bearer('alice') });
    expect(r.entries).toEqual(['websocket GET /ws', 'history GET /conversations/alice-c1']);
  });
});

describe('A2: a session belongs to its principal', () => {
  it('handlers and hooks see ctx.principal', async () => {
    const r = await start();
    const c = await connectWs(r.at, '', { headers: bearer('alice') });
    const hello = await c.next('protocol.hello');
    await c.send({ type: 'chat.send', header: { session_id: hello.payload.session_id }, payload: { conversation_id: 'c-1', text: 'x' } });
    expect((await c.next('agent.event')).payload.text).toBe('for alice');
    expect(r.seen).toEqual([
      { where: 'start', principal: { user: 'alice' } },
      { where: 'chatSend', principal: { user: 'alice' } },
    ]);
  });

  it('another principal with the right token: resume, poll and POST are refused like an unknown session; the owner is served', async () => {
    const r = await start();
    const s = await openAlice(r);

    // WebSocket resume
    const bob = await ws(r.at, `?session_id=${s.id}`, bearer('bob'));
    bob.socket.on('open', () => bob.socket.send(JSON.stringify({ type: 'protocol.resume', header: { session_id: s.id }, payload: { resume_token: s.token, last_seen_seq: 0 } })));
    expect((await bob.next('protocol.resume_failed')).payload.reason).toBe('unknown_session');
    // SSE resume
    const sse = await connectSse(r.at, `?session_id=${s.id}&resume_token=${s.token}&last_seen_seq=0`, bearer('bob'));
    expect((await sse.next('protocol.resume_failed')).payload.reason).toBe('unknown_session');
    // Poll
    const poll = await fetch(`${r.at.origin}/poll?session_id=${s.id}&cursor=0`, { headers: { ...bearer('bob'), 'resume-token': s.token } });
    expect(poll.status).toBe(404);
    expect(((await poll.json()) as { frames: Frame[] }).frames[0]!.payload.reason).toBe('unknown_session');
    // POST
    const posted = await post(r, s.id, s.token, bearer('bob'));
    expect(posted.status).toBe(404);
    expect(((await posted.json()) as { frames: Frame[] }).frames[0]!.payload.code).toBe('unknown_session');
    expect(r.seen.filter((x) => x.where !== 'start')).toEqual([]);

    // The owner resumes, with the token in Resume-Token and her own credentials in Authorization (A4).
    const mine = await fetch(`${r.at.origin}/poll?session_id=${s.id}&cursor=0&resume=1`, { headers: { ...bearer('alice'), 'resume-token': s.token } });
    expect(mine.status).toBe(200);
    expect(((await mine.json()) as { frames: Frame[] }).frames.map((f) => f.type)).toEqual(['protocol.hello', 'protocol.resumed']);
    expect(r.seen.at(-1)).toEqual({ where: 'resume', principal: { user: 'alice' } });
    expect((await post(r, s.id, s.token, bearer('alice'))).status).toBe(202);
  });

  it('A4: a resume token sent as Authorization is not a resume token', async () => {
    const r = await start();
    const s = await openAlice(r);
    const poll = await fetch(`${r.at.origin}/poll?session_id=${s.id}&cursor=0`, { headers: { authorization: `Bearer ${s.token}` } });
    // The application read it as its own credential (and refused it); the runtime never took it as the token.
    expect(poll.status).toBe(401);
  });

  it('history: authorize(principal, params) decides; false reads like a log that does not exist', async () => {
    const r = await start();
    const ok = await fetch(`${r.at.origin}/conversations/alice-c1`, { headers: bearer('alice') });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { chunks: unknown[] }).chunks).toHaveLength(1);
    const other = await fetch(`${r.at.origin}/conversations/alice-c1`, { headers: bearer('bob') });
    expect(other.status).toBe(404);
    const missing = await fetch(`${r.at.origin}/conversations/bob-none`, { headers: bearer('bob') });
    expect(missing.status).toBe(404);
    expect(await other.json()).toEqual({ error: 'conversation "alice-c1" does not exist' });
  });
});

describe('fan-out', () => {
  it('emitToPrincipal reaches every session of the principal, broadcast every session; each keeps its own gap-free seq', async () => {
    const r = await start();
    const a1 = await connectWs(r.at, '', { headers: bearer('alice') });
    const a2 = await connectSse(r.at, '', bearer('alice'));
    const b1 = await connectWs(r.at, '', { headers: bearer('bob') });
    for (const c of [a1, a2, b1]) await c.next('protocol.hello');
    const event = (text: string) => ({ conversation_id: 'c', turn_id: 't', kind: 'text' as const, text });

    expect(await r.app.emitToPrincipal({ user: 'alice' }).agentEvent(event('to alice'))).toEqual({ sent: 2, gone: 0, failed: 0 });
    expect(await r.app.broadcast().agentEvent(event('to all'))).toEqual({ sent: 3, gone: 0, failed: 0 });
    for (const c of [a1, a2]) expect((await c.data(2)).map((f) => [f.header.seq, f.payload.text])).toEqual([[1, 'to alice'], [2, 'to all']]);
    expect((await b1.data(1)).map((f) => [f.header.seq, f.payload.text])).toEqual([[1, 'to all']]);
    expect(await r.app.emitToPrincipal({ user: 'nobody' }).agentEvent(event('x'))).toEqual({ sent: 0, gone: 0, failed: 0 });
    // An invalid payload is refused once, before any session is touched.
    await expect(r.app.broadcast().agentEvent({ nope: true } as never)).rejects.toThrow(/invalid agent.event/);
  });
});
