/**
 * Python target benchmark: the generated Python server (generated-py, uvicorn) next to the
 * generated TypeScript server (generated/, node:http) and a plain FastAPI WebSocket send loop
 * (bench/python/peer_app.py), each in its own process, measured by this process in the same run,
 * rounds alternating between the servers (the machine has 2 shared cores: figures are noisy;
 * compare within a run).
 *
 *   node_modules/.bin/tsx bench/python.ts                 (BENCH_N=20000, 5 rounds)
 *   BENCH_QUICK=1 node_modules/.bin/tsx bench/python.ts   (a smoke run with small numbers)
 *
 * 1. Throughput (WebSocket, SSE): a fresh session, then POST /bench/emit n agent.events through
 *    the server's typed emitter (chunks of 1000, each awaited; the same route in both servers);
 *    msgs/s = n / (last data frame received − request sent). The peer gets "<n>" on its socket.
 * 2. Resume latency (WebSocket, SSE): a session with 100 messages, dropped; then a resume from
 *    cursor 0 on a new connection: time from connecting to the 100th replayed frame.
 * Medians over the rounds; ratios are Python / TypeScript and Python / plain FastAPI.
 */
import WebSocket from 'ws';
import { startServerProcess, type ServerProcess } from '../tests/redis/processes.js';
import { startPythonServer, type PythonServer } from '../tests/python/helpers.js';
import { intEnv, QUICK } from './env.js';

const N = intEnv('BENCH_N') ?? (QUICK ? 2_000 : 20_000);
const ROUNDS = intEnv('BENCH_ROUNDS') ?? (QUICK ? 1 : 5);
const REPLAY = 100;

const now = (): number => performance.now();
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};

interface Target {
  readonly name: string;
  readonly origin: string;
  /** Whether it speaks the contract (the plain FastAPI loop only sends). */
  readonly contract: boolean;
}

interface Opened {
  readonly sessionId: string;
  readonly token: string;
}

const isData = (text: string): boolean => text.startsWith('{"type":"agent.event"');

/** A WebSocket that counts data frames and resolves when `want` of them arrived. */
async function openWs(origin: string, query = ''): Promise<{ ws: WebSocket; hello: Promise<Opened>; until(want: number): Promise<number> }> {
  const ws = new WebSocket(`${origin.replace('http', 'ws')}/ws${query}`, { perMessageDeflate: false });
  let count = 0;
  let target = Infinity;
  let done: ((t: number) => void) | undefined;
  let helloDone: ((o: Opened) => void) | undefined;
  const hello = new Promise<Opened>((resolve) => (helloDone = resolve));
  ws.on('message', (data) => {
    const text = String(data);
    if (isData(text)) {
      if (++count >= target) done?.(now());
    } else if (text.startsWith('{"type":"protocol.hello"')) {
      const f = JSON.parse(text) as { payload: { session_id: string; resume_token?: string } };
      helloDone?.({ sessionId: f.payload.session_id, token: f.payload.resume_token ?? '' });
    }
  });
  await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  return {
    ws,
    hello,
    until: (want) =>
      new Promise<number>((resolve) => {
        target = want;
        done = resolve;
        if (count >= want) resolve(now());
      }),
  };
}

/** An SSE stream that counts data events (id: lines) and reads the hello. */
async function openSse(origin: string, query = ''): Promise<{ abort(): void; hello: Promise<Opened>; until(want: number): Promise<number> }> {
  const abort = new AbortController();
  const res = await fetch(`${origin}/events${query}`, { signal: abort.signal });
  let count = 0;
  let target = Infinity;
  let done: ((t: number) => void) | undefined;
  let helloDone: ((o: Opened) => void) | undefined;
  const hello = new Promise<Opened>((resolve) => (helloDone = resolve));
  void (async () => {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) return;
        buffer += value;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          if (event.startsWith('id: ')) {
            if (++count >= target) done?.(now());
          } else if (event.startsWith('data: {"type":"protocol.hello"')) {
            const f = JSON.parse(event.slice(6)) as { payload: { session_id: string; resume_token: string } };
            helloDone?.({ sessionId: f.payload.session_id, token: f.payload.resume_token });
          }
        }
      }
    } catch {
      /* aborted */
    }
  })();
  return {
    abort: () => abort.abort(),
    hello,
    until: (want) =>
      new Promise<number>((resolve) => {
        target = want;
        done = resolve;
        if (count >= want) resolve(now());
      }),
  };
}

const benchEmit = (origin: string, sessionId: string, n: number): Promise<Response> => fetch(`${origin}/bench/emit?session=${sessionId}&n=${n}&chunk=1000`, { method: 'POST' });

