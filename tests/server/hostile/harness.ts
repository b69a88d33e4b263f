/**
 * The hostile-client suite's side of things: the attacked server in its own process
 * (server-child.ts), the well-behaved clients that must keep getting every message whatever
 * happens beside them, raw bytes over `net` sockets (what no well-behaved client library would
 * send), and the check that runs after every attack — the process lives, every bystander gets
 * its next message with nothing lost or repeated, and memory stays under its bound.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { resolveLimits, type ContractLimits } from '../../../runtime/limits.js';
import type { ContractServerStats } from '../../../runtime/server/contract-server.js';
import { contractWith } from '../../support/contract.js';
import { chatSend, cleanup, isData, keepAcrossTests, KINDS, openSession, range, seqsOf, target, type OpenSession, type Target } from '../helpers.js';
import type { HostileConfig } from './server-child.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'server-child.ts');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * Which server the suite attacks: the TypeScript runtime (server-child.ts), or the Python one
 * (tests/python/hostile_server.py, the same IPC commands) when HOSTILE_RUNTIME=python — the
 * Python suites run these very files that way (tests/python/hostile-*.test.ts).
 */
export const RUNTIME: 'typescript' | 'python' = process.env.HOSTILE_RUNTIME === 'python' ? 'python' : 'typescript';

/** The expectation where the host's own HTTP layer answers before the runtime does (Node's http, uvicorn with h11). */
export const byHost = <T>(node: T, uvicorn: T): T => (RUNTIME === 'python' ? uvicorn : node);

export interface ChildStats {
  readonly stats: ContractServerStats;
  /** After a full GC. */
  readonly memory: { readonly rss: number; readonly heapUsed: number; readonly arrayBuffers: number; readonly external: number };
}

export interface HostileServer {
  readonly port: number;
  readonly target: Target;
  readonly limits: ContractLimits;
  /** Why the process ended, if it did. */
  readonly exited: string | undefined;
  stats(): Promise<ChildStats>;
  /** Lets every `block`ed handler go on. */
  release(): Promise<void>;
  handled(sessionId: string): Promise<string[]>;
  /** Ends every session but `keep`. */
  endSessionsBut(keep: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export async function startHostile(config: HostileConfig = {}): Promise<HostileServer> {
  const env = { ...process.env, HOSTILE_CONFIG: JSON.stringify(config) };
  const child: ChildProcess =
    RUNTIME === 'python'
      ? spawn(path.join(ROOT, '.venv', 'bin', 'python'), [path.join(ROOT, 'tests', 'python', 'hostile_server.py')], { env: { ...env, PYTHONDONTWRITEBYTECODE: '1' }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      : fork(CHILD, [], { execArgv: ['--import', 'tsx', '--expose-gc'], env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let exited: string | undefined;
  const waiters = new Map<number, (m: Record<string, unknown>) => void>();
  child.on('message', (m: Record<string, unknown>) => waiters.get(m.id as number)?.(m));
  child.on('exit', (code, signal) => {
    exited = `exited with code ${code} signal ${signal}`;
    for (const w of waiters.values()) w({ error: exited });
  });
  let nextId = 1;
  const ask = (command: Record<string, unknown>, id = nextId++): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error(`the server process ${exited}`));
      const timer = setTimeout(() => reject(new Error(`the server process did not answer ${JSON.stringify(command)}`)), 20_000);
      waiters.set(id, (m) => {
        clearTimeout(timer);
        waiters.delete(id);
        if (m.error) reject(new Error(String(m.error)));
        else resolve(m);
      });
      if (id !== 0) child.send({ id, ...command });
    });
  const ready = await ask({}, 0);
  const port = ready.port as number;
  const contract = contractWith(config.contract ?? {});
  return {
    port,
    target: target(port, contract),
    limits: resolveLimits(contract, contract.limits, config.limits),
    get exited() {
      return exited;
    },
    stats: async () => (await ask({ cmd: 'stats' })) as unknown as ChildStats,
    release: async () => void (await ask({ cmd: 'release' })),
    handled: async (sessionId) => (await ask({ cmd: 'handled', sessionId })).texts as string[],
    endSessionsBut: async (keep) => void (await ask({ cmd: 'end', keep })),
    close: async () => {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill();
      await gone;
    },
  };
}

/** The attacked server with one well-behaved session per transport beside it. */
export interface Scene {
  readonly server: HostileServer;
  readonly bystanders: readonly OpenSession[];
  /**
   * After an attack: the process lives; every bystander gets its next message, and its data so
   * far is exactly 1..latest; the heap and buffers of the server (after a GC) grew less than
   * `memoryBound` since the scene began; it holds no more sessions than its limit.
   */
  check(options?: { readonly memoryBound?: number }): Promise<ChildStats>;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
const used = (s: ChildStats): number => s.memory.heapUsed + s.memory.arrayBuffers;

export async function startScene(config: HostileConfig = {}): Promise<Scene> {
  const server = await startHostile(config);
  const bystanders: OpenSession[] = [];
  for (const kind of KINDS) {
    const s = await openSession(server.target, kind);
    await s.ch.send(chatSend(s.sessionId, 2), s.token);
    await s.ch.data(2);
    bystanders.push(s);
  }
  const closeBystanders = keepAcrossTests();
  const baseline = used(await server.stats());
  return {
    server,
    bystanders,
    async check(options = {}) {
      expect(server.exited, 'the server process lives').toBeUndefined();
      for (const s of bystanders) {
        const before = s.ch.log.filter(isData).length;
        const answer = await s.ch.send(chatSend(s.sessionId, 1), s.token);
        if (s.ch.kind !== 'websocket') expect(answer.status, `${s.ch.kind} bystander's POST`).toBe(202);
        expect(seqsOf(await s.ch.data(1)), `${s.ch.kind} bystander's next message`).toEqual([before + 1]);
        expect(seqsOf(s.ch.log.filter(isData)), `${s.ch.kind} bystander: every message once, in order`).toEqual(range(1, before + 1));
      }
      const after = await server.stats();
      expect(after.stats.sessions).toBeLessThanOrEqual(server.limits.maxSessions);
      const bound = options.memoryBound ?? 24 * MiB;
      expect(used(after) - baseline, `the server's heap and buffers grew by at most ${bound / MiB} MiB`).toBeLessThan(bound);
      await server.endSessionsBut(bystanders.map((b) => b.sessionId));
      return after;
    },
    async close() {
      await closeBystanders();
      await server.close();
    },
  };
}

/**
 * One scene for a test file: started before its tests, checked after each one (after the
 * attack's own clients are closed), closed after all. Returns the scene's getter.
 */
export function useScene(config: HostileConfig): () => Scene {
  let scene: Scene | undefined;
  beforeAll(async () => {
    scene = await startScene(config);
  }, 60_000);
  afterAll(() => scene?.close());
  afterEach(async () => {
    await cleanup();
    await scene!.check();
  });
  return () => scene!;
}

// ---------------------------------------------------------------------------------------------
// Raw bytes

export interface RawAnswer {
  /** Status of the first response, if one came. */
  readonly status: number | undefined;
  readonly head: string;
  readonly body: string;
  /** Bytes received in all. */
  readonly bytes: number;
  /** Whether the server closed the connection. */
  readonly closed: boolean;
}

/**
 * Sends `bytes` on a fresh connection and collects the answer until the server closes the
 * connection (every request here says `Connection: close`), a chunked body has ended (an SSE
 * stream answered on a kept-alive connection), `enough` says so, or `timeoutMs` passes.
 */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 5000, enough?: (received: string) => boolean): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const all = Buffer.concat(chunks).toString('latin1');
      const split = all.indexOf('\r\n\r\n');
      const head = split < 0 ? all : all.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]) || undefined, head, body: split < 0 ? '' : all.slice(split + 4), bytes: all.length, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d) => {
      chunks.push(d);
      if (d.toString('latin1').endsWith('\r\n0\r\n\r\n') || enough?.(Buffer.concat(chunks).toString('latin1'))) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
  });
}

