/**
 * Client benchmark: the generated server and the generated client end to end, each in its own
 * process (2 cores: one each), every figure from this one run.
 *
 *   node_modules/.bin/tsx bench/client.ts                 (BENCH_N=100000 by default)
 *   BENCH_QUICK=1 node_modules/.bin/tsx bench/client.ts   (a smoke run with small numbers)
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
 * 3. Client → server sends per transport (C1–C3), SENDS_M chat.send, IN_FLIGHT at a time:
 *    `acked` is the generated client's send, resolved on the server's acknowledgement, timed to
 *    the last resolution; `fire-and-forget` writes the same frames unnumbered and waits for
 *    nothing (WebSocket), or POSTs them in batches one POST at a time (SSE, poll), timed to the
 *    server's handler seeing the last one. Alternating, median of SEND_RUNS each; the ratio is
 *    acked / fire-and-forget (target ≥ 0.8).
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
import { COUNT_ME, IN_FLIGHT } from './client/sends.js';
import { intEnv, QUICK } from './env.js';
import { accepted } from '../tests/support/accepted.js';

const N = intEnv('BENCH_N') ?? (QUICK ? 10_000 : 100_000);
const RUNS = QUICK ? 1 : 3;
const CUT_RUNS = QUICK ? 5 : 20;
const WINDOW = 800;
const TRANSPORTS: readonly Transport[] = ['websocket', 'sse', 'poll'];
const BACKOFFS: readonly { readonly label: string; readonly options: BackoffOptions }[] = [
  { label: 'default: initialMs 250, maxMs 10000, factor 2, full jitter', options: {} },
  { label: 'initialMs 0: reconnect at once', options: { initialMs: 0 } },
];
const DEADLINE_MS = 240_000;
const SENDS_M = QUICK ? 2_000 : 10_000;
const SEND_RUNS = QUICK ? 1 : 3;

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

/** Section 3: chat.send frames the handler only counts, and when it saw the one the run waits for. */
let counted = 0;
let countWaiter: { target: number; resolve(at: number): void } | undefined;

const agent = createAgentUiServer({
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
    uiAction() {},
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

/** Section 3: one run of m client → server sends; msgs/s. */
async function sends(url: string, transport: Transport, m: number, mode: SendMode): Promise<number> {
  counted = 0;
  const handledAll = new Promise<number>((resolve) => (countWaiter = { target: m, resolve }));
  const id = send({ cmd: 'sends', url, transport, m, mode });
  const sent = await answerTo(id, 'sent', 120_000);
  const lastAt = mode === 'raw' ? await handledAll : (sent.lastAt as number);
  if (counted !== m) fail(new Error(`${transport} ${mode}: the handler saw ${counted} of ${m} sends`));
  countWaiter = undefined;
  return (m / (lastAt - (sent.startAt as number))) * 1000;
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
console.log(`node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${QUICK ? 'QUICK run' : 'full run'}\n`);

const rows: string[][] = [];
for (const transport of TRANSPORTS) {
  await throughput(url, transport, Math.max(2_000, Math.round(N / 10))); // warm-up
  const runs: { rate: number; ms: number; inOrder: boolean }[] = [];
  for (let r = 0; r < RUNS; r++) runs.push(await throughput(url, transport, N));
  const mid = [...runs].sort((a, b) => a.rate - b.rate)[Math.floor(runs.length / 2)]!;
  rows.push([transport, fmtInt(mid.rate), fmtInt(mid.ms), fmtInt(Math.min(...runs.map((x) => x.rate))), fmtInt(Math.max(...runs.map((x) => x.rate))), runs.every((x) => x.inOrder) ? `yes (${RUNS}×)` : 'NO']);
}
console.log(`1. Throughput: N = ${fmtInt(N)} agent.events per run, at most ${WINDOW} in flight; median of ${RUNS} run(s) after a warm-up`);
console.log(table(['transport', 'msgs/s', 'ms', 'min msgs/s', 'max msgs/s', `exactly 1..N in order`], rows));

for (const [i, b] of BACKOFFS.entries()) {
  const cutRows: string[][] = [];
  for (const transport of TRANSPORTS) {
    const r = await cuts(url, transport, b.options);
    cutRows.push([transport, fmtMs(median(r.latency)), fmtMs(quantile(r.latency, 0.9)), fmtMs(Math.min(...r.latency)), fmtMs(Math.max(...r.latency)), fmtMs(median(r.detect)), r.inOrder ? 'yes' : 'NO']);
  }
  console.log(`\n2${'ab'[i]}. Server-side cut → client's first replayed message, ms; ${CUT_RUNS} cuts per transport; client backoff ${b.label}`);
  console.log(table(['transport', 'median', 'p90', 'min', 'max', 'cut → client notices (median)', 'stream in order'], cutRows));
}

const sendRows: string[][] = [];
for (const transport of TRANSPORTS) {
  await sends(url, transport, Math.round(SENDS_M / 5), 'acked'); // warm-up
  await sends(url, transport, Math.round(SENDS_M / 5), 'raw');
  const acked: number[] = [];
  const all: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < SEND_RUNS; r++) {
    acked.push(await sends(url, transport, SENDS_M, 'acked'));
    all.push(await sends(url, transport, SENDS_M, 'acked-all'));
    raw.push(await sends(url, transport, SENDS_M, 'raw'));
  }
  const f = median(raw);
  sendRows.push([transport, fmtInt(median(acked)), fmtInt(median(all)), fmtInt(f), (median(acked) / f).toFixed(2), (median(all) / f).toFixed(2)]);
}
console.log(`\n3. Client → server: ${fmtInt(SENDS_M)} chat.send per run; acked (C3) ${IN_FLIGHT} in flight, acked all at once, and fire-and-forget, alternating, median of ${SEND_RUNS}; ratio = acked / fire-and-forget, target ≥ 0.8`);
console.log(table(['transport', `acked (${IN_FLIGHT} in flight)/s`, 'acked (all at once)/s', 'fire-and-forget/s', `ratio (${IN_FLIGHT})`, 'ratio (all)'], sendRows));

const drainRows: string[][] = [];
for (const transport of TRANSPORTS) {
  const r = await sendCuts(url, transport);
  drainRows.push([transport, fmtMs(median(r)), fmtMs(quantile(r, 0.9)), fmtMs(Math.min(...r)), fmtMs(Math.max(...r))]);
}
console.log(`\n4. Server-side cut → every send queued by then acknowledged, ms; ${CUT_RUNS} cuts per transport, ${IN_FLIGHT} sends in flight, backoff initialMs 0`);
console.log(table(['transport', 'median', 'p90', 'min', 'max'], drainRows));

console.log(`\n(total ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
clearTimeout(deadline);
child.kill();
agent.close();
server.closeAllConnections();
server.close();
