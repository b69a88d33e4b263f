/**
 * An "agent" service built only on generated/: each session gets a UI view (ui.render) that a
 * pretend agent keeps updating (ui.patch) while it streams its turns (agent.event). The page at
 * / renders that view with the generated client running in the browser; out-examples/terminal-
 * client.ts prints the same stream in a terminal. Both can drop their connection and show the
 * resume: the messages emitted meanwhile are replayed, in order, none lost, none repeated.
 *
 *   npm run example                # then open the URL it prints
 *   npm run example:terminal       # in a second terminal
 *
 * Only a signed-in user may connect (A1): `POST /demo/login?name=<name>` sets a `user` cookie (a
 * demo: a real service would sign it), `authenticate` reads it, and each session belongs to its
 * user (A2). The page shows the refusal and a sign-in button; the terminal client sends the cookie.
 *
 * PORT (default 8787) and HOST (default 127.0.0.1) move it.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMemoryHistoryStore } from '../generated/runtime/server/history.js';
import { createAgentUiServer, type AgentUiContext } from '../generated/server.js';
import type { AgentEvent, HistoryChunk, UiNode } from '../generated/types.js';
import { createModuleServer, GENERATED_DIR } from './serve-generated.js';

const VIEW = 'main';
const CONVERSATION = 'demo';
const TOKEN_MS = 120; // the agent "types" a token this often

// What the agent says, turn after turn. A turn also calls a tool half way.
const ANSWERS = [
  'Every data message carries a seq, 1-based and gap-free, stamped by the one send path of the generated server.',
  'When the connection drops, the client resumes with its session, its token and the last seq it processed.',
  'The server replays exactly what came after that seq from its window, then goes on live: nothing lost, nothing twice.',
];

/** The view every session starts with; patches address it by JSON pointer. */
const initialView = (): UiNode => ({
  id: 'root',
  component: 'Column',
  children: [
    { id: 'title', component: 'Heading', props: { text: 'Agent run' } },
    { id: 'status', component: 'Text', props: { text: 'starting…' } },
    { id: 'progress', component: 'Progress', props: { value: 0, max: 100 } },
    { id: 'answer', component: 'Text', props: { text: '' } },
    { id: 'steps', component: 'List', children: [] },
    { id: 'pause', component: 'Button', props: { label: 'Pause agent' } },
  ],
});

// Where the agent patches the view (JSON pointers into initialView()).
const STATUS = '/children/1/props/text';
const PROGRESS = '/children/2/props/value';
const ANSWER = '/children/3/props/text';
const STEPS = '/children/4/children';
const PAUSE_LABEL = '/children/5/props/label';

