/**
 * Real sockets on 127.0.0.1: listen on a free port, mount a server on a fresh node:http server,
 * and close both (every connection included) in `cleanup()`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ContractDescriptor } from '../../runtime/contract.js';
import { onCleanup } from './lifecycle.js';

/** Listens on 127.0.0.1:0 and returns the port. */
export function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

export function closeHttp(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Listens on a free port and closes the server (with every connection) in cleanup. */
export async function listenUntilCleanup(server: http.Server): Promise<{ readonly port: number; readonly url: string }> {
  const port = await listen(server);
  onCleanup(() => closeHttp(server));
  return { port, url: `http://127.0.0.1:${port}` };
}

/** A server that mounts on node:http (every generated server, and createContractServer). */
export interface Mountable {
  attach(server: http.Server): void;
  close(): void;
}

/** Mounts `app` on a fresh node:http server on a free port; `cleanup()` closes both. */
export async function serve(app: Mountable): Promise<{ readonly server: http.Server; readonly port: number }> {
  const server = http.createServer();
  app.attach(server);
  const port = await listen(server);
  onCleanup(async () => {
    app.close();
    await closeHttp(server);
  });
  return { server, port };
}

/**
 * Where raw clients connect: any server that serves a contract (a generated server mounted in
 * Express or Fastify, a hand-assembled core) — only these three fields are used.
 */
export interface Target {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** `ws://127.0.0.1:<port>` */
  readonly wsOrigin: string;
  readonly contract: ContractDescriptor;
}

/** The Target of a contract served on 127.0.0.1:port. */
export function target(port: number, contract: ContractDescriptor): Target {
  return { origin: `http://127.0.0.1:${port}`, wsOrigin: `ws://127.0.0.1:${port}`, contract };
}
