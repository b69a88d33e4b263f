/**
 * The generated client in a real browser: headless Chromium (Debian's /usr/bin/chromium, driven
 * by playwright-core) loads generated/client.ts as native ES modules — each file transpiled by
 * esbuild on request, nothing bundled, so the generated `./x.js` imports must resolve as they
 * are — and talks to the generated server with the browser's own WebSocket, EventSource and
 * fetch. Per transport (one page load each): N data messages arrive as exactly 1..N in order
 * (Q2/Q4); a server-side cut of the connection and a client.reconnect() in the middle of a
 * stream still give every seq exactly once (R1/R2); the client is open again afterwards and
 * keeps working; and a history view loads and pages back (W3–W5).
 *
 * Nothing is skipped: without Chromium this suite fails and says how to install it
 * (scripts/install-system-deps.sh does it in CI).
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentUiClient } from '../../generated/client.js';
import { createMemoryHistoryStore } from '../../generated/runtime/server/history.js';
import { createAgentUiServer, type AgentUiServer } from '../../generated/server.js';
import type { HistoryChunk } from '../../generated/types.js';
import { createModuleServer } from '../../out-examples/serve-generated.js';
import { accepted } from '../support/accepted.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const KINDS = ['websocket', 'sse', 'poll'] as const;
/** Data messages per stream. */
const N = 500;
/** The server emits a stream in chunks of CHUNK every PACE_MS, so a cut lands in the middle of it. */
const CHUNK = 20;
const PACE_MS = 4;
const HISTORY_ITEMS = 120;
/** How long a server-side cut keeps refusing transport connections. */
const BLACKOUT_MS = 150;

/** What the page exposes to the test (window.app). */
interface PageApp {
  readonly client: AgentUiClient;
  /** header.seq of every agent.event delivered, in delivery order. */
  readonly received: number[];
  /** Connection states and session events, e.g. "state:reconnecting", "session:resumed". */
  readonly events: string[];
  /** Payloads of protocol.resumed. */
  readonly resumes: { from_seq: number; latest_seq: number }[];
  /** Client-side errors and sequence verdicts. */
  readonly problems: string[];
  /** The page calls client.reconnect() when this seq is delivered (0: never). */
  reconnectAtSeq: number;
}

declare global {
  interface Window {
    app?: PageApp;
  }
}

