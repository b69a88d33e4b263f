/**
 * The server of the limits benchmark, alone in its process (its RSS is its own): the generated
 * server of whichever tree it was transpiled from — this branch, or main (bench/limits.ts copies
 * main's generated/ beside this file) — with every limit at its default. `argv[2]`:
 *
 * - `address`  requests count against their address (the default `clientKey`);
 * - `keyed`    against the `x-bench-client` header, so one client process is many clients
 *              (main's server has no `clientKey` and ignores it).
 *
 * chat.send `block` waits for the `release` command (the slow handler of the inbound flood).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createAgentUiServer } from '../../generated/server.js';
import { memory, serveCommands, type Command, type Reply } from '../server/common.js';
import { accepted } from '../../tests/support/accepted.js';

if (!process.connected) process.exit(0);
process.on('disconnect', () => process.exit(0));

let release: () => void = () => undefined;
let gate = new Promise<void>((r) => (release = r));
let handled = 0;

const keyed = process.argv[2] === 'keyed';
const server = createAgentUiServer({
  handlers: {
    async chatSend(message) {
      if (message.payload.text === 'block') await gate;
      handled++;
      return accepted(message);
    },
    uiAction() {},
  },
  ...(keyed ? { clientKey: (req: http.IncomingMessage) => String(req.headers['x-bench-client'] ?? req.socket.remoteAddress) } : {}),
});
const hs = http.createServer();
hs.keepAliveTimeout = 60_000;
server.attach(hs);
// Bytes read from every connection so far: how much of a flood the server took in.
const sockets = new Set<Socket>();
let bytesReadClosed = 0;
hs.on('connection', (socket: Socket) => {
  sockets.add(socket);
  socket.on('close', () => {
    sockets.delete(socket);
    bytesReadClosed += socket.bytesRead;
  });
});
const bytesRead = (): number => [...sockets].reduce((n, s) => n + s.bytesRead, bytesReadClosed);

const store = server.core.store as { size?: number };
serveCommands(
  {
    async mem(command: Command, reply: Reply) {
      reply('mem', { ...(await memory(command.gc === true)), sessions: store.size ?? Number.NaN, handled, bytesRead: bytesRead() });
    },
    release(_command: Command, reply: Reply) {
      release();
      gate = new Promise<void>((r) => (release = r));
      reply('released');
    },
  },
  await new Promise<Record<string, unknown>>((resolve) => hs.listen(0, '127.0.0.1', () => resolve({ port: (hs.address() as AddressInfo).port }))),
);
