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
 */
import WebSocket from 'ws';
import type { BackoffOptions } from '../../generated/runtime/client/backoff.js';
import { createAgentUiClient, type AgentUiClient } from '../../generated/client.js';

export type Transport = 'websocket' | 'sse' | 'poll';
/** A command as the parent writes it; `send` adds the id. */
export type CommandBody =
  | { readonly cmd: 'burst'; readonly url: string; readonly transport: Transport; readonly n: number }
  | { readonly cmd: 'stream'; readonly url: string; readonly transport: Transport; readonly backoff: BackoffOptions }
  | { readonly cmd: 'arm' }
  | { readonly cmd: 'stop' };
export type Command = CommandBody & { readonly id: number };
export type Answer = { readonly id: number; readonly type: string; readonly [key: string]: unknown };

/** The client reports its count this often in a burst (the server's flow control). */
export const PROGRESS_EVERY = 200;

const now = (): number => performance.timeOrigin + performance.now();
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
    case 'stop': {
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
