/**
 * Limits benchmark (L2, L3): what the bounds cost and what they save, this branch next to the
 * runtime of `main` (BENCH_BASE), measured in the same run.
 *
 *   node_modules/.bin/tsx bench/limits.ts
 *   BENCH_QUICK=1 node_modules/.bin/tsx bench/limits.ts      (a smoke run with small numbers)
 *   BENCH_ATTEMPTS, BENCH_IDLE, BENCH_N, BENCH_RUNS, BENCH_BASE=<git ref> override the sizes and the peer;
 *   BENCH_SECTIONS=1,4 runs only those sections
 *
 * Every server runs alone in a child process with every limit at its default (its RSS is its
 * own) and every client in another. main's server is its committed generated/ (and so its
 * runtime), taken with `git archive` and transpiled beside the same child scripts.
 *
 * Sections, per transport: 1 WebSocket msgs/s of the hot path, paired per round against main
 * and against corked `ws`; 2 RSS per idle session; 3 RSS and time for BENCH_ATTEMPTS session
 * attempts from one address and from as many clients; 4 server memory under an inbound flood of
 * 30 KB frames to a handler that never finishes.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { intEnv, QUICK } from './env.js';
import { median, type MemorySample } from './server/common.js';
import { killAll, spawn, transpileChildren, type Child } from './server/ipc.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BASE = process.env.BENCH_BASE ?? 'main';
const ATTEMPTS = intEnv('BENCH_ATTEMPTS') ?? (QUICK ? 5_000 : 100_000);
const IDLE = intEnv('BENCH_IDLE') ?? (QUICK ? 500 : 5_000);
const HOT_N = intEnv('BENCH_N') ?? (QUICK ? 20_000 : 100_000);
const RUNS = intEnv('BENCH_RUNS') ?? (QUICK ? 1 : 5);
const FLOOD = { websocket: QUICK ? 600 : 6_000, post: QUICK ? 200 : 2_000, size: 30_000 };
const CONCURRENCY = 32;

const MiB = 1024 * 1024;
const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmtMiB = (b: number): string => (Number.isFinite(b) ? (b / MiB).toFixed(1) : 'n/a');
const fmtX = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a');
const say = (text = ''): void => console.log(text);
const heading = (text: string): void => say(`\n## ${text}\n`);

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// The two trees

interface Tree {
  readonly label: string;
  /** Where its transpiled children are. */
  readonly root: string;
}

const CHILD_DIRS = ['generated', 'bench/server', 'bench/limits'];

function treeOfThisBranch(): Tree {
  return { label: 'this branch', root: transpileChildren(repo, CHILD_DIRS, path.join(repo, '.bench-tmp', 'limits-this')) };
}

/** main's generated/ (its runtime with it) beside this branch's child scripts, transpiled the same way. */
function treeOfBase(): Tree {
  const src = path.join(repo, '.bench-tmp', 'limits-base-src');
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  const archive = execFileSync('git', ['-C', repo, 'archive', BASE, 'generated'], { maxBuffer: 256 * MiB });
  execFileSync('tar', ['-x', '-C', src], { input: archive });
  for (const dir of ['bench/server', 'bench/limits']) cpSync(path.join(repo, dir), path.join(src, dir), { recursive: true });
  return { label: BASE, root: transpileChildren(src, CHILD_DIRS, path.join(repo, '.bench-tmp', 'limits-base')) };
}

const script = (tree: Tree, file: string): string => path.join(tree.root, file);

async function limitsServer(tree: Tree, kind: 'address' | 'keyed'): Promise<{ server: Child; base: string }> {
  const { child, ready } = await spawn(`limits-server[${tree.label}, ${kind}]`, script(tree, 'bench/limits/server-child.js'), [kind]);
  return { server: child, base: `http://127.0.0.1:${String(ready.port)}` };
}

type ServerSample = MemorySample & { sessions: number; handled: number; bytesRead: number };
const mem = async (server: Child): Promise<ServerSample> => (await server.request({ cmd: 'mem', gc: true }, 'mem', 60_000)) as unknown as ServerSample;

// ---------------------------------------------------------------------------------------------
// 1. The hot path

interface HotPeer {
  readonly key: string;
  readonly label: string;
  readonly tree: Tree;
  readonly kind: 'generated' | 'ws-raw';
}

