/**
 * Client benchmark: the generated server and the generated client end to end, each in its own
 * process (2 cores: one each), every figure from this one run.
 *
 *   node_modules/.bin/tsx bench/client.ts                 (BENCH_N=100000 by default)
 *   BENCH_QUICK=1 node_modules/.bin/tsx bench/client.ts   (a smoke run with small numbers)
 *   BENCH_SECTIONS=3,4 BENCH_TRANSPORTS=websocket BENCH_SENDS=20000 node_modules/.bin/tsx bench/client.ts
 *                                                         (only those sections and transports; sends per run;
 *                                                         BENCH_MODES=acked,ff and BENCH_MESSAGES=ui.action to time only
 *                                                         those of section 3)
 *   BENCH_STORE=redis …                                   (the server on the Redis session store, redis-server a third
 *                                                         process on the same 2 cores; default: the in-memory store)
 *
 * 1. Throughput per transport: the client sends chat.send and the server emits N agent.events
 *    as fast as the client takes them: at most WINDOW messages not yet received (the client
 *    reports its count over IPC every PROGRESS_EVERY messages, see client/child.ts), below the 1,000-message replay window so
 *    that a poll cursor never falls out of it.
 *    msgs/s = N / (client's last receipt − server's first emit), on a clock both processes share
 *    (performance.timeOrigin + now()). The client checks the seqs are exactly 1..N in order.
 * 2. Disconnect → first replayed message per transport: the server emits a steady stream (one
 *    message a millisecond) and cuts the client's connection from its side (destroys the
 *    WebSocket, the SSE response or the pending poll) while it keeps emitting; measured from the
 *    cut to the client's first data message after it. Median of CUT_RUNS cuts per transport,
 *    for the client's default backoff and for a backoff that reconnects at once.
 * 3. Client → server sends per transport (C1–C4): SENDS_M sends of one message per run, each
 *    awaited, IN_FLIGHT at a time ("20 in flight") or all SENDS_M at once ("all"). Every run is
 *    timed from the client's first send to the later of its last send resolving and the server's
 *    handler seeing the last frame. Two rows per transport, both in the same run:
 *    - `ui.action` declares no reply: its acknowledged send resolves on the server's
 *      acknowledgement (C3). This row carries the target, acked ≥ 0.8× fire-and-forget.
 *    - `chat.send` declares `chat.accepted` as its reply (C4): its acknowledged send resolves on
 *      the reply, which the server sends once the handler returned. Its fire-and-forget frames are
 *      answered too (an unnumbered reply the baseline reads past), so the server does the same
 *      work; the difference is the client's (reading and matching the replies) and the wait.
 *    Columns:
 *    - `acked`: the generated client's `send.uiAction` / `send.chatSend` (C1–C3: numbered, kept,
 *      resolved on the server's acknowledgement, or on the reply when the message declares one).
 *    - `fire-and-forget` (the baseline): the client's send path without C3
 *      (client/fire-and-forget.ts): the generated validator, the client's framing without cseq,
 *      the same generated transport, queued as the client queues (the sends of one turn in one
 *      write; over HTTP one POST in flight, frames queued meanwhile in the next, up to
 *      maxFramesPerPost); resolved when the transport took the frame (WebSocket: written; SSE,
 *      poll: its POST answered), awaiting no acknowledgement — the server hands it over
 *      unnumbered, without a store decision or an acknowledgement.
 *    - `raw socket` (an extra, not the baseline): no client at all: one pre-serialized chat.send frame,
 *      unvalidated and unnumbered, written SENDS_M times to a `ws` socket, or POSTed in full
 *      batches one POST at a time (SSE, poll) — the floor of server and transport alone.
 *    Modes alternate within each run (acked next to its fire-and-forget, the order reversed every
 *    other run); rates are the median of SEND_RUNS; ratio = the median of each run's acked /
 *    fire-and-forget in the same concurrency (paired; target ≥ 0.8). CPU µs per send in each
 *    process (less moved by other load than wall time) show where a difference comes from.
 *    3b: the same ratio by sends in flight (1, 20, 100, 1000): an acknowledged sender makes at
 *    most W sends per round trip, and W = 1 measures that round trip.
 * 4. Cut → every unacknowledged send acknowledged: the client sends without end, IN_FLIGHT at a
 *    time; the server cuts its connection; measured from the cut to the client's acknowledged
 *    cseq reaching what it had queued (read over IPC right after the cut). Median of CUT_RUNS.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { BackoffOptions } from '../generated/runtime/client/backoff.js';
import { createAgentUiServer, type AgentUiContext } from '../generated/server.js';
import type { Answer, CommandBody, SendMode, Transport } from './client/child.js';
import { COUNT_ME, COUNT_UI, IN_FLIGHT, SEND_MESSAGES, type SendMessage } from './client/sends.js';
import { intEnv, QUICK } from './env.js';
import { accepted } from '../tests/support/accepted.js';
import { contract } from '../generated/contract.js';
import { createRedisStore } from '../generated/runtime/server/redis-store.js';
import { connectRedis, startRedisServer } from '../tests/redis/redis-server.js';

const N = intEnv('BENCH_N') ?? (QUICK ? 10_000 : 100_000);
const RUNS = QUICK ? 1 : 3;
const CUT_RUNS = QUICK ? 5 : 20;
const WINDOW = 800;
const TRANSPORTS: readonly Transport[] = (['websocket', 'sse', 'poll'] as const).filter((t) => !process.env.BENCH_TRANSPORTS || process.env.BENCH_TRANSPORTS.split(',').includes(t));
const BACKOFFS: readonly { readonly label: string; readonly options: BackoffOptions }[] = [
  { label: 'default: initialMs 250, maxMs 10000, factor 2, full jitter', options: {} },
  { label: 'initialMs 0: reconnect at once', options: { initialMs: 0 } },
];
const DEADLINE_MS = 480_000;
const SENDS_M = intEnv('BENCH_SENDS') ?? (QUICK ? 2_000 : 10_000);
const SEND_RUNS = QUICK ? 1 : 5;
const WINDOWS = [1, 20, 100, 1000] as const;
const SECTIONS = new Set((process.env.BENCH_SECTIONS ?? '1,2,3,4').split(',').map((x) => x.trim()));

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: readonly number[]): number => quantile(xs, 0.5);
function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  return s[Math.floor(i)]! + (s[Math.ceil(i)]! - s[Math.floor(i)]!) * (i - Math.floor(i));
}
const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
/**
 * Section 3's ratio: the median over runs of acked / fire-and-forget measured back to back in the
 * same run (paired), which a load that comes and goes on a shared machine moves far less than a
 * ratio of two medians.
 */
