/**
 * Server processes for the multi-process suite and bench (tests/redis/server-process.ts, forked
 * with tsx), and a TCP "load balancer" whose backend can be switched and whose connections can be
 * cut, so one client URL reaches process A, then process B.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export interface ServerProcess {
  readonly name: string;
  readonly port: number;
  readonly origin: string;
  readonly child: ChildProcess;
  /** POST /test/emit: n agent.events to a session, from this process. */
  emit(sessionId: string, n: number, text?: string): Promise<({ seq: number } | { error: string; name: string })[]>;
  errors(): Promise<{ name: string; message: string; where: unknown }[]>;
  /** C2: what this process's chat.send handler was handed, as `<session>:<text>`. */
  handled(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startServerProcess(options: { name: string; redisPort?: number; prefix?: string; refreshMs?: number; store?: 'redis' | 'memory' }): Promise<ServerProcess> {
  const child = fork(path.join(here, 'server-process.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      REDIS_PORT: String(options.redisPort ?? 0),
      STORE_PREFIX: options.prefix ?? 'contractgen:',
      STORE: options.store ?? 'redis',
      NAME: options.name,
      ...(options.refreshMs !== undefined ? { REFRESH_MS: String(options.refreshMs) } : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server process ${options.name} did not report its port within 20 s`)), 20_000);
    child.once('message', (m: { port?: number }) => {
      clearTimeout(timer);
      if (typeof m.port === 'number') resolve(m.port);
      else reject(new Error(`server process ${options.name} sent ${JSON.stringify(m)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server process ${options.name} exited with ${code} before listening`));
    });
  });
  const origin = `http://127.0.0.1:${port}`;
  return {
    name: options.name,
    port,
    origin,
    child,
    async emit(sessionId, n, text) {
      const res = await fetch(`${origin}/test/emit?session=${encodeURIComponent(sessionId)}&n=${n}${text ? `&text=${encodeURIComponent(text)}` : ''}`, { method: 'POST' });
      return ((await res.json()) as { results: ({ seq: number } | { error: string; name: string })[] }).results;
    },
    async handled() {
      return ((await (await fetch(`${origin}/test/handled`)).json()) as { handled: string[] }).handled;
    },
    async errors() {
      return ((await (await fetch(`${origin}/test/errors`)).json()) as { errors: { name: string; message: string; where: unknown }[] }).errors;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.send('close');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface SwitchProxy {
  readonly port: number;
  /** New connections go to this port. */
  switchTo(port: number): void;
  /** While refusing, new connections are closed at once (the balancer has no healthy backend). */
  refuse(on: boolean): void;
  /** Open connections stop passing what clients send (a command written now gets no answer). */
  hold(): void;
  /** Destroys every open connection (a network cut). */
  cut(): void;
  close(): Promise<void>;
}

export async function startSwitchProxy(initialTarget: number): Promise<SwitchProxy> {
  let target = initialTarget;
  let refusing = false;
  const open = new Set<Socket>();
  const piped = new Map<Socket, Socket>(); // client → upstream
  const server = createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = connect(target, '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const done = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
      piped.delete(client);
    };
    client.on('error', done).on('close', done);
    upstream.on('error', done).on('close', done);
    client.pipe(upstream);
    upstream.pipe(client);
    piped.set(client, upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    switchTo: (port) => void (target = port),
    refuse: (on) => void (refusing = on),
    hold() {
      for (const [client, upstream] of piped) client.unpipe(upstream).pause();
    },
    cut() {
      for (const s of open) s.destroy();
      open.clear();
    },
    close() {
      for (const s of open) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface RoundRobinProxy {
  readonly port: number;
  readonly origin: string;
  /** Poll answers that carried a protocol.hello / a protocol.resumed, and polls per backend port. */
  readonly counts: { hellos: number; resumes: number; polls: Map<number, number> };
  close(): Promise<void>;
}

/**
 * A load balancer without sticky sessions: each HTTP request goes to the next backend in turn
 * (a fresh upstream connection per request, so keep-alive pins nothing). It counts the hellos and
 * resumes its poll answers carry (S4.10: a poll continuing an attachment on another process
 * carries neither).
 */
export async function startRoundRobinProxy(backends: readonly number[]): Promise<RoundRobinProxy> {
  const http = await import('node:http');
  let next = 0;
  const counts = { hellos: 0, resumes: 0, polls: new Map<number, number>() };
  const server = http.createServer((req, res) => {
    const port = backends[next++ % backends.length]!;
    const isPoll = (req.url ?? '').startsWith('/poll');
    if (isPoll) counts.polls.set(port, (counts.polls.get(port) ?? 0) + 1);
    const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: { ...req.headers, connection: 'close' }, agent: false }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        if (isPoll) {
          const text = body.toString('utf8');
          counts.hellos += text.split('"type":"protocol.hello"').length - 1;
          counts.resumes += text.split('"type":"protocol.resumed"').length - 1;
        }
        const headers = { ...answer.headers };
        delete headers['transfer-encoding'];
        res.writeHead(answer.statusCode ?? 502, { ...headers, 'content-length': String(body.length) });
        res.end(body);
      });
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 60_000; // a client's kept-alive connection is not closed under it between polls
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    counts,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
