/**
 * A generated server mounted the three ways a service mounts it — Express 5 (`handleRequest` as
 * middleware), Fastify 5 (an onRequest hook that hijacks the reply) and a bare node:http handler
 * — each beside a route of the host's own (`/health` answers `{ host }`), on 127.0.0.1:0.
 * Everything is closed by `cleanup()`.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import express from 'express';
import Fastify from 'fastify';
import type { AgentUiServer } from '../../generated/server.js';
import { closeHttp, listen, onCleanup } from './helpers.js';

export type Host = 'express' | 'fastify' | 'node:http';
export const HOSTS: readonly Host[] = ['express', 'fastify', 'node:http'];

const upgradeOrDestroy = (server: AgentUiServer) => (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
  if (!server.handleUpgrade(req, socket, head)) socket.destroy();
};

/** Mounts `server` in a fresh host; resolves to the port it listens on. */
export const mountIn: Readonly<Record<Host, (server: AgentUiServer) => Promise<number>>> = {
  async express(server) {
    const app = express();
    app.get('/health', (_req, res) => {
      res.json({ host: 'express' });
    });
    app.use((req, res, next) => {
      server.handleRequest(req, res, next);
    });
    const httpServer = http.createServer(app);
    httpServer.on('upgrade', upgradeOrDestroy(server));
    const port = await listen(httpServer);
    onCleanup(() => closeHttp(httpServer));
    return port;
  },
  async fastify(server) {
    const app = Fastify();
    app.get('/health', async () => ({ host: 'fastify' }));
    app.addHook('onRequest', (request, reply, done) => {
      if (server.handleRequest(request.raw, reply.raw)) {
        reply.hijack();
        return;
      }
      done();
    });
    app.server.on('upgrade', upgradeOrDestroy(server));
    await app.listen({ port: 0, host: '127.0.0.1' });
    onCleanup(async () => {
      app.server.closeAllConnections();
      await app.close();
    });
    const address = app.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  },
  async 'node:http'(server) {
    const httpServer = http.createServer((req, res) => {
      if (req.url === '/health') return void res.end(JSON.stringify({ host: 'node:http' }));
      if (!server.handleRequest(req, res)) {
        res.statusCode = 404;
        res.end();
      }
    });
    httpServer.on('upgrade', upgradeOrDestroy(server));
    const port = await listen(httpServer);
    onCleanup(() => closeHttp(httpServer));
    return port;
  },
};