const pairedRatio = (acked: readonly number[], ff: readonly number[]): number => median(acked.map((a, i) => a / ff[i]!));
const fmtRatio = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const fmtUs = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const fmtMs = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---- the server (this process) --------------------------------------------------------------

const firstEmit = new Map<string, number>(); // session id → time of its burst's first emit
const streams = new Set<ReturnType<typeof setInterval>>();
/** How many agent.events the client process has reported received in the current burst. */
let delivered = 0;
/** The running burst's pump, called again whenever the client reports progress. */
let pump: (() => void) | undefined;

/** Sends one agent.event; a refused emit ends the benchmark. */
function emit(ctx: AgentUiContext, i: number): void {
  Promise.resolve(ctx.emit.agentEvent({ conversation_id: 'bench', turn_id: 't', kind: 'text', text: `token ${i}` })).catch((err: Error) => fail(new Error(`the server refused to emit: ${err.message}`)));
}

/** Emits n agent.events, keeping at most WINDOW of them not yet received by the client. */
function burst(ctx: AgentUiContext, n: number): void {
  let emitted = 0;
  delivered = 0;
  firstEmit.set(ctx.session.id, now());
  pump = () => {
    while (emitted < n && emitted - delivered < WINDOW) emit(ctx, emitted++);
    if (emitted === n) pump = undefined;
  };
  pump();
}

/** Section 3: chat.send and ui.action frames the handlers only count, and when they saw the one the run waits for. */
let counted = 0;
let countWaiter: { target: number; resolve(at: number): void } | undefined;

