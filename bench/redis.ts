/**
 * Redis session store benchmark: messages/s through TWO server processes on Redis — a client
 * connected to process B receives N messages that process A emits to its session (emitTo, Redis
 * stream + pub/sub in between) — next to ONE process on the in-memory default store (the client
 * connected to the process that emits), measured in the same run, and the ratio.
 *
 *   node_modules/.bin/tsx bench/redis.ts                    (BENCH_N=50000 BENCH_RUNS=5)
 *   BENCH_QUICK=1 node_modules/.bin/tsx bench/redis.ts      (a smoke run with small numbers)
 *
 * Every server is the generated server (generated/server.ts) in its own process
 * (tests/redis/server-process.ts, forked with tsx); redis-server is a child process on a free
 * loopback port without persistence; the client (a raw `ws` WebSocket) runs in this process.
 * Throughput = N / (time from the emit request until the client holds seq N); the emitter sends
 * in chunks of 1 000, each awaited (the stored seq is known). Setups alternate run by run after a
 * warm-up run each; the table shows the median run. A watchdog ends everything after 5 minutes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { contract } from '../generated/contract.js';
import { startServerProcess, type ServerProcess } from '../tests/redis/processes.js';
import { startRedisServer, type RedisServer } from '../tests/redis/redis-server.js';
import { intEnv, QUICK } from './env.js';
import { startWatchdog } from './watchdog.js';

const N = intEnv('BENCH_N') ?? (QUICK ? 5_000 : 50_000);
const RUNS = intEnv('BENCH_RUNS') ?? (QUICK ? 1 : 5);
const CHUNK = 1_000;
const WATCHDOG_MS = 5 * 60_000;

interface Setup {
  readonly name: string;
  readonly processes: number;
  /** The process the client connects to. */
  readonly receiver: ServerProcess;
  /** The process that emits. */
  readonly emitter: ServerProcess;
}

const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Opens a session on `receiver`, has `emitter` send n messages to it, returns messages/s. */
async function run(setup: Setup, n: number): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${setup.receiver.port}${contract.transports.websocket!.path}?versions=1.0,1.1`);
  let sessionId: string | undefined;
  let last = 0;
  let done: (() => void) | undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const opened = new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; header: { seq?: number }; payload: { session_id?: string } };
      if (frame.type === 'protocol.hello') {
        sessionId = frame.payload.session_id;
        resolve();
        return;
      }
      const seq = frame.header.seq;
      if (seq === undefined) return;
      if (seq !== last + 1) throw new Error(`${setup.name}: seq ${seq} after ${last}`);
      last = seq;
      if (seq === n) done?.();
    });
  });
  await opened;
  const started = performance.now();
  const answer = fetch(`${setup.emitter.origin}/bench/emit?session=${sessionId}&n=${n}&chunk=${CHUNK}`, { method: 'POST' }).then((r) => r.json() as Promise<{ stored: number; failed: number }>);
  await finished;
  const elapsed = performance.now() - started;
  const { stored, failed } = await answer;
  if (stored !== n || failed !== 0) throw new Error(`${setup.name}: ${stored} stored, ${failed} failed of ${n}`);
  ws.close();
  return (n / elapsed) * 1000;
}

async function main(): Promise<void> {
  const children: ServerProcess[] = [];
  let redis: RedisServer | undefined;
  const disarm = startWatchdog('bench/redis', WATCHDOG_MS, children, () => redis);
  try {
    redis = await startRedisServer();
    const [memory, a, b] = await Promise.all([
      startServerProcess({ name: 'memory', store: 'memory' }),
      startServerProcess({ name: 'A', redisPort: redis.port, prefix: 'bench:' }),
      startServerProcess({ name: 'B', redisPort: redis.port, prefix: 'bench:' }),
    ]);
    children.push(memory, a, b);
    const setups: Setup[] = [
      { name: 'memory store, 1 process (emit and receive on the same process)', processes: 1, receiver: memory, emitter: memory },
      { name: 'Redis store, 2 processes (A emits, the client is on B)', processes: 2, receiver: b, emitter: a },
    ];
    console.log(`bench/redis: N = ${fmtInt(N)} messages per run, ${RUNS} run(s) per setup after a warm-up, chunks of ${fmtInt(CHUNK)}; node ${process.version}; redis-server on port ${redis.port}`);
    for (const s of setups) await run(s, Math.min(N, 5_000)); // warm-up
    const rates = new Map<Setup, number[]>(setups.map((s) => [s, []]));
    for (let i = 0; i < RUNS; i++) {
      for (const s of setups) {
        rates.get(s)!.push(await run(s, N));
        await sleep(50);
      }
    }
    const base = median(rates.get(setups[0]!)!);
    console.log('');
    console.log(
      table(
        ['setup', 'processes', 'messages/s (median)', 'min', 'max', 'vs memory'],
        setups.map((s) => {
          const r = rates.get(s)!;
          return [s.name, String(s.processes), fmtInt(median(r)), fmtInt(Math.min(...r)), fmtInt(Math.max(...r)), `${(median(r) / base).toFixed(2)}×`];
        }),
      ),
    );
    const ratio = median(rates.get(setups[1]!)!) / base;
    console.log('');
    console.log(`Redis (2 processes) / memory (1 process): ${ratio.toFixed(2)}× the throughput, i.e. ${(1 / ratio).toFixed(1)}× slower per message.`);
  } finally {
    await Promise.all(children.map((c) => c.close()));
    await redis?.close();
    disarm();
  }
}

await main();
