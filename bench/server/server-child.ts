/**
 * One server of the benchmark, alone in its process (so its RSS is its own). `argv[2]` picks it:
 *
 * - `generated`  the generated typed server (generated/server.ts): WebSocket, SSE and poll;
 * - `ws-raw`     a bare `ws` WebSocketServer; `emit` sends naively or batched per tick;
 * - `socketio`   socket.io 4 with connectionStateRecovery, WebSocket transport only;
 * - `sse-plain`  a bare node:http SSE writer; `emit` writes naively or batched per tick.
 *
 * Every peer emits the same message (common.ts) in the same chunks, one chunk per event-loop
 * turn, with the same back-pressure rule: before the next chunk, wait while more than
 * HIGH_WATER bytes sit in Node's socket buffer (the client is a separate process and may be
 * slower; without the rule the generated server would rightly drop it as a slow consumer at
 * 8 MiB, and the other peers would just buffer everything).
 *
 * Each kind imports only its own server code (dynamic imports), so the idle RSS of one does not
 * include another's modules.
 */
import type { MemorySessionStore } from '../../runtime/server/memory-store.js';
import http, { type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Socket as SocketIoSocket } from 'socket.io';
import type { AgentUiServer } from '../../generated/server.js';
import { hrEpoch, immediate, memory, PAYLOAD, rawFrame, serveCommands, sleep, type Command } from './common.js';
import { accepted } from '../../tests/support/accepted.js';

// Never outlive the benchmark: exit as soon as the parent's IPC channel goes, even mid-start.
if (!process.connected) process.exit(0);
process.on('disconnect', () => process.exit(0));

const HIGH_WATER = 1024 * 1024;
/** Poll: at most this many unacknowledged frames before the next chunk (the window holds 1,000). */
const POLL_UNACKED = 500;

const kind = process.argv[2] ?? '';

interface EmitHooks {
  readonly one: (seq: number) => void;
  readonly before?: () => void;
  readonly after?: () => void;
  readonly backlogged: () => boolean;
}

/** Emits n messages; `cpuUs` is this process's CPU time (user + system) over the loop. */
async function emitLoop(n: number, chunk: number, hooks: EmitHooks): Promise<{ t0: number; tEnd: number; waits: number; cpuUs: number }> {
  let waits = 0;
  let seq = 1;
  const cpu0 = process.cpuUsage();
  const t0 = hrEpoch();
  while (seq <= n) {
    const end = Math.min(n, seq + chunk - 1);
    hooks.before?.();
    for (; seq <= end; seq++) hooks.one(seq);
    hooks.after?.();
    await immediate(); // the transport flushes (nextTick), I/O runs
    while (hooks.backlogged()) {
      waits++;
      await sleep(1);
    }
  }
  const tEnd = hrEpoch();
  const cpu = process.cpuUsage(cpu0);
  return { t0, tEnd, waits, cpuUs: cpu.user + cpu.system };
}

const hs = http.createServer();
hs.keepAliveTimeout = 60_000;
let lastUpgrade: Socket | undefined;
hs.on('upgrade', (_req, socket: Socket) => {
  lastUpgrade = socket;
});
const socketBacklog = (): number => lastUpgrade?.writableLength ?? 0;

type Handlers = Record<string, (command: Command, reply: (type: string, data?: Record<string, unknown>) => void) => unknown>;
const handlers: Handlers = {
  clock: (_command, reply) => reply('clock', { t: hrEpoch() }),
  async mem(command, reply) {
    reply('mem', { ...(await memory(command.gc === true)) });
  },
};

