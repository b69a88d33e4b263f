/**
 * The server as a Fastify plugin, with no glue: `fastify.register(server.fastify, { prefix })`.
 * Three traps of mounting a node:http handler in Fastify are handled here:
 *
 * - the contract's routes are declared in the plugin (under its prefix) and taken in their
 *   `onRequest` hook with `reply.hijack()`, so Fastify's body parser never reads a POST (the
 *   server reads it, within its limits, after authenticating it: L4);
 * - WebSocket upgrades under the prefix are taken from `fastify.server`;
 * - `fastify.close()` (which a SIGTERM handler calls) closes the server's streams and sockets in
 *   `preClose`, so the HTTP server can finish closing instead of waiting on open SSE streams.
 *
 * Structural types only: the runtime does not depend on Fastify.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { refuseUpgrade, requestUrl } from './transports/http-util.js';

/** What the plugin uses of a Fastify instance (an encapsulated one: `prefix` is its mount path). */
export interface FastifyLike {
  readonly prefix: string;
  readonly server: Server;
  route(options: FastifyRouteLike): unknown;
  addHook(name: 'preClose', hook: (done: (err?: Error) => void) => void): unknown;
}

export interface FastifyRouteLike {
  readonly method: string[];
  readonly url: string;
  onRequest(request: { readonly raw: IncomingMessage }, reply: { readonly raw: ServerResponse; hijack(): unknown }, done: (err?: Error) => void): void;
  handler(request: unknown, reply: unknown): void;
}

/** A Fastify plugin (callback style). */
export type FastifyPlugin = (instance: FastifyLike, options: unknown, done: (err?: Error) => void) => void;

export interface FastifyPluginOptions {
  /** The contract's paths (basePath included); history paths as templates (`/conversations/{conversationId}`). */
  readonly paths: readonly string[];
  /** Serves a request at `url` (the prefix taken off); never throws. */
  serve(req: IncomingMessage, res: ServerResponse, url: URL): void;
  /** Takes an upgrade at `url` (the prefix taken off); false when it is not the WebSocket path. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean;
  close(): void;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/** `/conversations/{conversationId}` → `/conversations/:conversationId` (Fastify's parameter syntax). */
const fastifyPath = (template: string): string => template.replace(/\{([^{}/]+)\}/g, ':$1');

/** The request's URL without the mount prefix; undefined when it is not under it (or not a URL). */
function unprefixed(req: IncomingMessage, prefix: string): URL | undefined {
  const url = requestUrl(req);
  if (!url || prefix === '') return url;
  if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return undefined;
  const inner = new URL(url.href);
  inner.pathname = url.pathname.slice(prefix.length) || '/';
  return inner;
}

export function createFastifyPlugin(options: FastifyPluginOptions): FastifyPlugin {
  return (instance, _options, done) => {
    const prefix = instance.prefix.replace(/\/$/, '');
    for (const path of new Set(options.paths)) {
      instance.route({
        method: METHODS,
        url: fastifyPath(path),
        onRequest(request, reply) {
          // Taken before Fastify parses the body: the server reads it itself, after authenticating it.
          reply.hijack();
          const url = unprefixed(request.raw, prefix);
          if (url) options.serve(request.raw, reply.raw, url);
          else refuseUpgrade(request.raw.socket, 400, 'the request target is not a valid URL path');
        },
        handler() {
          // Never reached: onRequest hijacked the reply.
        },
      });
    }
    instance.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = unprefixed(req, prefix);
      if (url && options.upgrade(req, socket, head, url)) return;
      // Nobody else listens for upgrades: answer instead of leaving the socket hanging.
      if (instance.server.listenerCount('upgrade') === 1) refuseUpgrade(socket, requestUrl(req) ? 404 : 400, 'no WebSocket endpoint at this path');
    });
    instance.addHook('preClose', (closed) => {
      options.close();
      closed();
    });
    done();
  };
}
