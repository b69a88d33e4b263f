/**
 * Long-polling behind a load balancer on Redis (S4.10): what a poll costs when consecutive polls
 * of one client reach different server processes. Three setups, in the same run, alternating run
 * by run after a warm-up each:
 *
 *   round-robin, attachment not named   every request to the other process; the client does not
 *                                       name its attachment: how polls hopped before S4.10
 *   round-robin, attachment named       the same balancer; the client names the attachment its
 *                                       last answer named (the generated client does)
 *   sticky, attachment not named        every request to one process (before S4.10)
 *   sticky, attachment named            the same (the generated client names it)
 *
 * Two generated servers in their own processes (tests/redis/server-process.ts) share a
 * redis-server; process A emits N agent.events to the session (in chunks of 10, each awaited,
 * at most 500 ahead of the client, so data keeps arriving while the client polls and the replay
 * window always holds what it has not taken), the client polls through the balancer (asking for
 * answers of at most MAX_BYTES, about a dozen frames: a client on a link that cuts long answers
 * does, and the poll count per message stays comparable between setups) until it
 * holds seq N (checked: each seq once, in order). Per 1 000 messages: polls, hellos and resumes
 * the answers carried, and the Redis round trips of the poll path — the commands clients sent
 * (EVALSHA, SUBSCRIBE, UNSUBSCRIBE from INFO commandstats; the commands a script runs inside
 * are left out) less the emitter's N appends; the processes subscribed to the session's channel
 * at the end (PUBSUB NUMSUB: each one hears every frame); and messages/s. The table shows the
 * median run.
 *
 *   node_modules/.bin/tsx bench/redis-poll.ts                (BENCH_N=5000 BENCH_RUNS=5)
 *   BENCH_QUICK=1 node_modules/.bin/tsx bench/redis-poll.ts  (a smoke run)
 */
import http from 'node:http';
import type { Redis } from 'ioredis';
import { contract } from '../generated/contract.js';
import { startRoundRobinProxy, startServerProcess, type RoundRobinProxy, type ServerProcess } from '../tests/redis/processes.js';
import { connectRedis, startRedisServer, type RedisServer } from '../tests/redis/redis-server.js';
import { intEnv, QUICK } from './env.js';
import { startWatchdog } from './watchdog.js';

const N = intEnv('BENCH_N') ?? (QUICK ? 1_000 : 5_000);
const RUNS = intEnv('BENCH_RUNS') ?? (QUICK ? 1 : 5);
const CHUNK = 10;
const MAX_BYTES = 2048;
const LEAD = 500;
const WATCHDOG_MS = 5 * 60_000;
const POLL = contract.transports.poll!.path;

interface Setup {
  readonly name: string;
  readonly proxy: RoundRobinProxy;
  /** Whether the client names the attachment its last answer named (S4.10). */
  readonly names: boolean;
}

interface Figures {
  readonly rate: number;
  readonly polls: number;
  readonly hellos: number;
  readonly resumes: number;
  readonly commands: number;
  /** Processes subscribed to the session's channel at the end (each gets every frame's wake-up). */
  readonly subscribers: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Round trips clients made (INFO commandstats: the scripts and subscriptions; what a script runs inside is not one). */
async function commandsRun(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_(evalsha|eval|subscribe|unsubscribe):calls=(\d+)/gm)) total += Number(m[2]);
  return total;
}

interface Answer {
  readonly frames: { type: string; header: { seq?: number }; payload: Record<string, unknown> }[];
  readonly attachment?: string;
}

