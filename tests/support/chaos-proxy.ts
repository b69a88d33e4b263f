/**
 * A TCP proxy that cuts connections on a seeded schedule — at a random byte (so frames, HTTP
 * bodies and WebSocket messages are cut in the middle) or after a random time — and a network
 * outage switch. `cleanup()` closes it.
 */
import { createServer as createNetServer, connect, type AddressInfo, type Socket } from 'node:net';
import { onCleanup } from './lifecycle.js';


export interface ChaosProxyOptions {
  readonly targetPort: number;
  /** Seeded source of randomness: the schedule of cuts is a function of it. */
  readonly random: () => number;
  /** Mean bytes (both directions) a connection forwards before it is cut at that byte. */
  readonly meanBytes: number;
  /** A connection lives at most a random time in [minMs, maxMs] before it is cut. */
  readonly minMs: number;
  readonly maxMs: number;
}

export interface ChaosProxy {
  readonly port: number;
  readonly url: string;
  /** Connections cut by the proxy (both sockets destroyed). */
  readonly cuts: number;
  readonly connections: number;
  /** Whether cuts happen (on by default); off leaves the proxy a plain pipe. */
  chaos: boolean;
  /** While down, existing connections are cut and new ones refused (a network outage). */
  down: boolean;
  close(): Promise<void>;
}

/**
 * A TCP proxy that forwards bytes both ways and cuts each connection at a random byte (so frames,
 * HTTP bodies and WebSocket messages are cut in the middle) or after a random time, whichever
 * comes first, destroying both sockets.
 */
export async function startChaosProxy(options: ChaosProxyOptions): Promise<ChaosProxy> {
  const { random } = options;
  const live = new Set<() => void>();
  let down = false;
  let cuts = 0;
  let connections = 0;
  const server = createNetServer((downstream: Socket) => {
    connections++;
    if (down) {
      downstream.destroy();
      return;
    }
    const upstream = connect(options.targetPort, '127.0.0.1');
    let dead = false;
    let forwarded = 0;
    const budget = 1 + Math.floor(random() * 2 * options.meanBytes);
    const lifetime = options.minMs + Math.floor(random() * (options.maxMs - options.minMs));
    const kill = (): void => {
      if (dead) return;
      dead = true;
      live.delete(cut);
      clearTimeout(timer);
      downstream.destroy();
      upstream.destroy();
    };
    const cut = (): void => {
      if (dead) return;
      cuts++;
      kill();
    };
    live.add(cut);
    const timer = setTimeout(() => {
      if (proxy.chaos) cut();
    }, lifetime);
    const pipe = (from: Socket, to: Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (dead) return;
        if (proxy.chaos && forwarded + chunk.length >= budget) {
          // Forward the bytes up to the budget, then cut: the peer gets a partial frame.
          const part = chunk.subarray(0, budget - forwarded);
          forwarded = budget;
          cuts++;
          dead = true;
          live.delete(cut);
          clearTimeout(timer);
          from.pause();
          const finish = (): void => {
            downstream.destroy();
            upstream.destroy();
          };
          if (part.length > 0) to.write(part, finish);
          else finish();
          setTimeout(finish, 20); // if the write never completes
          return;
        }
        forwarded += chunk.length;
        to.write(chunk);
      });
      from.on('error', kill);
      from.on('close', kill);
    };
    pipe(downstream, upstream);
    pipe(upstream, downstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const proxy: ChaosProxy = {
    port,
    url: `http://127.0.0.1:${port}`,
    get cuts() {
      return cuts;
    },
    get connections() {
      return connections;
    },
    chaos: true,
    get down() {
      return down;
    },
    set down(value: boolean) {
      down = value;
      if (value) for (const cut of [...live]) cut();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const cut of [...live]) cut();
        server.close(() => resolve());
      }),
  };
  onCleanup(() => proxy.close());
  return proxy;
}

/** CHAOS_SEED from the environment (to replay a failure), or a fresh one. */
export function chaosSeed(): number {
  const fromEnv = process.env.CHAOS_SEED;
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (!Number.isSafeInteger(n)) throw new Error(`CHAOS_SEED must be an integer, got ${fromEnv}`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}