async function sectionHotPath(thisTree: Tree, baseTree: Tree): Promise<void> {
  heading(`1. WebSocket: ${fmtInt(HOT_N)} data messages to one client, ${RUNS} rounds, peers interleaved`);
  const peers: HotPeer[] = [
    { key: 'this', label: `generated WS, ${thisTree.label}`, tree: thisTree, kind: 'generated' },
    { key: 'base', label: `generated WS, ${baseTree.label}`, tree: baseTree, kind: 'generated' },
    { key: 'corked', label: 'ws, corked per tick', tree: thisTree, kind: 'ws-raw' },
  ];
  const lives = await Promise.all(
    peers.map(async (peer) => {
      const [{ child: server, ready }, { child: client }] = await Promise.all([
        spawn(`hot-server[${peer.key}]`, script(peer.tree, 'bench/server/server-child.js'), [peer.kind]),
        spawn(`hot-client[${peer.key}]`, script(thisTree, 'bench/server/client-child.js'), []),
      ]);
      return { peer, server, client, port: ready.port as number };
    }),
  );
  const rates = new Map<string, number[]>(peers.map((p) => [p.key, []]));
  const once = async (live: (typeof lives)[number], n: number): Promise<number> => {
    const generated = live.peer.kind === 'generated';
    const id = live.client.send({ cmd: 'ws-count', n, url: `ws://127.0.0.1:${live.port}/ws${generated ? '?versions=1.0,1.1' : ''}`, hello: generated });
    const connected = await live.client.wait(id, 'connected', 15_000);
    const emitted = await live.server.request({ cmd: 'emit', n, chunk: 1_000, sessionId: connected.sessionId, ...(generated ? { transport: 'ws' } : { mode: 'batched' }) }, 'emitted', 60_000 + n);
    const done = await live.client.wait(id, 'done', 60_000 + n);
    if (done.ok !== true) throw new Error(`${live.peer.label}: received ${String(done.count)} of ${n}`);
    return (n / ((done.tDone as number) - (emitted.t0 as number))) * 1000;
  };
  try {
    for (const live of lives) await once(live, Math.max(2_000, HOT_N / 10)); // warm-up
    for (let round = 0; round < RUNS; round++) for (const live of lives) rates.get(live.peer.key)!.push(await once(live, HOT_N));
  } finally {
    for (const l of lives) {
      l.server.kill();
      l.client.kill();
    }
  }
  const paired = (a: string, b: string): number => median(rates.get(a)!.map((r, i) => r / rates.get(b)![i]!));
  say(table(['peer', 'msgs/s (median)', 'rounds (msgs/s)'], peers.map((p) => [p.label, fmtInt(median(rates.get(p.key)!)), rates.get(p.key)!.map(fmtInt).join(' / ')])));
  say(`\nthis branch / ${baseTree.label}: ${fmtX(paired('this', 'base'))} (median of per-round ratios); this branch / corked ws: ${fmtX(paired('this', 'corked'))}`);
}

// ---------------------------------------------------------------------------------------------
// 2–4. Per transport

type Transport = 'websocket' | 'sse' | 'poll';
const TRANSPORTS: readonly Transport[] = ['websocket', 'sse', 'poll'];

async function withProcesses<T>(tree: Tree, kind: 'address' | 'keyed', thisTree: Tree, fn: (server: Child, client: Child, base: string) => Promise<T>): Promise<T> {
  const [{ server, base }, { child: client }] = await Promise.all([limitsServer(tree, kind), spawn(`limits-client[${tree.label}]`, script(thisTree, 'bench/limits/client-child.js'), [])]);
  try {
    return await fn(server, client, base);
  } finally {
    server.kill();
    client.kill();
  }
}

async function sectionIdle(trees: readonly Tree[], thisTree: Tree): Promise<void> {
  heading(`2. RSS per idle session: ${fmtInt(IDLE)} sessions held open (WebSocket, SSE) or left after their hello (poll), each its own client; GC before both samples`);
  const rows: string[][] = [];
  for (const transport of TRANSPORTS) {
    for (const tree of trees) {
      rows.push(
        await withProcesses(tree, 'keyed', thisTree, async (server, client, base) => {
          const before = await mem(server);
          const r = await client.request({ cmd: 'attempts', base, transport, n: IDLE, concurrency: CONCURRENCY, clients: IDLE, keep: true }, 'done', 300_000);
          const after = await mem(server);
          return [transport, tree.label, fmtInt(r.accepted as number), fmtInt(after.sessions), fmtMiB(after.rss - before.rss), fmtInt((after.rss - before.rss) / (after.sessions || 1)), fmtInt((after.heapUsed - before.heapUsed) / (after.sessions || 1))];
        }),
      );
    }
  }
  say(table(['transport', 'server', 'opened', 'sessions', 'Δ RSS MiB', 'RSS B/session', 'heap B/session'], rows));
}

