/**
 * The client process of bench/client.ts: the generated client (Node: `ws` for WebSocket, fetch
 * streaming for SSE, fetch for poll) driven over IPC by the parent, which runs the generated
 * server. Times are read from a clock both processes share (performance.timeOrigin + now()).
 *
 * Commands (parent → child) and answers (child → parent), matched by `id`:
 *   burst  { url, transport, n }            → progress { count } every PROGRESS_EVERY, then
 *                                             done { firstAt, lastAt, count, inOrder }
 *   stream { url, transport, backoff }      → streaming {}      (a steady stream has started)
 *   arm    {}                               → armed {}, then resumed { reconnectingAt, firstAt, seq, lastBefore }
 *   stop   {}                               → stopped { count, inOrder }
 *   sends  { url, transport, m, mode, message } → sent { startAt, lastAt, cpuUs }: m `message` (ui.action or
 *                                             chat.send), each awaited;
 *                                             `acked`: the generated client's send (resolved on the
 *                                             acknowledgement, C3, or on chat.send's reply, C4), IN_FLIGHT at a time; `acked-all`: all
 *                                             m at once; `ff` / `ff-all`: the same through the client's
 *                                             send path without C3 (fire-and-forget.ts: validated, framed
 *                                             unnumbered, resolved when the transport took it);
 *                                             `raw` (chat.send only): unnumbered, unvalidated frames written straight to a
 *                                             `ws` socket (WebSocket) or POSTed in batches, one POST at a
 *                                             time (SSE, poll) — the floor under any client
 *   flood  { url, transport }               → flooding {}: the generated client sends without end, IN_FLIGHT at a time
 *   drain  {}                               → drained { at, target }: once every send queued so far is acknowledged
 */
import WebSocket from 'ws';
import type { BackoffOptions } from '../../generated/runtime/client/backoff.js';
import { createAgentUiClient, type AgentUiClient } from '../../generated/client.js';
import { contract } from '../../generated/contract.js';
import { openFireAndForget } from './fire-and-forget.js';
import { COUNT_ME, countedPayload, IN_FLIGHT, type SendMessage } from './sends.js';

export type Transport = 'websocket' | 'sse' | 'poll';
/** A command as the parent writes it; `send` adds the id. */
export type CommandBody =
  | { readonly cmd: 'burst'; readonly url: string; readonly transport: Transport; readonly n: number }
  | { readonly cmd: 'stream'; readonly url: string; readonly transport: Transport; readonly backoff: BackoffOptions }
  | { readonly cmd: 'arm' }
  | { readonly cmd: 'stop' }
  | { readonly cmd: 'sends'; readonly url: string; readonly transport: Transport; readonly m: number; readonly mode: SendMode; readonly message: SendMessage; readonly inFlight?: number }
  | { readonly cmd: 'flood'; readonly url: string; readonly transport: Transport }
  | { readonly cmd: 'drain' };
export type Command = CommandBody & { readonly id: number };
/** `acked`/`ff`: IN_FLIGHT (or the command's inFlight) at a time, each awaited; `-all`: every send at once, all awaited; `raw`: no client at all. */
export type SendMode = 'acked' | 'acked-all' | 'ff' | 'ff-all' | 'raw';
export type Answer = { readonly id: number; readonly type: string; readonly [key: string]: unknown };

/** The client reports its count this often in a burst (the server's flow control). */
export const PROGRESS_EVERY = 200;


const now = (): number => performance.timeOrigin + performance.now();
const cpuOf = (u: NodeJS.CpuUsage): number => u.user + u.system;
const answer = (a: Answer): void => void process.send!(a);