interface Agent {
  pause(paused: boolean): void;
  /** Queues a question; returns the id of the turn that will answer it. */
  ask(text: string): string;
  stop(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The pretend agent of one session: turn after turn of data messages, until the session ends. */
function startAgent(ctx: AgentUiContext<string>, onError: (error: unknown) => void): Agent {
  let paused = false;
  let stopped = false;
  let question: string | undefined;
  let turn = 0;

  // Each emit validates the message, stamps its seq and keeps it for replay (Q3); awaiting it
  // surfaces a message the contract refuses.
  const event = (kind: AgentEvent['payload']['kind'], extra: Partial<AgentEvent['payload']> = {}) => ctx.emit.agentEvent({ conversation_id: CONVERSATION, turn_id: `turn-${turn}`, kind, ...extra });
  const patch = (path: string, value: unknown, op: 'add' | 'replace' = 'replace') => ctx.emit.uiPatch({ view_id: VIEW, ops: [{ op, path, value }] });

  const run = async (): Promise<void> => {
    await ctx.emit.uiRender({ view_id: VIEW, root: initialView() });
    while (!stopped) {
      turn++;
      const answer = (question ? `You asked: "${question}". ` : '') + ANSWERS[turn % ANSWERS.length]!;
      question = undefined;
      await event('status', { text: 'thinking' });
      await patch(STATUS, `turn ${turn}: thinking…`);
      await patch(ANSWER, '');
      await sleep(600);
      await patch(STATUS, `turn ${turn}: answering`);
      const tokens = answer.split(' ');
      for (let i = 1; i <= tokens.length && !stopped; i++) {
        while (paused && !stopped) await sleep(TOKEN_MS);
        if (i === Math.ceil(tokens.length / 2)) {
          await event('tool_call', { tool: 'search', data: { query: `turn ${turn}` } });
          await patch(`${STEPS}/-`, { id: `step-${turn}`, component: 'Item', props: { text: `turn ${turn}: called search` } }, 'add');
        }
        await event('text', { text: tokens[i - 1]! });
        await patch(ANSWER, tokens.slice(0, i).join(' '));
        await patch(PROGRESS, Math.round((100 * i) / tokens.length));
        await sleep(TOKEN_MS);
      }
      await event('turn_end');
      await patch(STATUS, `turn ${turn}: done`);
      await sleep(1500);
    }
  };
  run().catch(onError);

  return {
    pause(p) {
      paused = p;
      Promise.all([patch(PAUSE_LABEL, p ? 'Resume agent' : 'Pause agent'), patch(STATUS, `turn ${turn}: ${p ? 'paused' : 'answering'}`)]).catch(onError);
    },
    ask(text) {
      question = text;
      return `turn-${turn + 1}`;
    },
    stop() {
      stopped = true;
    },
  };
}

const agentOf = (ctx: AgentUiContext<string>): Agent | undefined => ctx.session.data.get('agent') as Agent | undefined;

export interface AgentService {
  readonly url: string;
  /** Simulates a network outage for every client: open connections are cut, new ones refused for `ms`. */
  outage(ms: number): void;
  close(): Promise<void>;
}

export async function startAgentService(options: { port?: number; host?: string } = {}): Promise<AgentService> {
  const history = createMemoryHistoryStore<HistoryChunk>();
  history.create(CONVERSATION);

  const agents = new Set<Agent>();
  const logError = (error: unknown): void => console.error('agent service:', error);
  const agentServer = createAgentUiServer({
    // A1: who may connect — whoever has the demo's `user` cookie; anyone else is told `unauthorized`.
    authenticate: (request) => {
      const user = userOf(request.headers.cookie);
      return user ? { principal: user } : { refuse: 'unauthorized', message: 'sign in first (POST /demo/login?name=…)' };
    },
    handlers: {
      onSessionStart(ctx) {
        const agent = startAgent(ctx, logError);
        agents.add(agent);
        ctx.session.data.set('agent', agent);
      },
      // C4: chat.send is answered by chat.accepted, the ids given to the message and to the turn that answers it.
      chatSend(message, ctx) {
        const stored = history.append(message.payload.conversation_id, { role: 'user', chunk: { kind: 'text', text: message.payload.text } });
        const turnId = agentOf(ctx)?.ask(message.payload.text) ?? 'turn-0';
        return { conversation_id: message.payload.conversation_id, message_id: `m-${stored.seq}`, turn_id: turnId };
      },
      uiAction(message, ctx) {
        if (message.payload.component_id !== 'pause') return;
        const paused = ctx.session.data.get('paused') !== true;
        ctx.session.data.set('paused', paused);
        agentOf(ctx)?.pause(paused);
      },
      onSessionEnd(session) {
        const agent = session.data.get('agent') as Agent | undefined;
        agent?.stop();
        if (agent) agents.delete(agent);
      },
      onError(error, where) {
        logError(`${where.type ?? 'request'} of session ${where.sessionId ?? '?'}: ${String(error)}`);
      },
    },
    history: { conversationHistory: history },
  });

  // The browser loads the generated client (and the page's own module) as native ES modules,
  // transpiled from .ts on request; the URL layout mirrors the repository's so the relative
  // imports (`../../generated/client.js`) resolve the same in the browser as in tsc.
  const generated = createModuleServer({ prefix: '/generated/', root: GENERATED_DIR });
  const web = createModuleServer({ prefix: '/out-examples/web/', root: fileURLToPath(new URL('./web/', import.meta.url)) });
  const page = () => readFile(new URL('./web/index.html', import.meta.url), 'utf8');

  // The outage switch: transport connections (WebSocket, SSE stream, poll) open now, and those
  // tried until `offlineUntil`, are destroyed — as when a network goes away for a moment.
  const transportSockets = new Set<Duplex>();
  let offlineUntil = 0;
  const admit = (socket: Duplex): boolean => {
    if (Date.now() < offlineUntil) return void socket.destroy(), false;
    if (!transportSockets.has(socket)) {
      transportSockets.add(socket); // a keep-alive socket may carry many polls
      socket.once('close', () => transportSockets.delete(socket));
    }
    return true;
  };
  const isTransport = (path: string): boolean => path === '/events' || path === '/poll';

  const server = http.createServer((req, res) => {
    const { pathname, searchParams } = new URL(req.url ?? '/', 'http://localhost');
    if (generated(req, res) || web(req, res)) return;
    if (pathname === '/') {
      page().then((html) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }).end(html));
      return;
    }
    if (pathname === '/demo/login' && req.method === 'POST') {
      const name = (searchParams.get('name') ?? '').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32) || 'guest';
      return void res.writeHead(204, { 'set-cookie': `user=${name}; Path=/; HttpOnly; SameSite=Lax` }).end();
    }
    if (pathname === '/demo/logout' && req.method === 'POST') {
      return void res.writeHead(204, { 'set-cookie': 'user=; Path=/; Max-Age=0' }).end();
    }
    if (pathname === '/demo/outage' && req.method === 'POST') {
      // Answer first: this request may share a keep-alive socket with a poll that the outage cuts.
      res.on('finish', () => setTimeout(() => service.outage(Number(searchParams.get('ms') ?? 3000)), 20));
      return void res.writeHead(204, { connection: 'close' }).end();
    }
    if (isTransport(pathname) && !admit(req.socket)) return;
    if (!agentServer.handleRequest(req, res)) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (admit(socket) && !agentServer.handleUpgrade(req, socket, head)) socket.destroy();
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 8787, options.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  const service: AgentService = {
    url: `http://${address.address}:${address.port}`,
    outage(ms) {
      offlineUntil = Date.now() + Math.min(Math.max(ms, 0), 60_000);
      for (const socket of transportSockets) socket.destroy();
      transportSockets.clear();
    },
    async close() {
      for (const agent of agents) agent.stop();
      agentServer.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return service;
}

/** The demo's user: the `user` cookie (unsigned: a real service verifies its session cookie here). */
function userOf(cookie: string | undefined): string | undefined {
  const value = /(?:^|;\s*)user=([A-Za-z0-9_-]{1,32})(?:;|$)/.exec(cookie ?? '')?.[1];
  return value || undefined;
}

// `tsx out-examples/agent-service.ts` starts it; importing this file does not.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const service = await startAgentService({ port: Number(process.env.PORT ?? 8787), host: process.env.HOST ?? '127.0.0.1' });
  console.log(`agent service on ${service.url}`);
  console.log(`  open ${service.url}/ in a browser (add ?transport=sse or ?transport=poll to pick a transport)`);
  console.log(`  terminal client: npm run example:terminal -- --url=${service.url}`);
  const stop = (): void => void service.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
