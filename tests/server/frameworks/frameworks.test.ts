/**
 * Zero glue, over real sockets: the generated server (with an `authenticate` hook) dropped into
 * Express 5 with `express.json()` and `express.urlencoded()` mounted first and the server under a
 * mount path; into Fastify 5 as a plugin under a prefix (it owns its body parsing, and closes
 * cleanly on `fastify.close()` and on SIGTERM); and into a bare node:http server. Each serves a
 * hello over WebSocket and SSE, a POSTed frame (answered on the stream), a history read, and
 * refuses a request without credentials — while the host keeps its own routes.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { contract } from '../../../generated/contract.js';
import { createMemoryHistoryStore } from '../../../generated/runtime/server/history.js';
import { createAgentUiServer, type AgentUiServer } from '../../../generated/server.js';
import type { HistoryChunk } from '../../../generated/types.js';
import { cleanup, closeHttp, connectSse, connectWs, listen, onCleanup, type Target } from '../helpers.js';
import { accepted } from '../../support/accepted.js';

afterEach(cleanup);

const here = path.dirname(fileURLToPath(import.meta.url));
const auth = { authorization: 'Bearer alice' };

function contractServer(basePath?: string): AgentUiServer<string> {
  const history = createMemoryHistoryStore<HistoryChunk>();
  history.append('c-1', { role: 'user', chunk: { kind: 'text', text: 'hi' } });
  const server = createAgentUiServer({
    basePath,
    authenticate: (request) => (request.headers.authorization === 'Bearer alice' ? { principal: 'alice' } : { refuse: 'unauthorized' }),
    history: { conversationHistory: history },
    handlers: {
      async chatSend(message, ctx) {
        await ctx.emit.agentEvent({ conversation_id: message.payload.conversation_id, turn_id: 't', kind: 'text', text: `${ctx.principal}: ${message.payload.text}` });
        return accepted(message);
      },
      uiAction() {},
    },
  });
  onCleanup(() => server.close());
  return server;
}

/** A target whose contract paths live under `prefix`. */
const under = (port: number, prefix: string): Target => ({ origin: `http://127.0.0.1:${port}${prefix}`, wsOrigin: `ws://127.0.0.1:${port}${prefix}`, contract });

/** Hello on WebSocket and SSE, a POST answered on the SSE stream, a history read, a refusal. */
async function exercise(at: Target): Promise<void> {
  const ws = await connectWs(at, '', { headers: auth });
  expect((await ws.next('protocol.hello')).payload.session_id).toEqual(expect.any(String));

  const sse = await connectSse(at, '', auth);
  const hello = await sse.next('protocol.hello');
  const sessionId = hello.payload.session_id as string;
  const posted = await fetch(`${at.origin}/messages?session_id=${sessionId}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json', 'resume-token': hello.payload.resume_token as string },
    body: JSON.stringify({ type: 'chat.send', header: { session_id: sessionId }, payload: { conversation_id: 'c-1', text: 'over POST' } }),
  });
  expect(posted.status).toBe(202);
  expect((await sse.next('agent.event')).payload.text).toBe('alice: over POST');

  const history = await fetch(`${at.origin}/conversations/c-1?limit=5`, { headers: auth });
  expect(history.status).toBe(200);
  expect(((await history.json()) as { latestSeq: number }).latestSeq).toBe(1);

  const refused = await fetch(`${at.origin}/poll`);
  expect(refused.status).toBe(401);
}

describe('Express 5', () => {
  it('with express.json() and express.urlencoded() first, under a mount path', async () => {
    const rt = contractServer('/rt');
    const app = express();
    app.use(express.json());
    app.use(express.urlencoded({ extended: false }));
    app.get('/health', (_req, res) => void res.json({ ok: true }));
    app.use('/rt', rt.handleRequest);
    const server = http.createServer(app);
    rt.attach(server, { requests: false });
    const port = await listen(server);
    onCleanup(() => closeHttp(server));
    await exercise(under(port, '/rt'));
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ ok: true });
  });
});

describe('Fastify 5', () => {
  it('a plugin under a prefix: it owns its body parsing; fastify.close() ends with streams open', async () => {
    const rt = contractServer();
    const app = Fastify();
    app.get('/health', async () => ({ ok: true }));
    await app.register(rt.fastify, { prefix: '/rt' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    await exercise(under(port, '/rt'));
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ ok: true });
    // A WebSocket and an SSE stream are still open (exercise left them): close must not wait on them.
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('SIGTERM → fastify.close() → the process exits by itself', async () => {
    const child = fork(path.join(here, 'fastify-process.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    onCleanup(() => void child.kill('SIGKILL'));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (m: { port: number }) => resolve(m.port));
      child.once('exit', (code) => reject(new Error(`the Fastify process exited with ${code} before listening`)));
    });
    const at = under(port, '/rt');
    const ws = await connectWs(at, '');
    await ws.next('protocol.hello');
    const sse = await connectSse(at, '');
    await sse.next('protocol.hello');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});

describe('bare node:http', () => {
  it('attach(server)', async () => {
    const rt = contractServer();
    const server = http.createServer();
    rt.attach(server);
    const port = await listen(server);
    onCleanup(() => closeHttp(server));
    await exercise(under(port, ''));
  });
});