async function throughputWs(t: Target): Promise<number> {
  const c = await openWs(t.origin);
  const { sessionId } = await c.hello;
  const t0 = now();
  if (t.contract) void benchEmit(t.origin, sessionId, N);
  else c.ws.send(String(N));
  const t1 = await c.until(N);
  c.ws.terminate();
  return N / ((t1 - t0) / 1000);
}

async function throughputSse(t: Target): Promise<number> {
  const c = await openSse(t.origin);
  const { sessionId } = await c.hello;
  const t0 = now();
  void benchEmit(t.origin, sessionId, N);
  const t1 = await c.until(N);
  c.abort();
  return N / ((t1 - t0) / 1000);
}

async function resumeWs(t: Target): Promise<number> {
  const c = await openWs(t.origin);
  const { sessionId, token } = await c.hello;
  await (await benchEmit(t.origin, sessionId, REPLAY)).json();
  await c.until(REPLAY);
  c.ws.terminate();
  const t0 = now();
  const r = await openWs(t.origin, `?session_id=${sessionId}`);
  r.ws.send(JSON.stringify({ type: 'protocol.resume', header: { session_id: sessionId }, payload: { resume_token: token, last_seen_seq: 0 } }));
  const t1 = await r.until(REPLAY);
  r.ws.terminate();
  return t1 - t0;
}

async function resumeSse(t: Target): Promise<number> {
  const c = await openSse(t.origin);
  const { sessionId, token } = await c.hello;
  await (await benchEmit(t.origin, sessionId, REPLAY)).json();
  await c.until(REPLAY);
  c.abort();
  const t0 = now();
  const r = await openSse(t.origin, `?session_id=${sessionId}&resume_token=${token}&last_seen_seq=0`);
  const t1 = await r.until(REPLAY);
  r.abort();
  return t1 - t0;
}

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');

async function main(): Promise<void> {
  const processes: (PythonServer | ServerProcess)[] = [];
  try {
    const py = await startPythonServer('agent_app:bench_app', { CONFORMANCE: '0' });
    const peer = await startPythonServer('peer_app:app', { PYTHONPATH: new URL('./python', import.meta.url).pathname });
    const ts = await startServerProcess({ name: 'ts', store: 'memory' });
    processes.push(py, peer, ts);
    const targets: Target[] = [
      { name: 'python', origin: py.url, contract: true },
      { name: 'typescript', origin: ts.origin, contract: true },
      { name: 'fastapi', origin: peer.url, contract: false },
    ];
    const results = new Map<string, number[]>();
    const add = (key: string, v: number): void => void results.set(key, [...(results.get(key) ?? []), v]);
    // Warm-up: one small run per server (imports, JIT), not counted.
    for (const t of targets) await throughputWs(t);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order each round so neither server always runs first on a warm machine.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        add(`${t.name} ws`, await throughputWs(t));
        if (!t.contract) continue;
        add(`${t.name} sse`, await throughputSse(t));
        add(`${t.name} ws-resume`, await resumeWs(t));
        add(`${t.name} sse-resume`, await resumeSse(t));
      }
    }
    const m = (key: string): number => median(results.get(key) ?? []);
    console.log(`Python target benchmark: ${N} messages per run, ${ROUNDS} rounds alternating, medians; 2 shared cores, so compare within this run${QUICK ? ' (QUICK: smoke numbers, not to report)' : ''}\n`);
    const rows = [
      ['WebSocket msgs/s', fmt(m('python ws')), fmt(m('typescript ws')), fmt(m('fastapi ws')), fmt(m('python ws') / m('typescript ws'), 2), fmt(m('python ws') / m('fastapi ws'), 2)],
      ['SSE msgs/s', fmt(m('python sse')), fmt(m('typescript sse')), '—', fmt(m('python sse') / m('typescript sse'), 2), '—'],
      [`WebSocket resume, ${REPLAY} replayed (ms)`, fmt(m('python ws-resume'), 1), fmt(m('typescript ws-resume'), 1), '—', fmt(m('python ws-resume') / m('typescript ws-resume'), 2), '—'],
      [`SSE resume, ${REPLAY} replayed (ms)`, fmt(m('python sse-resume'), 1), fmt(m('typescript sse-resume'), 1), '—', fmt(m('python sse-resume') / m('typescript sse-resume'), 2), '—'],
    ];
    const headers = ['', 'python (generated)', 'typescript (generated)', 'plain FastAPI loop', 'python/ts', 'python/fastapi'];
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    console.log([line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n'));
  } finally {
    await Promise.all(processes.map((p) => p.close()));
  }
}

await main();