/** BENCH_STORE=redis: every store decision (a cseq's, an append's) is a round trip to a local redis-server. */
const STORE = process.env.BENCH_STORE === 'redis' ? 'redis' : 'memory';
const redisServer = STORE === 'redis' ? await startRedisServer() : undefined;
const redis = redisServer ? { commands: await connectRedis(redisServer.port), subscriber: await connectRedis(redisServer.port) } : undefined;
const store = redis ? createRedisStore({ redis: redis.commands, subscriber: redis.subscriber, contract }) : undefined;

const agent = createAgentUiServer({
  store,
  handlers: {
    chatSend(message, ctx) {
      if (message.payload.text === COUNT_ME) {
        if (++counted === countWaiter?.target) countWaiter.resolve(now());
        return accepted(message);
      }
      const spec = JSON.parse(message.payload.text) as { mode: 'burst'; n: number } | { mode: 'stream' };
      if (spec.mode === 'burst') burst(ctx, spec.n);
      else {
        let i = 0;
        streams.add(setInterval(() => emit(ctx, i++), 1));
      }
      return accepted(message); // C4: chat.send is answered by chat.accepted
    },
    uiAction(message) {
      if (message.payload.component_id === COUNT_UI && ++counted === countWaiter?.target) countWaiter.resolve(now());
    },
  },
});

// Sockets carrying a transport now: WebSocket upgrades, SSE responses, pending polls.
const carrying = new Set<Duplex>();
let pendingCut: ((at: number) => void) | undefined;
/** Cuts the transport connection(s) open now, or the next one when none is; resolves with the time. */
function cut(): Promise<number> {
  if (carrying.size > 0) {
    for (const s of carrying) s.destroy();
    carrying.clear();
    return Promise.resolve(now());
  }
  return new Promise((resolve) => (pendingCut = resolve));
}
function carry(socket: Duplex, until: { once(event: 'close', fn: () => void): unknown }): boolean {
  if (pendingCut) {
    socket.destroy();
    pendingCut(now());
    pendingCut = undefined;
    return false;
  }
  carrying.add(socket);
  until.once('close', () => carrying.delete(socket));
  return true;
}

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  if ((pathname === '/events' || pathname === '/poll') && !carry(req.socket, res)) return;
  if (!agent.handleRequest(req, res)) res.writeHead(404).end();
});
server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
  if (carry(socket, socket) && !agent.handleUpgrade(req, socket, head)) socket.destroy();
});

// ---- the client process -----------------------------------------------------------------------

const child = fork(fileURLToPath(new URL('./client/child.ts', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const waiting = new Map<string, (a: Answer) => void>();
const early = new Map<string, Answer>();
child.on('message', (a: Answer) => {
  if (a.type === 'error') return fail(new Error(`client process: ${String(a.message)}`));
  if (a.type === 'progress') {
    delivered = a.count as number;
    return pump?.();
  }
  const key = `${a.id}:${a.type}`;
  const w = waiting.get(key);
  if (w) {
    waiting.delete(key);
    w(a);
  } else early.set(key, a);
});
child.on('exit', (code) => waiting.size > 0 && fail(new Error(`the client process exited (${code})`)));

let nextId = 1;
function send(command: CommandBody): number {
  const id = nextId++;
  child.send({ ...command, id });
  return id;
}
function answerTo(id: number, type: string, timeoutMs: number): Promise<Answer> {
  const key = `${id}:${type}`;
  const got = early.get(key);
  if (got) return early.delete(key), Promise.resolve(got);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(key);
      reject(new Error(`no '${type}' from the client process within ${timeoutMs} ms`));
    }, timeoutMs);
    waiting.set(key, (a) => {
      clearTimeout(timer);
      resolve(a);
    });
  });
}

function fail(err: Error): never {
  console.error(`bench/client: ${err.message}`);
  child.kill();
  void redisServer?.stop();
  process.exit(1);
}

// ---- the runs -----------------------------------------------------------------------------------

async function throughput(url: string, transport: Transport, n: number): Promise<{ rate: number; ms: number; inOrder: boolean }> {
  const id = send({ cmd: 'burst', url, transport, n });
  const done = await answerTo(id, 'done', 120_000);
  const sessionStart = [...firstEmit.values()].at(-1)!;
  firstEmit.clear();
  const ms = (done.lastAt as number) - sessionStart;
  return { rate: (n / ms) * 1000, ms, inOrder: done.inOrder === true && done.count === n };
}