/** Opens a client and waits for its session. */
function open(url: string, transport: Transport, backoff?: BackoffOptions): Promise<AgentUiClient> {
  const client = createAgentUiClient({ url, transport, WebSocket, ...(backoff ? { backoff } : {}) });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${transport} session within 10 s`)), 10_000);
    const off = client.onEvent((e) => {
      if (e.kind !== 'session') return;
      off();
      clearTimeout(timer);
      resolve(client);
    });
  });
}

/** Counts agent.events and checks they are exactly 1, 2, 3, … */
function track(client: AgentUiClient, onEach: (seq: number, at: number) => void): { readonly count: number; readonly inOrder: boolean } {
  const state = { count: 0, inOrder: true };
  client.on.agentEvent((m) => {
    const at = now();
    state.count++;
    if (m.header.seq !== state.count) state.inOrder = false;
    onEach(m.header.seq, at);
  });
  return state;
}

let streaming: { client: AgentUiClient; stats: { readonly count: number; readonly inOrder: boolean } } | undefined;
let lingering: { close(): void } | undefined;
let flooding: { client: AgentUiClient; queued: number; stop: boolean } | undefined;

/** m sends, `inFlight` at a time; resolves when the last one resolved. */
async function sendsOf(send: (payload: never) => Promise<unknown>, message: SendMessage, m: number, inFlight: number): Promise<void> {
  const payload = countedPayload(message) as never;
  let queued = 0;
  const worker = async (): Promise<void> => {
    while (queued < m) {
      queued++;
      await send(payload);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** m unnumbered chat.send written without waiting for anything (the server reports when it handled them). */
async function rawSends(url: string, transport: Transport, m: number): Promise<void> {
  const frame = (sessionId: string): string => JSON.stringify({ type: 'chat.send', header: { session_id: sessionId }, payload: { conversation_id: 'bench', text: COUNT_ME } });
  if (transport === 'websocket') {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?versions=1.1`);
    const hello = await new Promise<{ payload: { session_id: string } }>((resolve, reject) => {
      ws.once('message', (data) => resolve(JSON.parse(String(data)) as { payload: { session_id: string } }));
      ws.once('error', reject);
    });
    const text = frame(hello.payload.session_id);
    for (let i = 0; i < m; i++) ws.send(text);
    while (ws.bufferedAmount > 0) await new Promise((r) => setTimeout(r, 1));
    lingering = { close: () => ws.close(1000) }; // closed by the next command, once the server has counted them all
    return;
  }
  // SSE and poll send by POST: the session from a poll's hello, then batches of maxFramesPerPost frames, one POST at a time (as the client does).
  const opened = (await (await fetch(`${url}/poll?versions=1.1`)).json()) as { frames: { payload: { session_id: string; resume_token: string } }[] };
  const { session_id: sessionId, resume_token: token } = opened.frames[0]!.payload;
  const text = frame(sessionId);
  for (let sent = 0; sent < m; ) {
    const batch = Math.min(contract.limits.maxFramesPerPost, m - sent);
    const res = await fetch(`${url}/messages?session_id=${sessionId}`, { method: 'POST', headers: { 'content-type': 'application/json', 'resume-token': token }, body: `[${Array.from({ length: batch }, () => text).join(',')}]` });
    await res.arrayBuffer();
    sent += batch;
  }
}
/** Set by `arm`: the next disconnect and the first data message after it are reported. */
let armed: { id: number; reconnectingAt?: number; lastBefore: number } | undefined;

