/**
 * Server benchmark: the generated server next to its peers, every figure from this one run.
 *
 *   node_modules/.bin/tsx bench/server.ts          (BENCH_N=200000 BENCH_RUNS=5 by default)
 *   BENCH_QUICK=1 node_modules/.bin/tsx bench/server.ts    (a smoke run with small numbers)
 *
 * Every server runs alone in a child process (so its RSS is its own) and every client in
 * another (2 cores: one each). The children are plain JavaScript transpiled from generated/ and
 * bench/server/ (see bench/server/ipc.ts). Throughput is N / (client's last receipt − server's
 * first emit), both read from a clock shared by the processes (performance.timeOrigin + now()).
 * Peers are measured interleaved (run 1 of each peer, then run 2 of each …) after one warm-up
 * run each; the table shows the median run.
 *
 * Sections: 1 WebSocket throughput (generated, generated with an authenticate hook, naive ws, batched ws, socket.io with recovery),
 * 2 server RSS after N messages, 3 SSE throughput, 4 poll throughput, 5 resume + replay of
 * 1,000 messages, 6 history window read vs linear filter, 7 RSS of idle sessions.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAKE_SESSION_ID, hrEpoch, median, quantile, rawFrame, type MemorySample } from './server/common.js';
import { benchHistory } from './server/history.js';
import { killAll, spawn, transpileChildren, type Child, type ChildMessage } from './server/ipc.js';
import { intEnv, QUICK } from './env.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const N = intEnv('BENCH_N') ?? (QUICK ? 20_000 : 200_000);
const RUNS = intEnv('BENCH_RUNS') ?? (QUICK ? 1 : 5);
const CHUNK = 1_000;
const POLL_CHUNK = 500;
const WARM = Math.max(2_000, Math.round(N / 10));
const RESUME_N = 1_000;
const RESUME_RUNS = QUICK ? 5 : 20;
const RESUME_WARM = 3;
const HISTORY_SIZE = QUICK ? 100_000 : 1_000_000;
const IDLE = QUICK ? 1_000 : 10_000;
const WATCHDOG_MS = 10 * 60_000;

const MiB = 1024 * 1024;
const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmtMiB = (b: number): string => (Number.isFinite(b) ? (b / MiB).toFixed(1) : 'n/a');
const fmtX = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a');
const fmtMs = (ms: number): string => (Number.isFinite(ms) ? ms.toFixed(2) : 'n/a');

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const say = (text = ''): void => console.log(text);
const heading = (text: string): void => say(`\n## ${text}\n`);

interface Verdict {
  readonly what: string;
  readonly figure: string;
  readonly target: string;
  readonly met: boolean | undefined;
}
const verdicts: Verdict[] = [];

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(repo, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

// ---------------------------------------------------------------------------------------------
// Processes

let serverScript = '';
let clientScript = '';

async function startServer(name: string, kind: string): Promise<{ child: Child; port: number }> {
  const { child, ready } = await spawn(name, serverScript, [kind]);
  return { child, port: ready.port as number };
}

async function startClient(name: string): Promise<Child> {
  return (await spawn(name, clientScript, [])).child;
}

const mem = async (server: Child, gc: boolean): Promise<MemorySample> => (await server.request({ cmd: 'mem', gc }, 'mem', 30_000)) as unknown as MemorySample;

/** Offset of a child's hrEpoch from ours, from the ping with the smallest round trip. */
async function clockOffset(child: Child): Promise<{ offset: number; rtt: number }> {
  let best = { offset: Number.NaN, rtt: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 20; i++) {
    const t1 = hrEpoch();
    const m = await child.request({ cmd: 'clock' }, 'clock', 5_000);
    const t2 = hrEpoch();
    if (t2 - t1 < best.rtt) best = { offset: (m.t as number) - (t1 + t2) / 2, rtt: t2 - t1 };
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Throughput runs

interface Peer {
  readonly key: string;
  readonly label: string;
  readonly kind: 'generated' | 'generated-auth' | 'ws-raw' | 'socketio' | 'sse-plain';
  readonly clientCmd: 'ws-count' | 'sio-count' | 'sse-count' | 'poll-count';
  readonly target: (port: number) => Record<string, unknown>;
  readonly emit: Record<string, unknown>;
}

interface Live {
  readonly peer: Peer;
  readonly server: Child;
  readonly client: Child;
  readonly port: number;
}

interface Run {
  readonly rate: number;
  readonly ms: number;
  readonly meanBytes: number;
  readonly waits: number;
  /** First to last emit on the server: close to `ms` when the server is the bottleneck. */
  readonly emitMs: number;
  /** Server CPU time (user + system) per message over the emit loop; hardly moved by other load. */
  readonly cpuUs: number;
  readonly polls?: number;
}

const runTimeout = (n: number): number => 30_000 + n / 4; // ≥ 4,000 msgs/s or the run is declared failed

async function runOnce(live: Live, n: number): Promise<Run> {
  const { peer, server, client, port } = live;
  const id = client.send({ cmd: peer.clientCmd, n, ...peer.target(port) });
  const connected = await client.wait(id, 'connected', 15_000);
  const emitted = await server.request({ cmd: 'emit', n, chunk: CHUNK, sessionId: connected.sessionId, ...peer.emit }, 'emitted', runTimeout(n));
  const done = await client.wait(id, 'done', runTimeout(n));
  if (done.ok !== true) throw new Error(`${peer.label}: received ${String(done.count)} of ${n}, order check: ${String(done.firstBad ?? 'ok')}`);
  const ms = (done.tDone as number) - (emitted.t0 as number);
  return { rate: (n / ms) * 1000, ms, meanBytes: (done.meanBytes as number) ?? Number.NaN, waits: emitted.waits as number, emitMs: (emitted.tEnd as number) - (emitted.t0 as number), cpuUs: (emitted.cpuUs as number) / n, ...(typeof done.polls === 'number' ? { polls: done.polls } : {}) };
}

async function startPeers(peers: readonly Peer[]): Promise<Live[]> {
  return Promise.all(
    peers.map(async (peer) => {
      const [{ child: server, port }, client] = await Promise.all([startServer(`server[${peer.key}]`, peer.kind), startClient(`client[${peer.key}]`)]);
      return { peer, server, client, port };
    }),
  );
}

interface PeerResult {
  median: Run | undefined;
  /** Successful runs in order. */
  readonly runs: Run[];
  /** Run of each round (undefined where it failed), for paired ratios. */
  readonly byRound: (Run | undefined)[];
  readonly errors: string[];
}
type Results = Map<string, PeerResult>;

/** One warm-up run per peer, then RUNS rounds, peers interleaved; the median run per peer. */
async function measurePeers(lives: readonly Live[]): Promise<Results> {
  const out: Results = new Map();
  for (const live of lives) out.set(live.peer.key, { median: undefined, runs: [], byRound: [], errors: [] });
  for (const live of lives) {
    try {
      await runOnce(live, WARM);
    } catch (err) {
      out.get(live.peer.key)!.errors.push(`warm-up: ${(err as Error).message}`);
    }
  }
  for (let round = 0; round < RUNS; round++) {
    for (const live of lives) {
      const entry = out.get(live.peer.key)!;
      try {
        const run = await runOnce(live, N);
        entry.runs.push(run);
        entry.byRound.push(run);
      } catch (err) {
        entry.byRound.push(undefined);
        entry.errors.push(`run ${round + 1}: ${(err as Error).message}`);
      }
    }
  }
  for (const entry of out.values()) {
    const sorted = [...entry.runs].sort((a, b) => a.rate - b.rate);
    entry.median = sorted[(sorted.length - 1) >> 1]; // the middle run (the lower middle of an even count)
  }
  return out;
}

function throughputTable(results: Results, peers: readonly Peer[]): string {
  return table(
    ['peer', 'msgs/s (median)', 'runs (msgs/s)', 'ms', 'emit ms', 'server CPU µs/msg', 'bytes/msg', 'waits'],
    peers.map((p) => {
      const r = results.get(p.key)!;
      const m = r.median;
      return [
        p.label,
        m ? fmtInt(m.rate) : 'FAILED',
        r.runs.map((x) => fmtInt(x.rate)).join(' / ') || '-',
        m ? fmtInt(m.ms) : '-',
        m ? fmtInt(m.emitMs) : '-',
        r.runs.length ? cpuOf(results, p.key).toFixed(2) : '-',
        m ? m.meanBytes.toFixed(1) : '-',
        m ? String(m.waits) : '-',
      ];
    }),
  );
}

function reportErrors(results: Results): void {
  for (const [key, r] of results) for (const e of r.errors) say(`  ! ${key}: ${e}`);
}

/** Median over runs of the server's CPU µs per message. */
const cpuOf = (results: Results, key: string): number => median(results.get(key)?.runs.map((r) => r.cpuUs) ?? []);

/** How many of b's messages cost the server's CPU what one of a's does (b CPU / a CPU): 1 = as cheap. */
function cpuRatioText(results: Results, a: string, b: string): string {
  return `${fmtX(cpuOf(results, b) / cpuOf(results, a))} (server CPU per message: ${cpuOf(results, a).toFixed(2)} vs ${cpuOf(results, b).toFixed(2)} µs)`;
}

const rateOf = (results: Results, key: string): number => results.get(key)?.median?.rate ?? Number.NaN;

/** Median over rounds of a/b measured in the same round: steadier than a ratio of medians on a busy machine. */
function pairedRatio(results: Results, a: string, b: string): number {
  const ra = results.get(a)?.byRound ?? [];
  const rb = results.get(b)?.byRound ?? [];
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) if (ra[i] && rb[i]) ratios.push(ra[i]!.rate / rb[i]!.rate);
  return median(ratios);
}

/** `ratio of medians (median of per-round ratios: r1 r2 …)` */
function ratioText(results: Results, a: string, b: string): string {
  const ra = results.get(a)?.byRound ?? [];
  const rb = results.get(b)?.byRound ?? [];
  const per = ra.map((x, i) => (x && rb[i] ? (x.rate / rb[i]!.rate).toFixed(2) : '-')).join(' ');
  return `${fmtX(rateOf(results, a) / rateOf(results, b))} of medians; paired per round ${fmtX(pairedRatio(results, a, b))} (rounds: ${per})`;
}

// ---------------------------------------------------------------------------------------------
// Sections

const wsUrl = (port: number, query = ''): string => `ws://127.0.0.1:${port}/ws${query}`;

const WS_PEERS: readonly Peer[] = [
  { key: 'generated', label: 'generated WS (ctx.emit.agentEvent)', kind: 'generated', clientCmd: 'ws-count', target: (port) => ({ url: wsUrl(port, '?versions=1.0,1.1'), hello: true }), emit: { transport: 'ws' } },
  // A1: the same server with an (async) authenticate hook; it runs once per connection, never per message.
  { key: 'auth', label: 'generated WS + authenticate', kind: 'generated-auth', clientCmd: 'ws-count', target: (port) => ({ url: wsUrl(port, '?versions=1.0,1.1'), hello: true, headers: { authorization: 'Bearer bench' } }), emit: { transport: 'ws' } },
  { key: 'naive', label: 'ws, naive send loop', kind: 'ws-raw', clientCmd: 'ws-count', target: (port) => ({ url: wsUrl(port), hello: false }), emit: { mode: 'naive' } },
  { key: 'batched', label: 'ws, corked per tick', kind: 'ws-raw', clientCmd: 'ws-count', target: (port) => ({ url: wsUrl(port), hello: false }), emit: { mode: 'batched' } },
  { key: 'socketio', label: 'socket.io 4 + connectionStateRecovery', kind: 'socketio', clientCmd: 'sio-count', target: (port) => ({ url: `http://127.0.0.1:${port}` }), emit: {} },
];

async function sectionWebSocket(): Promise<void> {
  heading(`1. WebSocket: ${fmtInt(N)} data messages to one client (chunks of ${CHUNK} per event-loop turn)`);
  const lives = await startPeers(WS_PEERS);
  try {
    const s = await clockOffset(lives[0]!.server);
    const c = await clockOffset(lives[0]!.client);
    say(`clock check: server process ${fmtMs(s.offset)} ms, client process ${fmtMs(c.offset)} ms from this one (± half a round trip: ${fmtMs(s.rtt / 2)} / ${fmtMs(c.rtt / 2)} ms)\n`);
    const results = await measurePeers(lives);
    say(throughputTable(results, WS_PEERS));
    reportErrors(results);
    say();
    say(`with authenticate / without = ${ratioText(results, 'auth', 'generated')} (the hook runs at connection time only)`);
    say(`generated / naive ws   = ${ratioText(results, 'generated', 'naive')}`);
    say(`generated / batched ws = ${ratioText(results, 'generated', 'batched')}`);
    say(`generated / socket.io  = ${ratioText(results, 'generated', 'socketio')}`);
    say(`by server CPU per message (steadier under other load): vs naive ${cpuRatioText(results, 'generated', 'naive')}, vs batched ${cpuRatioText(results, 'generated', 'batched')}, vs socket.io ${cpuRatioText(results, 'generated', 'socketio')}`);
    verdicts.push({ what: 'WS generated / batched ws (paired, info)', figure: fmtX(pairedRatio(results, 'generated', 'batched')), target: '(none; issue: batched ~300k)', met: undefined });
    verdicts.push({ what: 'WS with authenticate / without (paired)', figure: fmtX(pairedRatio(results, 'auth', 'generated')), target: '≈ 1× (A1: connection time only)', met: undefined });
    verdicts.push({ what: 'WS generated / socket.io (paired, info)', figure: fmtX(pairedRatio(results, 'generated', 'socketio')), target: '(none)', met: undefined });
  } finally {
    for (const l of lives) l.server.kill(), l.client.kill();
  }
}

async function sectionRss(): Promise<void> {
  heading(`2. Server RSS after ${fmtInt(N)} messages to one WebSocket client (fresh process each, one run)`);
  const peers = [WS_PEERS[0]!, WS_PEERS[3]!];
  const rows: string[][] = [];
  const rss = new Map<string, number>();
  for (const peer of peers) {
    const [live] = await startPeers([peer]);
    try {
      const idle = await mem(live!.server, true);
      let rate = Number.NaN;
      let error = '';
      try {
        rate = (await runOnce(live!, N)).rate;
      } catch (err) {
        error = (err as Error).message;
      }
      const after = await mem(live!.server, false);
      const afterGc = await mem(live!.server, true);
      let stored = '';
      if (peer.kind === 'socketio') stored = String((await live!.server.request({ cmd: 'stored' }, 'stored', 10_000)).packets);
      else stored = '≤ 1,000 (window)';
      rss.set(peer.key, error ? Number.NaN : after.rss);
      rows.push([peer.label, fmtMiB(idle.rss), error ? 'FAILED' : fmtMiB(after.rss), fmtMiB(afterGc.rss), fmtMiB(afterGc.heapUsed), fmtMiB(after.maxRss), stored, fmtInt(rate)]);
      if (error) say(`  ! ${peer.key}: ${error}`);
    } finally {
      live!.server.kill();
      live!.client.kill();
    }
  }
  say(table(['server', 'RSS idle MiB', 'RSS after MiB', 'after GC MiB', 'heap after GC', 'peak RSS', 'frames kept', 'msgs/s (cold)'], rows));
  const ratio = rss.get('generated')! / rss.get('socketio')!;
  say();
  say(`generated RSS / socket.io RSS = ${Number.isFinite(ratio) ? ratio.toFixed(3) : 'n/a'} (target ≤ 0.333)`);
  verdicts.push({ what: 'RSS after N: generated / socket.io', figure: Number.isFinite(ratio) ? ratio.toFixed(3) : 'n/a', target: '≤ 0.333', met: Number.isFinite(ratio) ? ratio <= 1 / 3 : false });
}

const SSE_PEERS: readonly Peer[] = [
  { key: 'generated', label: 'generated SSE', kind: 'generated', clientCmd: 'sse-count', target: (port) => ({ url: `http://127.0.0.1:${port}/events?versions=1.0,1.1`, hello: true }), emit: { transport: 'sse' } },
  { key: 'batched', label: 'node:http SSE, one write per tick', kind: 'sse-plain', clientCmd: 'sse-count', target: (port) => ({ url: `http://127.0.0.1:${port}/events`, hello: false }), emit: { mode: 'batched' } },
  { key: 'naive', label: 'node:http SSE, res.write per message', kind: 'sse-plain', clientCmd: 'sse-count', target: (port) => ({ url: `http://127.0.0.1:${port}/events`, hello: false }), emit: { mode: 'naive' } },
];

async function sectionSse(): Promise<void> {
  heading(`3. SSE: ${fmtInt(N)} data messages to one client (chunks of ${CHUNK})`);
  const lives = await startPeers(SSE_PEERS);
  try {
    const results = await measurePeers(lives);
    say(throughputTable(results, SSE_PEERS));
    reportErrors(results);
    // The verdict uses the paired ratio (same round, back to back): load on a shared machine drifts between rounds.
    const vsBatched = pairedRatio(results, 'generated', 'batched');
    say();
    say(`generated / plain writer (per tick)    = ${ratioText(results, 'generated', 'batched')}; target ≥ 0.8×`);
    say(`generated / plain writer (per message) = ${ratioText(results, 'generated', 'naive')}`);
    say(`by server CPU per message (steadier under other load): vs per tick ${cpuRatioText(results, 'generated', 'batched')}, vs per message ${cpuRatioText(results, 'generated', 'naive')}`);
    verdicts.push({ what: 'SSE generated / plain writer (per tick, paired)', figure: fmtX(vsBatched), target: '≥ 0.80×', met: Number.isFinite(vsBatched) ? vsBatched >= 0.8 : false });
    const cpuRatio = cpuOf(results, 'batched') / cpuOf(results, 'generated');
    verdicts.push({ what: 'SSE same, by server CPU per message', figure: fmtX(cpuRatio), target: '≥ 0.80×', met: Number.isFinite(cpuRatio) ? cpuRatio >= 0.8 : false });
  } finally {
    for (const l of lives) l.server.kill(), l.client.kill();
  }
}

const POLL_PEER: Peer = {
  key: 'poll',
  label: 'generated poll (GET /poll?session_id&cursor, Bearer)',
  kind: 'generated',
  clientCmd: 'poll-count',
  target: (port) => ({ base: `http://127.0.0.1:${port}` }),
  emit: { transport: 'poll', chunk: POLL_CHUNK },
};

async function sectionPollAndResume(): Promise<void> {
  heading(`4. Long-polling: ${fmtInt(N)} data messages (chunks of ${POLL_CHUNK}; the server stays ≤ 1,000 frames ahead of the client's cursor, the replay window)`);
  const [live] = await startPeers([POLL_PEER]);
  try {
    // POLL_PEER.emit carries the smaller chunk; it is spread after CHUNK in runOnce.
    const results = await measurePeers([live!]);
    const r = results.get('poll')!;
    say(
      table(
        ['transport', 'msgs/s (median)', 'runs (msgs/s)', 'ms', 'polls', 'frames/poll'],
        [[POLL_PEER.label, r.median ? fmtInt(r.median.rate) : 'FAILED', r.runs.map((x) => fmtInt(x.rate)).join(' / ') || '-', r.median ? fmtInt(r.median.ms) : '-', r.median ? fmtInt(r.median.polls ?? Number.NaN) : '-', r.median?.polls ? (N / r.median.polls).toFixed(0) : '-']],
      ),
    );
    reportErrors(results);
    verdicts.push({ what: 'poll throughput (info)', figure: r.median ? `${fmtInt(r.median.rate)} msgs/s` : 'FAILED', target: '(no target)', met: undefined });

    heading(`5. Resume: reconnect with session_id, protocol.resume, replay of ${fmtInt(RESUME_N)} missed messages (WebSocket; ${RESUME_RUNS} runs after ${RESUME_WARM} warm-up)`);
    const { server, client, port } = live!;
    const base = `http://127.0.0.1:${port}`;
    const setup = await client.request({ cmd: 'resume-setup', base }, 'connected', 15_000);
    const sessionId = setup.sessionId as string;
    const times: number[] = [];
    let controls: unknown;
    for (let i = 0; i < RESUME_WARM + RESUME_RUNS; i++) {
      await client.request({ cmd: 'resume-disconnect' }, 'closed', 15_000);
      await server.request({ cmd: 'emit', n: RESUME_N, chunk: RESUME_N, transport: 'ws', sessionId }, 'emitted', 30_000);
      const r: ChildMessage = await client.request({ cmd: 'resume-run', base, expect: RESUME_N }, 'replayed', 30_000);
      if (r.ok !== true) throw new Error(`replay out of order: ${String(r.firstBad)}`);
      controls = r.control;
      if (i >= RESUME_WARM) times.push(r.ms as number);
    }
    const med = median(times);
    say(
      table(
        ['measure', 'median ms', 'p90 ms', 'min ms', 'max ms', 'runs'],
        [['protocol.resume sent → 1,000th replayed frame received', fmtMs(med), fmtMs(quantile(times, 0.9)), fmtMs(Math.min(...times)), fmtMs(Math.max(...times)), String(times.length)]],
      ),
    );
    say(`control frames before the replay: ${JSON.stringify(controls)}`);
    verdicts.push({ what: 'resume + replay 1,000 (median)', figure: `${fmtMs(med)} ms`, target: '< 20 ms', met: med < 20 });
  } finally {
    live!.server.kill();
    live!.client.kill();
  }
}

function sectionHistory(): void {
  heading(`6. History window read (limit=50) on a log of ${fmtInt(HISTORY_SIZE)} items, in-process: createMemoryHistoryStore().read vs items.filter(…).slice(-50)`);
  const r = benchHistory(HISTORY_SIZE, { batch: 1_000, samples: QUICK ? 50 : 300, filterRuns: QUICK ? 5 : 15 });
  say(`log built in ${fmtInt(r.buildMs)} ms`);
  say(
    table(
      ['query', 'window ns/read (median)', 'filter ns/read (median)', 'ratio', 'reads (window / filter)'],
      r.shapes.map((s) => [s.shape, fmtInt(s.windowNs), fmtInt(s.filterNs), `${fmtInt(s.filterNs / s.windowNs)}×`, `${fmtInt(s.windowReads)} / ${s.filterReads}`]),
    ),
  );
  const worst = Math.min(...r.shapes.map((s) => s.filterNs / s.windowNs));
  verdicts.push({ what: 'history window vs linear filter (worst shape)', figure: `${fmtInt(worst)}×`, target: '≥ 1,000×', met: worst >= 1000 });
}

async function sectionIdle(): Promise<void> {
  heading(`7. RSS of ${fmtInt(IDLE)} idle sessions (generated server; fresh process each; GC before both samples)`);
  const rows: string[][] = [];
  let pollPerSession = Number.NaN;
  // (a) through the poll transport: GET /poll without a session answers with the hello.
  {
    const [{ child: server, port }, client] = await Promise.all([startServer('server[idle-poll]', 'generated'), startClient('client[idle-poll]')]);
    try {
      const before = await mem(server, true);
      const opened = await client.request({ cmd: 'idle-poll', base: `http://127.0.0.1:${port}`, count: IDLE, concurrency: 16 }, 'opened', 120_000);
      const after = await mem(server, true);
      const size = (await server.request({ cmd: 'sessions' }, 'sessions', 10_000)).size as number;
      pollPerSession = (after.rss - before.rss) / size;
      rows.push([
        `GET /poll (hello), from a client process; ${fmtInt(opened.ms as number)} ms, ${String(opened.failures)} failed`,
        fmtInt(size),
        fmtMiB(before.rss),
        fmtMiB(after.rss),
        fmtMiB(after.rss - before.rss),
        fmtInt(pollPerSession),
        fmtInt((after.heapUsed - before.heapUsed) / size),
      ]);
    } finally {
      server.kill();
      client.kill();
    }
  }
  // (b) directly through the core's session store, in the server process: the session itself.
  {
    const { child: server } = await startServer('server[idle-registry]', 'generated');
    try {
      const before = await mem(server, true);
      const created = await server.request({ cmd: 'registry', count: IDLE }, 'created', 60_000);
      const after = await mem(server, true);
      const size = created.size as number;
      rows.push([
        `store.create() in the server process; ${fmtInt(created.ms as number)} ms`,
        fmtInt(size),
        fmtMiB(before.rss),
        fmtMiB(after.rss),
        fmtMiB(after.rss - before.rss),
        fmtInt((after.rss - before.rss) / size),
        fmtInt((after.heapUsed - before.heapUsed) / size),
      ]);
    } finally {
      server.kill();
    }
  }
  say(table(['how the sessions were opened', 'sessions', 'RSS before', 'RSS after', 'Δ MiB', 'Δ RSS B/session', 'Δ heap B/session'], rows));
  verdicts.push({ what: `idle sessions via poll (RSS per session)`, figure: `${fmtInt(pollPerSession)} B`, target: '(no target)', met: undefined });
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error(`\nwatchdog: the benchmark ran longer than ${WATCHDOG_MS / 60_000} minutes; stopping`);
    killAll();
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
  const started = performance.now();

  const cpus = os.cpus();
  say('# contractgen server benchmark');
  say();
  say(`node ${process.version} (${process.platform} ${os.release()} ${process.arch}), ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM`);
  say(`ws ${packageVersion('ws')}, socket.io ${packageVersion('socket.io')}, socket.io-client ${packageVersion('socket.io-client')}`);
  say(`N=${fmtInt(N)} (BENCH_N) runs=${RUNS} (BENCH_RUNS) + 1 warm-up of ${fmtInt(WARM)} per peer, chunk=${CHUNK}${QUICK ? ', BENCH_QUICK=1' : ''}`);
  say(`frame (agent.event, 22-char session_id, 1-char text; ~120 B cannot be reached: envelope + session_id + seq + this payload with an empty text is already ${rawFrame(100_000).length - 1} B): ${rawFrame(1).length} B at seq 1, ${rawFrame(100_000).length} B at seq 100000, ${rawFrame(N).length} B at seq ${N}; e.g. ${rawFrame(100_000).replace(FAKE_SESSION_ID, '<session_id>')}`);
  const load = (): string => os.loadavg().map((x) => x.toFixed(2)).join(' ');
  say(`load average at start: ${load()} (other work on this machine skews every figure; compare peers of one run)`);
  say('servers and clients each run in their own process (plain node, transpiled children); timestamps cross processes via performance.timeOrigin + now()');

  const t = performance.now();
  const outRoot = transpileChildren(repo);
  serverScript = path.join(outRoot, 'bench', 'server', 'server-child.js');
  clientScript = path.join(outRoot, 'bench', 'server', 'client-child.js');
  say(`children transpiled to ${path.relative(repo, outRoot)}/ in ${fmtInt(performance.now() - t)} ms`);

  const sections: [string, () => unknown][] = [
    ['1 WebSocket', sectionWebSocket],
    ['2 RSS', sectionRss],
    ['3 SSE', sectionSse],
    ['4+5 poll and resume', sectionPollAndResume],
    ['6 history', sectionHistory],
    ['7 idle sessions', sectionIdle],
  ];
  // BENCH_SECTIONS=1,3 runs only those sections (a section name starts with its number).
  const only = process.env.BENCH_SECTIONS?.split(',').map((x) => x.trim()).filter(Boolean);
  for (const [name, run] of sections) {
    if (only && !only.some((o) => name.split(' ')[0]!.split('+').includes(o))) continue;
    try {
      await run();
    } catch (err) {
      say(`\n  ! section ${name} failed: ${(err as Error).stack ?? String(err)}`);
      verdicts.push({ what: `section ${name}`, figure: 'FAILED', target: '', met: false });
    } finally {
      killAll();
    }
  }

  heading('Targets');
  say(table(['figure', 'measured', 'target', 'verdict'], verdicts.map((v) => [v.what, v.figure, v.target, v.met === undefined ? 'info' : QUICK ? 'n/a (quick run)' : v.met ? 'MET' : 'MISSED'])));
  say();
  say(`load average at end: ${load()}`);
  say(`total ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => killAll());