/** A POST on a connection of its own (no kept-alive socket the server may have closed meanwhile), its JSON answer. */
function postFresh(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(error as Error);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function run(setup: Setup, emitter: ServerProcess, admin: Redis, n: number): Promise<Figures> {
  const { origin, counts } = setup.proxy;
  const get = async (query: Record<string, string | number>, token?: string): Promise<Answer> => {
    const url = `${origin}${POLL}?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]))}`;
    const init: RequestInit = token ? { headers: { 'resume-token': token } } : {};
    // A kept-alive connection the balancer closed as idle just as it was reused: a poll is safe to send again.
    const res = await fetch(url, init).catch(() => fetch(url, init));
    if (!res.ok) throw new Error(`${setup.name}: a poll was answered ${res.status}`);
    return (await res.json()) as Answer;
  };
  const opened = await get({ versions: contract.protocolVersions.join(',') });
  const sessionId = opened.frames[0]!.payload.session_id as string;
  const token = opened.frames[0]!.payload.resume_token as string;
  let attachment = opened.attachment;
  const before = { polls: [...counts.polls.values()].reduce((a, b) => a + b, 0), hellos: counts.hellos, resumes: counts.resumes, commands: await commandsRun(admin) };
  const started = performance.now();
  let cursor = 0;
  // Chunks of CHUNK, each awaited; never more than LEAD ahead of the client, so the replay window
  // (1 000 messages) always holds what it has not taken, however slowly a setup polls.
  const emitted = (async () => {
    let stored = 0;
    let failed = 0;
    for (let sent = 0; sent < n; sent += CHUNK) {
      while (sent - cursor > LEAD) await new Promise((r) => setTimeout(r, 1));
      const r = (await postFresh(`${emitter.origin}/bench/emit?session=${sessionId}&n=${Math.min(CHUNK, n - sent)}&chunk=${CHUNK}`)) as { stored: number; failed: number };
      stored += r.stored;
      failed += r.failed;
    }
    return { stored, failed };
  })();
  emitted.catch(() => undefined); // awaited below; a failure must not end the process before the polls say why
  while (cursor < n) {
    const answer = await get({ session_id: sessionId, cursor, max_bytes: MAX_BYTES, ...(setup.names && attachment ? { attachment } : {}) }, token);
    if (answer.attachment) attachment = answer.attachment;
    for (const f of answer.frames) {
      const seq = f.header.seq;
      if (seq === undefined) continue;
      if (seq !== cursor + 1) throw new Error(`${setup.name}: seq ${seq} after ${cursor}`);
      cursor = seq;
    }
  }
  const elapsed = performance.now() - started;
  const { stored, failed } = await emitted;
  if (stored !== n || failed !== 0) throw new Error(`${setup.name}: ${stored} stored, ${failed} failed of ${n}`);
  const per = 1000 / n;
  const [, subscribers] = (await admin.pubsub('NUMSUB', `bench:{${sessionId}}:ch`)) as [string, number];
  return {
    rate: (n / elapsed) * 1000,
    polls: ([...counts.polls.values()].reduce((a, b) => a + b, 0) - before.polls) * per,
    hellos: (counts.hellos - before.hellos) * per,
    resumes: (counts.resumes - before.resumes) * per,
    commands: ((await commandsRun(admin)) - before.commands - n) * per, // less the emitter's appends
    subscribers: Number(subscribers),
  };
}

async function main(): Promise<void> {
  const children: ServerProcess[] = [];
  const proxies: RoundRobinProxy[] = [];
  let redis: RedisServer | undefined;
  let admin: Redis | undefined;
  const disarm = startWatchdog('bench/redis-poll', WATCHDOG_MS, children, () => redis);
  try {
    redis = await startRedisServer();
    admin = await connectRedis(redis.port);
    const [a, b] = await Promise.all([startServerProcess({ name: 'A', redisPort: redis.port, prefix: 'bench:' }), startServerProcess({ name: 'B', redisPort: redis.port, prefix: 'bench:' })]);
    children.push(a, b);
    const [hopping, hopping2, sticky, sticky2] = await Promise.all([startRoundRobinProxy([a.port, b.port]), startRoundRobinProxy([a.port, b.port]), startRoundRobinProxy([b.port]), startRoundRobinProxy([b.port])]);
    proxies.push(hopping, hopping2, sticky, sticky2);
    const setups: Setup[] = [
      { name: 'round-robin, attachment not named (before S4.10)', proxy: hopping, names: false },
      { name: 'round-robin, attachment named (S4.10)', proxy: hopping2, names: true },
      { name: 'sticky (one process), attachment not named (before S4.10)', proxy: sticky2, names: false },
      { name: 'sticky (one process), attachment named', proxy: sticky, names: true },
    ];
    console.log(`bench/redis-poll: N = ${fmt(N)} messages per run (A emits in chunks of ${CHUNK}), ${RUNS} run(s) per setup after a warm-up; node ${process.version}; redis-server on port ${redis.port}`);
    for (const s of setups) await run(s, a, admin, Math.min(N, 1_000));
    const figures = new Map<Setup, Figures[]>(setups.map((s) => [s, []]));
    for (let i = 0; i < RUNS; i++) for (const s of setups) figures.get(s)!.push(await run(s, a, admin, N));
    const med = (s: Setup, k: keyof Figures): number => median(figures.get(s)!.map((f) => f[k]));
    console.log('');
    console.log(
      table(
        ['setup', 'messages/s', 'polls /1k msgs', 'hellos /1k', 'resumes /1k', 'Redis round trips of polling /1k', 'per poll', 'processes subscribed'],
        setups.map((s) => [s.name, fmt(med(s, 'rate')), fmt(med(s, 'polls'), 1), fmt(med(s, 'hellos'), 1), fmt(med(s, 'resumes'), 1), fmt(med(s, 'commands')), fmt(median(figures.get(s)!.map((f) => f.commands / f.polls)), 2), fmt(med(s, 'subscribers'))]),
      ),
    );
    const [before, after, , stuck] = setups as [Setup, Setup, Setup, Setup];
    console.log('');
    console.log(`resumes per 1 000 messages through round-robin: ${fmt(med(before, 'resumes'), 1)} before, ${fmt(med(after, 'resumes'), 1)} with S4.10 (answers of at most ${fmt(MAX_BYTES)} bytes)`);
    console.log(`Redis round trips of polling per 1 000 messages: round-robin ${fmt(med(after, 'commands'))} / sticky ${fmt(med(stuck, 'commands'))} = ${(med(after, 'commands') / med(stuck, 'commands')).toFixed(2)}×; throughput round-robin / sticky = ${(med(after, 'rate') / med(stuck, 'rate')).toFixed(2)}×; round-robin with S4.10 / before = ${(med(after, 'rate') / med(before, 'rate')).toFixed(2)}×`);
  } finally {
    await Promise.all(proxies.map((p) => p.close()));
    await Promise.all(children.map((c) => c.close()));
    admin?.disconnect();
    await redis?.close();
    disarm();
  }
}

await main();