if (kind === 'generated' || kind === 'generated-auth') {
  let lastSse: ServerResponse | undefined;
  const { createAgentUiServer } = await import('../../generated/server.js');
  // generated-auth: an async authenticate hook (A1), as an application's token lookup would be.
  const authenticate = async (request: { readonly headers: { readonly authorization?: string | undefined } }) =>
    request.headers.authorization === 'Bearer bench' ? { principal: 'bench' } : ({ refuse: 'unauthorized' } as const);
  const server: AgentUiServer<string> = createAgentUiServer<string>({
    ...(kind === 'generated-auth' ? { authenticate } : {}),
    handlers: {
      chatSend: accepted,
      uiAction() {},
      onSessionStart() {},
    },
  });
  hs.on('request', (req, res) => {
    if (req.url?.startsWith('/events')) lastSse = res;
    if (!server.handleRequest(req, res)) res.writeHead(404).end();
  });
  hs.on('upgrade', (req, socket, head) => {
    if (!server.handleUpgrade(req, socket, head)) socket.destroy();
  });
  handlers.emit = async (command, reply) => {
    const { n, chunk, transport, sessionId } = command as Command & { n: number; chunk: number; transport: 'ws' | 'sse' | 'poll'; sessionId: string };
    const ctx = server.session(sessionId);
    const store = server.core.store as MemorySessionStore;
    const window = (): NonNullable<ReturnType<MemorySessionStore['peek']>> => store.peek(sessionId)!;
    if (!ctx || !store.peek(sessionId)) throw new Error(`no live session ${sessionId}`);
    const start = window().latestSeq;
    const backlogged =
      transport === 'ws' ? () => socketBacklog() > HIGH_WATER : transport === 'sse' ? () => (lastSse?.writableLength ?? 0) > HIGH_WATER : () => window().windowSize > POLL_UNACKED;
    // The memory store stamps and delivers inside the call; the promise only reports the seq.
    const result = await emitLoop(n, chunk, { one: () => void ctx.emit.agentEvent(PAYLOAD), backlogged });
    const last = window().latestSeq;
    if (last !== start + n) throw new Error(`the outbox stamped ${last}, expected ${start + n}`);
    reply('emitted', { ...result, latestSeq: last });
  };
  /** Sessions made directly through the core's registry, no transport (section 7b). */
  handlers.registry = (command, reply) => {
    const count = command.count as number;
    const t = performance.now();
    const store = server.core.store as MemorySessionStore;
    void (async () => {
      for (let i = 0; i < count; i++) await store.create('1.1');
      reply('created', { ms: performance.now() - t, size: store.size });
    })();
  };
  handlers.sessions = (_command, reply) => reply('sessions', { size: (server.core.store as MemorySessionStore).size });
} else if (kind === 'ws-raw') {
  let current: WebSocket | undefined;
  const { WebSocketServer } = await import('ws');
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  hs.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => (current = ws)));
  handlers.emit = async (command, reply) => {
    const { n, chunk, mode } = command as Command & { n: number; chunk: number; mode: 'naive' | 'batched' };
    const ws = current;
    if (!ws) throw new Error('no client connected');
    const socket = lastUpgrade!;
    const result = await emitLoop(n, chunk, {
      one: (seq) => ws.send(rawFrame(seq)),
      ...(mode === 'batched' ? { before: () => socket.cork(), after: () => socket.uncork() } : {}),
      backlogged: () => socketBacklog() > HIGH_WATER,
    });
    reply('emitted', { ...result });
  };
} else if (kind === 'socketio') {
  let current: SocketIoSocket | undefined;
  const { Server: SocketIoServer } = await import('socket.io');
  const io = new SocketIoServer(hs, {
    transports: ['websocket'],
    perMessageDeflate: false,
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: true },
  });
  io.on('connection', (socket) => (current = socket));
  handlers.emit = async (command, reply) => {
    const { n, chunk } = command as Command & { n: number; chunk: number };
    const socket = current;
    if (!socket) throw new Error('no client connected');
    // engine.io queues packets in conn.writeBuffer while its transport is busy; count those too.
    const conn = socket.conn as unknown as { writeBuffer: unknown[] };
    const result = await emitLoop(n, chunk, {
      one: (seq) => socket.emit('agent.event', { type: 'agent.event', header: { session_id: socket.id, seq }, payload: PAYLOAD }),
      backlogged: () => socketBacklog() + conn.writeBuffer.length * 130 > HIGH_WATER,
    });
    reply('emitted', { ...result });
  };
  handlers.stored = (_command, reply) => {
    const adapter = io.of('/').adapter as unknown as { packets?: unknown[] };
    reply('stored', { packets: adapter.packets?.length ?? -1 });
  };
} else if (kind === 'sse-plain') {
  let current: ServerResponse | undefined;
  hs.on('request', (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.flushHeaders();
    current = res;
  });
  handlers.emit = async (command, reply) => {
    const { n, chunk, mode } = command as Command & { n: number; chunk: number; mode: 'naive' | 'batched' };
    const res = current;
    if (!res) throw new Error('no client connected');
    let pending = '';
    const result = await emitLoop(n, chunk, {
      one:
        mode === 'batched'
          ? (seq) => {
              pending += `id: ${seq}\ndata: ${rawFrame(seq)}\n\n`;
            }
          : (seq) => {
              res.write(`id: ${seq}\ndata: ${rawFrame(seq)}\n\n`);
            },
      after: () => {
        if (pending !== '') res.write(pending);
        pending = '';
      },
      backlogged: () => res.writableLength > HIGH_WATER,
    });
    reply('emitted', { ...result });
  };
} else {
  throw new Error(`unknown server kind ${kind}`);
}

hs.listen(0, '127.0.0.1', () => {
  const address = hs.address();
  serveCommands(handlers, { port: typeof address === 'object' && address ? address.port : 0, pid: process.pid });
});