/** `GET path` with the headers given, ready for the wire. */
export function httpGet(path: string, headers: Record<string, string> = {}): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries({ connection: 'close', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

export function httpPost(path: string, body: string | Buffer, headers: Record<string, string> = {}): Buffer {
  const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
}

export const UPGRADE_HEADERS = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' };

// ---------------------------------------------------------------------------------------------
// Raw WebSocket frames

/** A client frame as bytes: masked unless told otherwise, FIN set unless told otherwise. */
export function wsFrame(opcode: number, payload: Buffer | string, o: { mask?: boolean; fin?: boolean; rsv?: number; declaredLength?: bigint } = {}): Buffer {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const mask = o.mask ?? true;
  const first = ((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | opcode;
  const length = o.declaredLength ?? BigInt(data.length);
  let header: Buffer;
  if (length < 126n) header = Buffer.from([first, (mask ? 0x80 : 0) | Number(length)]);
  else if (length < 65536n) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = (mask ? 0x80 : 0) | 126;
    header.writeUInt16BE(Number(length), 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = (mask ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(length, 2);
  }
  if (!mask) return Buffer.concat([header, data]);
  const key = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(data.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([header, key, masked]);
}

export interface RawWebSocket {
  readonly socket: net.Socket;
  /** Text frames received, in order — heartbeats aside: Q4 lets a server send one at any time. */
  readonly texts: string[];
  /** How many protocol.heartbeat frames arrived. */
  readonly heartbeats: () => number;
  /** Resolves with the close code the server sent (or 1006 when the socket closed without one). */
  readonly closed: Promise<number>;
}

function isHeartbeat(text: string): boolean {
  if (!text.includes('protocol.heartbeat')) return false;
  try {
    return (JSON.parse(text) as { type?: unknown }).type === 'protocol.heartbeat';
  } catch {
    return false;
  }
}

/** A WebSocket handshake over a raw socket; frames are then written by hand. */
export function rawWebSocket(port: number, query = '', headers: Record<string, string> = {}): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const texts: string[] = [];
    let heartbeats = 0;
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    let resolveClosed!: (code: number) => void;
    const closed = new Promise<number>((r) => (resolveClosed = r));
    socket.on('connect', () => socket.write(httpGet(`/ws${query}`, { ...UPGRADE_HEADERS, ...headers })));
    socket.on('data', (d) => {
      buffer = Buffer.concat([buffer, d]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString('latin1');
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`no upgrade: ${head.split('\r\n')[0]}`));
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        resolve({ socket, texts, heartbeats: () => heartbeats, closed });
      }
      // Server frames are unmasked and short enough here for 7- and 16-bit lengths.
      while (buffer.length >= 2) {
        let length = buffer[1]! & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) return;
          length = buffer.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffer.length < 10) return;
          length = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffer.length < offset + length) return;
        const opcode = buffer[0]! & 0x0f;
        const payload = buffer.subarray(offset, offset + length);
        buffer = buffer.subarray(offset + length);
        if (opcode === 1) {
          const text = payload.toString('utf8');
          if (isHeartbeat(text)) heartbeats++;
          else texts.push(text);
        }
        if (opcode === 8) resolveClosed(payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      resolveClosed(1006);
      if (!upgraded) reject(new Error('closed before the upgrade'));
    });
  });
}
