/**
 * One server process of the multi-process suite and bench: the generated agent-ui server
 * (generated/server.ts with its copied runtime) on a Redis session store, on 127.0.0.1 port 0.
 * Forked with tsx (`node --import tsx`); reports `{ port }` over IPC and exits on 'close'.
 *
 * Besides the contract's paths it answers a few test routes:
 *   POST /test/emit?session=<id>&n=<n>[&text=<prefix>]  emits n agent.events to the session with
 *        emitTo (wherever its connection is) and answers each outcome: { seq } or { error, name }
 *   GET  /test/errors   what onError was told
 *   GET  /test/handled  what the chat.send handler was handed, as `<session>:<text>` (C2)
 *
 *   POST /bench/emit?session=<id>&n=<n>&chunk=<k>  emits n agent.events in chunks of k (each
 *        chunk awaited) and answers { stored, failed } — for bench/redis.ts
 *
 * Environment: REDIS_PORT, STORE_PREFIX, NAME, REFRESH_MS (optional); STORE=memory runs the
 * in-memory default store instead (no Redis), for the benchmark's baseline.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { contract } from '../../generated/contract.js';
import { createRedisStore } from '../../generated/runtime/server/redis-store.js';
import { createAgentUiServer } from '../../generated/server.js';
import { connectRedis } from './redis-server.js';
import { accepted } from '../support/accepted.js';

const port = Number(process.env.REDIS_PORT);
const name = process.env.NAME ?? 'server';
const errors: { name: string; message: string; where: unknown }[] = [];
/** C2: what this process handed to its chat.send handler, as `<session>:<text>`. */
const handled: string[] = [];

const store =
  process.env.STORE === 'memory'
    ? undefined
    : createRedisStore({
        redis: await connectRedis(port),
        subscriber: await connectRedis(port),
        contract,
        prefix: process.env.STORE_PREFIX,
        refreshMs: process.env.REFRESH_MS ? Number(process.env.REFRESH_MS) : undefined,
        onError: (error) => errors.push({ name: error.name, message: error.message, where: 'store' }),
      });

const app = createAgentUiServer({
  store,
  handlers: {
    chatSend(message, ctx) {
      handled.push(`${ctx.session.id}:${message.payload.text}`);
      const n = Number(message.payload.text) || 1;
      // n data messages in all: n − 1 agent.events, then the reply chat.accepted (C4).
      for (let i = 1; i < n; i++) void ctx.emit.agentEvent({ conversation_id: message.payload.conversation_id, turn_id: 't-1', kind: 'text', text: `${name} reply ${i}` }).catch(() => undefined);
      return accepted(message);
    },
    uiAction() {},
    onError(error, where) {
      errors.push({ name: (error as Error).name, message: (error as Error).message, where });
    },
  },
});

const json = (res: http.ServerResponse, status: number, value: unknown): void => {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

const server = http.createServer((req, res) => {
  if (app.handleRequest(req, res)) return;
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/test/emit' && req.method === 'POST') {
    const session = url.searchParams.get('session') ?? '';
    const n = Number(url.searchParams.get('n') ?? '1');
    const text = url.searchParams.get('text') ?? name;
    const emitter = app.emitTo(session);
    const emits = Array.from({ length: n }, (_, i) =>
      emitter.agentEvent({ conversation_id: 'c-1', turn_id: 't-1', kind: 'text', text: `${text} ${i}` }).then(
        (seq) => ({ seq }),
        (error: Error) => ({ error: error.message, name: error.name }),
      ),
    );
    void Promise.all(emits).then((results) => json(res, 200, { results }));
    return;
  }
  if (url.pathname === '/bench/emit' && req.method === 'POST') {
    const emitter = app.emitTo(url.searchParams.get('session') ?? '');
    const n = Number(url.searchParams.get('n'));
    const chunk = Number(url.searchParams.get('chunk') ?? '1000');
    void (async () => {
      let stored = 0;
      let failed = 0;
      for (let done = 0; done < n; done += chunk) {
        const emits: Promise<number>[] = [];
        for (let i = done; i < Math.min(n, done + chunk); i++) emits.push(emitter.agentEvent({ conversation_id: 'c-1', turn_id: 't-1', kind: 'text', text: `bench message ${i}` }));
        for (const o of await Promise.allSettled(emits)) o.status === 'fulfilled' ? stored++ : failed++;
      }
      json(res, 200, { stored, failed });
    })();
    return;
  }
  if (url.pathname === '/test/errors') return json(res, 200, { errors });
  if (url.pathname === '/test/handled') return json(res, 200, { handled });
  json(res, 404, { error: `no route for ${url.pathname}` });
});
server.on('upgrade', (req, socket, head) => {
  if (!app.handleUpgrade(req, socket, head)) socket.destroy();
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));

process.on('message', (message) => {
  if (message !== 'close') return;
  app.close();
  server.closeAllConnections();
  server.close();
  void (store?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
process.on('disconnect', () => process.exit(0));
