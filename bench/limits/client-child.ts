/**
 * The clients of the limits benchmark, in their own process: many session attempts over one
 * transport (each one hello, then let go), idle sessions that stay open, and an inbound flood of
 * large frames to a session whose handler is blocked. Every request names its client in
 * `x-bench-client` (a keyed server counts it so; an address-keyed one ignores it).
 */
import http from 'node:http';
import WebSocket from 'ws';
import { serveCommands, sleep, type Command, type Reply } from '../server/common.js';

if (!process.connected) process.exit(0);
process.on('disconnect', () => process.exit(0));

type Transport = 'websocket' | 'sse' | 'poll';
type Outcome = 'accepted' | 'refused' | 'failed';

const open = new Set<{ close(): void }>();
let agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One hello over `transport`: accepted (a hello came), refused (a typed refusal) or failed. `keep` leaves the connection open. */
function attempt(base: string, transport: Transport, client: string, keep: boolean): Promise<Outcome> {
  const headers = { 'x-bench-client': client };
  const verdict = (text: string): Outcome => (text.includes('"protocol.hello"') ? 'accepted' : text.includes('"overloaded"') ? 'refused' : 'failed');
  if (transport === 'websocket') {
    return new Promise((resolve) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`, { headers, perMessageDeflate: false });
      ws.once('message', (data) => {
        const outcome = verdict(data.toString());
        if (keep && outcome === 'accepted') open.add({ close: () => ws.terminate() });
        else ws.terminate();
        resolve(outcome);
      });
      ws.on('error', () => resolve('failed'));
      ws.on('close', () => resolve('failed'));
    });
  }
  return new Promise((resolve) => {
    const req = http.get(`${base}/${transport === 'sse' ? 'events' : 'poll'}`, { headers, agent: transport === 'sse' ? false : agent }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
        // SSE: the first event decides; the stream stays open only when asked to.
        if (transport === 'sse' && text.includes('\n\n')) {
          const outcome = verdict(text);
          if (keep && outcome === 'accepted') open.add({ close: () => req.destroy() });
          else req.destroy();
          resolve(outcome);
        }
      });
      res.on('end', () => resolve(verdict(text)));
      res.on('error', () => resolve('failed'));
    });
    req.on('error', () => resolve('failed'));
  });
}

/**
 * `n` attempts, `concurrency` at a time; client i of `clients` distinct ones. Sessions to `keep`
 * (the idle section) are tried again a second after a refusal (the session rate's Retry-After),
 * so that n sessions are held in the end.
 */
async function attempts(base: string, transport: Transport, n: number, concurrency: number, clients: number, keep: boolean): Promise<Record<Outcome, number> & { ms: number }> {
  const counts: Record<Outcome, number> = { accepted: 0, refused: 0, failed: 0 };
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        let outcome = await attempt(base, transport, `c${i % clients}`, keep);
        for (let retry = 0; keep && outcome === 'refused' && retry < 30; retry++) {
          await sleep(1000);
          outcome = await attempt(base, transport, `c${i % clients}`, keep);
        }
        counts[outcome]++;
      }
    }),
  );
  return { ...counts, ms: performance.now() - t0 };
}

/** A session's hello over poll: its id and token. */
async function pollHello(base: string): Promise<{ id: string; token: string }> {
  const res = await fetch(`${base}/poll`, { headers: { 'x-bench-client': 'flood' } });
  const hello = ((await res.json()) as { frames: { payload: { session_id: string; resume_token: string } }[] }).frames[0]!.payload;
  return { id: hello.session_id, token: hello.resume_token };
}

const frame = (id: string, text: string): string => JSON.stringify({ type: 'chat.send', header: { session_id: id }, payload: { conversation_id: 'c-1', text } });

serveCommands({
  async attempts(command: Command, reply: Reply) {
    const { base, transport, n, concurrency, clients, keep } = command as Command & { base: string; transport: Transport; n: number; concurrency: number; clients: number; keep: boolean };
    reply('done', await attempts(base, transport, n, concurrency, clients, keep));
  },
  /** Frames of `size` characters to a session whose handler is blocked: WebSocket, or one POST each. */
  async flood(command: Command, reply: Reply) {
    const { base, transport, n, size } = command as Command & { base: string; transport: 'websocket' | 'post'; n: number; size: number };
    const padding = 'x'.repeat(size);
    if (transport === 'websocket') {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/ws`, { headers: { 'x-bench-client': 'flood' }, perMessageDeflate: false });
      const hello = await new Promise<{ payload: { session_id: string } }>((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
      const id = hello.payload.session_id;
      open.add({ close: () => ws.terminate() });
      ws.send(frame(id, 'block'));
      for (let i = 0; i < n; i++) ws.send(frame(id, padding));
      // Until the server stops taking bytes (it is blocked): then what it holds is what it will hold.
      let last = -1;
      while (ws.bufferedAmount !== last) {
        last = ws.bufferedAmount;
        await sleep(500);
      }
      return reply('flooded', { sentBytes: n * size });
    }
    const { id, token } = await pollHello(base);
    const post = async (text: string): Promise<number> => (await fetch(`${base}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: frame(id, text) })).status;
    await post('block');
    const statuses: Record<string, number> = {};
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < n) {
          next++;
          const status = await post(padding);
          statuses[status] = (statuses[status] ?? 0) + 1;
        }
      }),
    );
    reply('flooded', { sentBytes: n * size, statuses });
  },
  close(_command: Command, reply: Reply) {
    for (const c of open) c.close();
    open.clear();
    agent.destroy();
    agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    reply('closed');
  },
});