async function cuts(url: string, transport: Transport, backoff: BackoffOptions): Promise<{ latency: number[]; detect: number[]; inOrder: boolean }> {
  const started = send({ cmd: 'stream', url, transport, backoff });
  await answerTo(started, 'streaming', 10_000);
  await sleep(100);
  const latency: number[] = [];
  const detect: number[] = [];
  for (let i = 0; i < CUT_RUNS; i++) {
    const id = send({ cmd: 'arm' });
    await answerTo(id, 'armed', 5_000);
    await sleep(20 + Math.random() * 40); // cut at an arbitrary point of the stream
    const cutAt = await cut();
    const resumed = await answerTo(id, 'resumed', 15_000);
    latency.push((resumed.firstAt as number) - cutAt);
    detect.push((resumed.reconnectingAt as number) - cutAt);
    await sleep(30);
  }
  const stopped = await answerTo(send({ cmd: 'stop' }), 'stopped', 5_000);
  for (const s of streams) clearInterval(s);
  streams.clear();
  return { latency, detect, inOrder: stopped.inOrder === true };
}

/** Section 3: one run of m client → server sends: msgs/s, to every send resolved and every frame handled; CPU µs per send in each process. */
async function sends(url: string, transport: Transport, message: SendMessage, m: number, mode: SendMode, inFlight?: number): Promise<{ rate: number; serverUs: number; clientUs: number }> {
  await sleep(50); // the previous run's closing connection and garbage are dealt with before this one starts
  counted = 0;
  const handledAll = new Promise<number>((resolve) => (countWaiter = { target: m, resolve }));
  const cpu = process.cpuUsage();
  const id = send({ cmd: 'sends', url, transport, m, mode, message, ...(inFlight ? { inFlight } : {}) });
  const sent = await answerTo(id, 'sent', 120_000);
  const handledAt = await Promise.race([handledAll, sleep(30_000).then(() => NaN)]);
  const used = process.cpuUsage(cpu);
  if (counted !== m) fail(new Error(`${transport} ${message} ${mode}: the handler saw ${counted} of ${m} sends`));
  countWaiter = undefined;
  return { rate: (m / (Math.max(handledAt, sent.lastAt as number) - (sent.startAt as number))) * 1000, serverUs: (used.user + used.system) / m, clientUs: (sent.cpuUs as number) / m };
}

/** Section 4: cut → all unacknowledged sends acknowledged, ms, CUT_RUNS times. */
async function sendCuts(url: string, transport: Transport): Promise<number[]> {
  await answerTo(send({ cmd: 'flood', url, transport }), 'flooding', 10_000);
  await sleep(100);
  const out: number[] = [];
  for (let i = 0; i < CUT_RUNS; i++) {
    await sleep(20 + Math.random() * 40);
    const cutAt = await cut();
    const drained = await answerTo(send({ cmd: 'drain' }), 'drained', 15_000);
    out.push((drained.at as number) - cutAt);
  }
  await answerTo(send({ cmd: 'stop' }), 'stopped', 5_000);
  return out;
}

const deadline = setTimeout(() => fail(new Error(`took longer than ${DEADLINE_MS / 1000} s; stopped`)), DEADLINE_MS);
await answerTo(0, 'ready', 20_000);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const t0 = Date.now();