/** The page: imports the generated client and wires it to window.app for the test. */
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>contractgen browser test</title>
<p id="status">loading</p>
<script type="module">
import { createAgentUiClient } from '/gen/client.js';
const transport = new URLSearchParams(location.search).get('transport');
const app = { received: [], events: [], resumes: [], problems: [], reconnectAtSeq: 0 };
app.client = createAgentUiClient({
  url: location.origin,
  transport,
  WebSocket: window.WebSocket,
  EventSource: window.EventSource,
  fetch: window.fetch.bind(window),
  backoff: { initialMs: 50, maxMs: 500 },
});
app.client.on.agentEvent((m) => {
  app.received.push(m.header.seq);
  if (m.header.seq === app.reconnectAtSeq) app.client.reconnect();
});
// Each chat.send is answered by chat.accepted (C4), a data message between the events.
app.client.on.chatAccepted((m) => app.received.push(m.header.seq));
app.client.on.protocolResumed((m) => app.resumes.push(m.payload));
app.client.onEvent((e) => {
  if (e.kind === 'state') app.events.push('state:' + e.state);
  else if (e.kind === 'session') app.events.push(e.resumed ? 'session:resumed' : 'session:new');
  else if (e.kind === 'sequence') app.problems.push(e.verdict + ' ' + e.seq + ' after ' + e.lastSeen);
  else app.problems.push(e.kind + ': ' + (e.reason ?? e.code) + ' ' + e.message);
  document.getElementById('status').textContent = app.client.state;
});
window.app = app;
</script>
`;

interface TestServer {
  readonly origin: string;
  readonly agent: AgentUiServer;
  /** Server-side cuts so far. */
  readonly cuts: number;
  /** Emits the server refused and handler errors: there should be none. */
  readonly errors: readonly string[];
  close(): Promise<void>;
}

/**
 * node:http on 127.0.0.1:0 with the generated server, the page and /gen/*.js. chat.send's text
 * is JSON `{ n, cutAt? }`: emit n agent.events in paced chunks and, right after the one whose
 * index within the stream is cutAt, cut the network: the session's transport connection (the
 * WebSocket, the SSE response or the held poll) is destroyed, reconnects fail for BLACKOUT_MS,
 * and the emission goes on meanwhile.
 */
async function startTestServer(): Promise<TestServer> {
  const history = createMemoryHistoryStore<HistoryChunk>();
  for (let i = 1; i <= HISTORY_ITEMS; i++) history.append('c-1', { role: i % 2 ? 'user' : 'assistant', turn_id: `t${Math.ceil(i / 2)}`, chunk: { kind: 'text', text: `message ${i}` } });

  // A cut is a short network outage: the transport connections open now are destroyed, and so is
  // every transport connection attempted in the next BLACKOUT_MS. (Destroying only the open ones
  // is not enough over poll: Chromium silently retries a GET whose reused keep-alive socket
  // closes before any answer, so the client would never notice.)
  const carrying = new Set<Duplex>();
  const errors: string[] = [];
  let blackoutUntil = 0;
  let cuts = 0;
  const carry = (socket: Duplex, until: { once(event: 'close', fn: () => void): unknown }): boolean => {
    if (Date.now() < blackoutUntil) {
      socket.destroy();
      return false;
    }
    carrying.add(socket);
    until.once('close', () => carrying.delete(socket));
    return true;
  };
  const cut = (): void => {
    cuts++;
    blackoutUntil = Date.now() + BLACKOUT_MS;
    for (const socket of carrying) socket.destroy();
    carrying.clear();
  };

  const agent = createAgentUiServer({
    handlers: {
      chatSend(message, ctx) {
        const { n, cutAt } = JSON.parse(message.payload.text) as { n: number; cutAt?: number };
        let i = 0;
        const tick = (): void => {
          for (let k = 0; k < CHUNK && i < n; k++, i++) {
            const index = i;
            const seq = ctx.emit.agentEvent({ conversation_id: message.payload.conversation_id, turn_id: 'turn', kind: 'text', text: `event ${index}` });
            Promise.resolve(seq).catch((err: Error) => errors.push(`emit ${index}: ${err.message}`)); // sync or async emit alike
            if (i === cutAt) cut();
          }
          if (i < n) setTimeout(tick, PACE_MS);
        };
        tick();
        return accepted(message);
      },
      onError(error, where) {
        errors.push(`${where.type ?? 'request'}: ${String(error)}`);
      },
      uiAction() {},
    },
    history: { conversationHistory: history },
  });
  const modules = createModuleServer({ prefix: '/gen/' });
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (modules(req, res)) return;
    if (pathname === '/favicon.ico') return void res.writeHead(204).end();
    if (pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(PAGE);
    }
    if ((pathname === '/events' || pathname === '/poll') && !carry(req.socket, res)) return;
    if (!agent.handleRequest(req, res)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!carry(socket, socket)) return;
    if (!agent.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    agent,
    get cuts() {
      return cuts;
    },
    errors,
    async close() {
      agent.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** playwright-core gives each launch a fresh temporary profile. */
async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the browser test needs Chromium at ${CHROMIUM}; install it with \`bash scripts/install-system-deps.sh\` (apt-get install chromium)`);
  }
  try {
    return await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  } catch (err) {
    throw new Error(`could not start ${CHROMIUM} headless: ${(err as Error).message}`);
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

let browser: Browser;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

// The tests of one transport share a page (one page load per transport) and run in order: the
// seqs of a session go on from one test to the next.
describe.each(KINDS)('the generated client in Chromium over %s', (transport) => {
  let page: Page;
  const pageErrors: string[] = [];

  /** Sends chat.send from the page; fails clearly when the client never gets it out. */
  const chat = (spec: { n: number; cutAt?: number }): Promise<void> =>
    page.evaluate(async (text) => {
      const app = window.app!;
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`chat.send still not sent after 5 s; client state "${app.client.state}", events ${app.events.slice(-6).join(', ')}`)), 5_000));
      await Promise.race([app.client.send.chatSend({ conversation_id: 'c-1', text }), timeout]);
    }, JSON.stringify(spec));

  /** Waits until `total` seqs were delivered, then a little longer to catch extras. */
  const receivedAfter = async (total: number): Promise<number[]> => {
    try {
      await page.waitForFunction((t) => window.app!.received.length >= t, total, { timeout: 20_000, polling: 20 });
    } catch {
      const got = await page.evaluate(() => ({ n: window.app!.received.length, tail: window.app!.received.slice(-5), state: window.app!.client.state, problems: window.app!.problems.slice(-5) }));
      throw new Error(`waited for ${total} data messages, got ${got.n} (last ${got.tail.join(',')}), client ${got.state}, ${got.problems.join('; ') || 'no client errors'}`);
    }
    await page.waitForTimeout(150);
    return page.evaluate(() => [...window.app!.received]);
  };

  beforeAll(async () => {
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(`page error: ${err.message}`));
    // Console errors are not failures: Chromium logs every connection the test cuts on purpose.
    await page.goto(`${server.origin}/?transport=${transport}`);
    try {
      await page.waitForFunction(() => window.app?.client.state === 'open', undefined, { timeout: 10_000 });
    } catch {
      throw new Error(`the page never opened a ${transport} session: ${pageErrors.join(' | ') || 'no page errors'}`);
    }
  }, 30_000);

  afterAll(async () => {
    await page?.close();
  });

  it('loads the generated client as native ES modules and opens a session', async () => {
    const info = await page.evaluate(() => ({ transport: window.app!.client.transport, version: window.app!.client.protocolVersion, session: window.app!.client.sessionId, events: window.app!.events }));
    expect(info.transport).toBe(transport);
    expect(info.version).toBe('1.1');
    expect(info.session).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(info.events).toContain('session:new');
    expect(pageErrors).toEqual([]);
  });

  it(`delivers ${N} agent.events and the reply as exactly seq 1..${N + 1}, in order`, async () => {
    await chat({ n: N });
    expect(await receivedAfter(N + 1)).toEqual(range(1, N + 1));
    expect(server.errors).toEqual([]);
  });

  it('a server-side cut and a client.reconnect() in the middle of a stream still give every seq exactly once', async () => {
    const cutsBefore = server.cuts;
    // The server cuts the connection after the stream's 150th event and keeps emitting; the page
    // drops its own connection when seq N + 350 is delivered.
    await page.evaluate((seq) => (window.app!.reconnectAtSeq = seq), N + 350);
    await chat({ n: N, cutAt: 150 });
    expect(await receivedAfter(2 * N + 2)).toEqual(range(1, 2 * N + 2));
    expect(server.cuts - cutsBefore).toBe(1);
    expect(server.errors).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('resumed cleanly after both disconnects (R2) and goes on streaming', async () => {
    const app = await page.evaluate(() => ({ state: window.app!.client.state, events: window.app!.events, resumes: window.app!.resumes, problems: window.app!.problems }));
    const story = `client events: ${app.events.join(', ')}; resumed frames: ${JSON.stringify(app.resumes)}`;
    expect(app.state, story).toBe('open');
    // Two resumes of the same session, each from a point inside the second stream.
    expect(app.events.filter((e) => e === 'session:resumed').length, story).toBe(2);
    expect(app.events.filter((e) => e === 'session:new').length).toBe(1); // the same session throughout
    // R2 on every transport: each resume is answered with protocol.resumed.
    expect(app.resumes.length, story).toBe(2);
    for (const r of app.resumes) expect(r.from_seq).toBeGreaterThan(N);
    expect(app.problems.filter((p) => p.startsWith('resume-failed'))).toEqual([]);
    await chat({ n: N });
    expect(await receivedAfter(3 * N + 3)).toEqual(range(1, 3 * N + 3));
  });

  it('loads a history window and pages back (W3–W5)', async () => {
    const view = await page.evaluate(async () => {
      const h = window.app!.client.history.conversationHistory({ conversationId: 'c-1' }, { pageSize: 50 });
      await h.load();
      const first = { seqs: h.items.map((c) => c.seq), cursor: h.cursor, hasEarlier: h.hasEarlier, text: h.items[0]!.chunk.text };
      await h.showEarlier();
      await h.showEarlier();
      return { first, seqs: h.items.map((c) => c.seq), cursor: h.cursor, hasEarlier: h.hasEarlier };
    });
    expect(view.first).toEqual({ seqs: range(HISTORY_ITEMS - 49, HISTORY_ITEMS), cursor: HISTORY_ITEMS, hasEarlier: true, text: `message ${HISTORY_ITEMS - 49}` });
    expect(view.seqs).toEqual(range(1, HISTORY_ITEMS));
    expect(view.cursor).toBe(HISTORY_ITEMS);
    expect(view.hasEarlier).toBe(false);
  });
});