async function sectionAttempts(trees: readonly Tree[], thisTree: Tree): Promise<void> {
  heading(`3. ${fmtInt(ATTEMPTS)} session attempts against the default caps (${CONCURRENCY} at a time; each a hello, then the connection is let go)`);
  const rows: string[][] = [];
  const cases: { transport: Transport; clients: number; kind: 'address' | 'keyed'; what: string }[] = [
    ...TRANSPORTS.map((transport) => ({ transport, clients: 1, kind: 'address' as const, what: 'one address' })),
    { transport: 'poll', clients: ATTEMPTS, kind: 'keyed', what: `${fmtInt(ATTEMPTS)} clients` },
  ];
  for (const c of cases) {
    for (const tree of trees) {
      rows.push(
        await withProcesses(tree, c.kind, thisTree, async (server, client, base) => {
          const before = await mem(server);
          const r = await client.request({ cmd: 'attempts', base, transport: c.transport, n: ATTEMPTS, concurrency: CONCURRENCY, clients: c.clients, keep: false }, 'done', 1_800_000);
          const after = await mem(server);
          return [
            c.transport,
            c.what,
            tree.label,
            fmtInt(r.ms as number),
            fmtInt(r.accepted as number),
            fmtInt(r.refused as number),
            fmtInt(r.failed as number),
            fmtInt(after.sessions),
            fmtMiB(before.rss),
            fmtMiB(after.rss),
            fmtMiB(after.maxRss),
          ];
        }),
      );
    }
  }
  say(table(['transport', 'from', 'server', 'ms', 'hellos', 'overloaded', 'failed', 'sessions after', 'RSS before', 'RSS after GC', 'peak RSS'], rows));
}

async function sectionFlood(trees: readonly Tree[], thisTree: Tree): Promise<void> {
  heading(`4. Inbound flood to a handler that never finishes: ${fmtInt(FLOOD.websocket)} WebSocket frames / ${fmtInt(FLOOD.post)} POSTs of ${fmtInt(FLOOD.size)} characters`);
  const rows: string[][] = [];
  for (const transport of ['websocket', 'post'] as const) {
    for (const tree of trees) {
      rows.push(
        await withProcesses(tree, 'address', thisTree, async (server, client, base) => {
          const before = await mem(server);
          const r = await client.request({ cmd: 'flood', base, transport, n: FLOOD[transport], size: FLOOD.size }, 'flooded', 600_000);
          const after = await mem(server);
          const answer =
            transport === 'websocket'
              ? `the server read ${fmtMiB(after.bytesRead - before.bytesRead)} MiB of it`
              : Object.entries(r.statuses as Record<string, number>)
                  .map(([s, n]) => `HTTP ${s}: ${fmtInt(n)}`)
                  .join(', ');
          await server.request({ cmd: 'release' }, 'released', 10_000);
          return [transport === 'post' ? 'POST (SSE, poll)' : transport, tree.label, fmtMiB(r.sentBytes as number), fmtMiB(after.rss - before.rss), fmtMiB(after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers), fmtMiB(after.maxRss), answer];
        }),
      );
    }
  }
  say(table(['transport', 'server', 'sent MiB', 'Δ RSS MiB (GC)', 'Δ heap+buffers MiB', 'peak RSS MiB', 'what happened'], rows));
}

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error('\nwatchdog: the limits benchmark ran longer than 60 minutes; stopping');
    killAll();
    process.exit(2);
  }, 60 * 60_000);
  watchdog.unref();
  say(`# contractgen limits benchmark${QUICK ? ' (BENCH_QUICK: smoke numbers, not for reporting)' : ''}`);
  say(`node ${process.version}; peers measured in this run: this branch and ${BASE} (git archive ${BASE} generated/); 2 shared cores — read ratios, not absolutes`);
  const thisTree = treeOfThisBranch();
  const baseTree = treeOfBase();
  const trees = [thisTree, baseTree];
  const sections: Record<string, () => Promise<void>> = {
    '1': () => sectionHotPath(thisTree, baseTree),
    '2': () => sectionIdle(trees, thisTree),
    '3': () => sectionAttempts(trees, thisTree),
    '4': () => sectionFlood(trees, thisTree),
  };
  try {
    for (const key of (process.env.BENCH_SECTIONS ?? '1,2,3,4').split(',')) {
      const run = sections[key.trim()];
      if (!run) throw new Error(`BENCH_SECTIONS: no section ${key} (there are 1 to 4)`);
      await run();
    }
  } finally {
    killAll();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  killAll();
  process.exit(1);
});