console.log(`bench/client — generated server (this process) → generated client (child process)`);
console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${QUICK ? 'QUICK run' : 'full run'}, ${STORE === 'redis' ? 'Redis session store (redis-server on this machine)' : 'in-memory session store'}\n`);

const rows: string[][] = [];
for (const transport of SECTIONS.has('1') ? TRANSPORTS : []) {
  await throughput(url, transport, Math.max(2_000, Math.round(N / 10))); // warm-up
  const runs: { rate: number; ms: number; inOrder: boolean }[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(await throughput(url, transport, N));
  const mid = [...runs].sort((a, b) => a.rate - b.rate)[Math.floor(runs.length / 2)]!;
  rows.push([transport, fmtInt(mid.rate), fmtInt(mid.ms), fmtInt(Math.min(...runs.map((x) => x.rate))), fmtInt(Math.max(...runs.map((x) => x.rate))), runs.every((x) => x.inOrder) ? `yes (${RUNS}×)` : 'NO']);
}
if (SECTIONS.has('1')) console.log(`1. Throughput: N = ${fmtInt(N)} agent.events per run, at most ${WINDOW} in flight; median of ${RUNS} run(s) after a warm-up`);
if (SECTIONS.has('1')) console.log(table(['transport', 'msgs/s', 'ms', 'min msgs/s', 'max msgs/s', `exactly 1..N in order`], rows));

for (const [i, b] of SECTIONS.has('2') ? BACKOFFS.entries() : []) {
  const cutRows: string[][] = [];
  for (const transport of TRANSPORTS) {
    const r = await cuts(url, transport, b.options);
    cutRows.push([transport, fmtMs(median(r.latency)), fmtMs(quantile(r.latency, 0.9)), fmtMs(Math.min(...r.latency)), fmtMs(Math.max(...r.latency)), fmtMs(median(r.detect)), r.inOrder ? 'yes' : 'NO']);
  }
  console.log(`\n2${'ab'[i]}. Server-side cut → client's first replayed message, ms; ${CUT_RUNS} cuts per transport; client backoff ${b.label}`);
  console.log(table(['transport', 'median', 'p90', 'min', 'max', 'cut → client notices (median)', 'stream in order'], cutRows));
}

const ALL_MODES: readonly SendMode[] = ['acked', 'ff', 'acked-all', 'ff-all', 'raw'];
// BENCH_MODES=acked,acked-all (for a profile of one side): the others print n/a; BENCH_MESSAGES=ui.action for one message.
const MODES = ALL_MODES.filter((m) => !process.env.BENCH_MODES || process.env.BENCH_MODES.split(',').includes(m));
const MESSAGES = SEND_MESSAGES.filter((m) => !process.env.BENCH_MESSAGES || process.env.BENCH_MESSAGES.split(',').includes(m));
/** What one section 3 run sends: each message in each mode; the raw socket (chat.send frames) once. */
const CASES = MESSAGES.flatMap((message) => MODES.filter((mode) => mode !== 'raw' || message === 'chat.send').map((mode) => ({ message, mode })));
/** The row label of each message: what its acknowledged send resolves on. */
const RESOLVES_ON: Record<SendMessage, string> = { 'ui.action': 'ui.action (ack, C3)', 'chat.send': 'chat.send (reply, C4)' };
const sendRows: string[][] = [];
const cpuRows: string[][] = [];
type SendRun = { rate: number; serverUs: number; clientUs: number };
for (const transport of SECTIONS.has('3') ? TRANSPORTS : []) {
  for (const c of CASES) await sends(url, transport, c.message, Math.round(SENDS_M / 5), c.mode); // warm-up
  const runs = new Map<string, SendRun[]>(CASES.map((c) => [`${c.message} ${c.mode}`, []]));
  for (let r = 0; r < SEND_RUNS; r++) for (const c of r % 2 === 0 ? CASES : [...CASES].reverse()) runs.get(`${c.message} ${c.mode}`)!.push(await sends(url, transport, c.message, SENDS_M, c.mode));
  for (const message of MESSAGES) {
    const of = (mode: SendMode, k: keyof SendRun): number => median((runs.get(`${message} ${mode}`) ?? []).map((x) => x[k]));
    const [acked, ff, ackedAll, ffAll] = ALL_MODES.map((m) => of(m, 'rate')) as [number, number, number, number];
    const paired = (a: SendMode, f: SendMode): number => pairedRatio((runs.get(`${message} ${a}`) ?? []).map((x) => x.rate), (runs.get(`${message} ${f}`) ?? []).map((x) => x.rate));
    const raw = median((runs.get(`chat.send raw`) ?? []).map((x) => x.rate));
    sendRows.push([transport, RESOLVES_ON[message], fmtInt(acked), fmtInt(ff), fmtRatio(paired('acked', 'ff')), fmtInt(ackedAll), fmtInt(ffAll), fmtRatio(paired('acked-all', 'ff-all')), message === 'chat.send' ? fmtInt(raw) : '']);
    cpuRows.push([transport, message, ...ALL_MODES.map((m) => (m === 'raw' && message !== 'chat.send' ? '' : `${fmtUs(of(m, 'serverUs'))} / ${fmtUs(of(m, 'clientUs'))}`))]);
  }
}
if (SECTIONS.has('3')) console.log(`\n3. Client → server: ${fmtInt(SENDS_M)} sends per run, timed to every send resolved and every frame handled. Acked (C1–C3: numbered, kept, resolved by the server) against fire-and-forget (the client's send without C3), ${IN_FLIGHT} in flight and all at once, and a raw socket; alternating, median of ${SEND_RUNS}; ratio = median of each run's acked / fire-and-forget (paired).`);
if (SECTIONS.has('3')) console.log(`   ui.action declares no reply: acked resolves on the acknowledgement — the target, ratio ≥ 0.8 on throughput ("ratio all": nothing but the sender's own rate limits either side); with 20 in flight an acked sender makes at most 20 sends per round trip while fire-and-forget waits for nothing, so "ratio 20" measures the round trip (see 3b). chat.send declares chat.accepted (C4): acked resolves on that reply, a round trip through the handler; its fire-and-forget frames are answered too (unnumbered), so the server's work is the same.`);
if (SECTIONS.has('3')) console.log(table(['transport', 'message (acked resolves on)', `acked ${IN_FLIGHT}/s`, `fire-and-forget ${IN_FLIGHT}/s`, `ratio ${IN_FLIGHT}`, 'acked all/s', 'fire-and-forget all/s', 'ratio all', 'raw socket/s (extra)'], sendRows));
if (SECTIONS.has('3')) console.log(`CPU per send, µs, server / client process (median; server from the command to the last frame handled, client until its last send resolved):`);
if (SECTIONS.has('3')) console.log(table(['transport', 'message', ...ALL_MODES], cpuRows));