async function run(c: Command): Promise<void> {
  switch (c.cmd) {
    case 'burst': {
      const client = await open(c.url, c.transport);
      let firstAt = 0;
      let finish!: (lastAt: number) => void;
      const done = new Promise<number>((resolve) => (finish = resolve));
      const stats = track(client, (seq, at) => {
        if (seq === 1) firstAt = at;
        if (stats.count % PROGRESS_EVERY === 0) answer({ id: c.id, type: 'progress', count: stats.count });
        if (stats.count === c.n) finish(at);
      });
      await client.send.chatSend({ conversation_id: 'bench', text: JSON.stringify({ mode: 'burst', n: c.n }) });
      const lastAt = await done;
      answer({ id: c.id, type: 'done', firstAt, lastAt, count: stats.count, inOrder: stats.inOrder });
      client.close();
      return;
    }
    case 'stream': {
      const client = await open(c.url, c.transport, c.backoff);
      let started = false;
      const stats = track(client, (seq, at) => {
        if (!started) {
          started = true;
          answer({ id: c.id, type: 'streaming' });
        }
        if (armed?.reconnectingAt !== undefined) {
          const a = armed;
          armed = undefined;
          answer({ id: a.id, type: 'resumed', reconnectingAt: a.reconnectingAt, firstAt: at, seq, lastBefore: a.lastBefore });
        }
      });
      client.onEvent((e) => {
        if (armed && armed.reconnectingAt === undefined && e.kind === 'state' && e.state === 'reconnecting') armed.reconnectingAt = now();
      });
      streaming = { client, stats };
      await client.send.chatSend({ conversation_id: 'bench', text: JSON.stringify({ mode: 'stream' }) });
      return;
    }
    case 'arm':
      armed = { id: c.id, lastBefore: streaming?.client.lastSeenSeq ?? 0 };
      answer({ id: c.id, type: 'armed' });
      return;
    case 'sends': {
      if (c.mode === 'raw') {
        const startAt = now();
        const cpu = process.cpuUsage();
        await rawSends(c.url, c.transport, c.m);
        answer({ id: c.id, type: 'sent', startAt, lastAt: now(), cpuUs: cpuOf(process.cpuUsage(cpu)) });
        return;
      }
      lingering?.close();
      lingering = undefined;
      const inFlight = c.mode.endsWith('-all') ? c.m : (c.inFlight ?? IN_FLIGHT);
      if (c.mode.startsWith('ff')) {
        const ff = await openFireAndForget(c.url, c.transport, c.message);
        const startAt = now();
        const cpu = process.cpuUsage();
        await sendsOf(ff.send, c.message, c.m, inFlight);
        answer({ id: c.id, type: 'sent', startAt, lastAt: now(), cpuUs: cpuOf(process.cpuUsage(cpu)) });
        lingering = ff; // closed by the next command, once the server has counted them all
        return;
      }
      const client = await open(c.url, c.transport);
      const startAt = now();
      const cpu = process.cpuUsage();
      await sendsOf(c.message === 'chat.send' ? client.send.chatSend : client.send.uiAction, c.message, c.m, inFlight);
      answer({ id: c.id, type: 'sent', startAt, lastAt: now(), acked: client.acked, cpuUs: cpuOf(process.cpuUsage(cpu)) });
      client.close();
      return;
    }
    case 'flood': {
      const client = await open(c.url, c.transport, { initialMs: 0 });
      const f = { client, queued: 0, stop: false };
      flooding = f;
      const worker = async (): Promise<void> => {
        while (!f.stop) {
          f.queued++;
          await client.send.chatSend({ conversation_id: 'bench', text: COUNT_ME }).catch(() => undefined);
        }
      };
      for (let i = 0; i < IN_FLIGHT; i++) void worker();
      answer({ id: c.id, type: 'flooding' });
      return;
    }
    case 'drain': {
      const f = flooding!;
      const target = f.queued;
      while (f.client.acked < target) await new Promise((r) => setTimeout(r, 1));
      answer({ id: c.id, type: 'drained', at: now(), target });
      return;
    }
    case 'stop': {
      if (flooding) {
        flooding.stop = true;
        flooding.client.close();
        flooding = undefined;
      }
      const s = streaming;
      streaming = undefined;
      s?.client.close();
      answer({ id: c.id, type: 'stopped', count: s?.stats.count ?? 0, inOrder: s?.stats.inOrder ?? false });
      return;
    }
  }
}

process.on('message', (c: Command) => {
  run(c).catch((err: Error) => answer({ id: c.id, type: 'error', message: err.message }));
});
answer({ id: 0, type: 'ready' });
// Exit on the parent's kill by returning, so that `node --cpu-prof` can write this process's profile.
process.on('SIGTERM', () => process.exit(0));