// 3b. What the window buys: with W sends in flight an acknowledged sender makes at most W sends per
// round trip (W / RTT); 1 in flight measures the round trip itself.
const windowRows: string[][] = [];
for (const transport of SECTIONS.has('3') ? TRANSPORTS : []) {
  for (const message of MESSAGES) {
    const row: string[] = [transport, message];
    for (const w of WINDOWS) {
      const m = w === 1 ? Math.round(SENDS_M / 10) : SENDS_M;
      const got: Record<'acked' | 'ff', number[]> = { acked: [], ff: [] };
      for (let r = 0; r < SEND_RUNS; r++) for (const mode of r % 2 === 0 ? (['acked', 'ff'] as const) : (['ff', 'acked'] as const)) got[mode].push((await sends(url, transport, message, m, mode, w)).rate);
      const [a, f] = [median(got.acked), median(got.ff)];
      row.push(`${fmtInt(a)} / ${fmtInt(f)} = ${fmtRatio(pairedRatio(got.acked, got.ff))}`);
      if (w === 1) row.push(`${fmtUs(1e6 / a)} µs`);
    }
    windowRows.push(row);
  }
}
if (SECTIONS.has('3')) console.log(`\n3b. Acked / fire-and-forget sends/s = ratio, by sends in flight (W); ${fmtInt(SENDS_M)} per run (${fmtInt(Math.round(SENDS_M / 10))} for W = 1), alternating, median of ${SEND_RUNS}, ratio paired; an acked sender makes at most W sends per round trip (ui.action: to the acknowledgement; chat.send: to the reply)`);
if (SECTIONS.has('3')) console.log(table(['transport', 'message', 'W = 1', 'acked round trip', ...WINDOWS.slice(1).map((w) => `W = ${w}`)], windowRows));

const drainRows: string[][] = [];
for (const transport of SECTIONS.has('4') ? TRANSPORTS : []) {
  const r = await sendCuts(url, transport);
  drainRows.push([transport, fmtMs(median(r)), fmtMs(quantile(r, 0.9)), fmtMs(Math.min(...r)), fmtMs(Math.max(...r))]);
}
if (SECTIONS.has('4')) console.log(`\n4. Server-side cut → every send queued by then acknowledged, ms; ${CUT_RUNS} cuts per transport, ${IN_FLIGHT} sends in flight, backoff initialMs 0`);
if (SECTIONS.has('4')) console.log(table(['transport', 'median', 'p90', 'min', 'max'], drainRows));

console.log(`\n(total ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
clearTimeout(deadline);
child.kill();
agent.close();
server.closeAllConnections();
server.close();
redis?.commands.disconnect();
redis?.subscriber.disconnect();
await redisServer?.close();
