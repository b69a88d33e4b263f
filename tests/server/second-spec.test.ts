/**
 * A second, smaller contract (tests/fixtures/specs/chat-mini.schema.json: its own name, only the
 * kernel frames plus note.add / note.added, WebSocket only, no history) built with the compiled
 * CLI into tests/.generated/chat-mini: the output type-checks under strict settings, its typed
 * surface is named after the contract (a misuse is a compile error), and it runs over a real
 * WebSocket with the contract's own parameters.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildWithCli, repoRoot, typecheckFolder } from '../helpers.js';
import { chatSend, cleanup, connectWs, resumeChannel, seqsOf, serve, target, type Frame, type Mountable, type Target } from './helpers.js';

const specRel = 'tests/fixtures/specs/chat-mini.schema.json';
const outRel = 'tests/.generated/chat-mini';
const outDir = join(repoRoot, outRel);

/** Correct use of the generated surface: must compile. */
const USAGE_OK = `import { createServer } from 'node:http';
import { createChatMiniClient, type ChatMiniClient } from './client.js';
import { createChatMiniServer, type ChatMiniContext, type ChatMiniHandlers, type ChatMiniServer } from './server.js';
import type { NoteAdd, NoteAdded } from './types.js';

const handlers: ChatMiniHandlers = {
  noteAdd(message: NoteAdd, ctx: ChatMiniContext): void {
    const payload: NoteAdded['payload'] = { note_id: ctx.session.latestSeq + 1, text: message.payload.text };
    const seq: Promise<number> = ctx.emit.noteAdded(payload);
    ctx.session.data.set('last', seq);
  },
  onSessionStart(ctx) {
    ctx.emit.noteAdded({ note_id: 1, text: 'welcome' });
  },
};

export function start(): ChatMiniServer {
  const server = createChatMiniServer({ handlers, basePath: '/v1' });
  server.attach(createServer());
  void server.emitTo('s-1').noteAdded({ note_id: 2, text: 'pushed' });
  return server;
}

export function connect(): ChatMiniClient {
  const client = createChatMiniClient({ url: 'http://127.0.0.1:1', transport: 'websocket', versions: ['1.0'] });
  const off: () => void = client.on.noteAdded((m: NoteAdded) => void m.payload.note_id);
  off();
  client.on.protocolHello((m) => void m.payload.session_id);
  const sent: Promise<void> = client.send.noteAdd({ text: 'hello' }, { requestId: 'r-1' });
  void sent;
  return client;
}
`;

/** Misuse: every line after a @ts-expect-error must be a compile error (else tsc reports TS2578). */
const USAGE_MISUSE = `import { createChatMiniClient } from './client.js';
import { createChatMiniServer, type ChatMiniHandlers } from './server.js';
import type { NoteAdded } from './types.js';

// @ts-expect-error noteAdd is required
export const missing: ChatMiniHandlers = {};

export const wrong: ChatMiniHandlers = {
  noteAdd(message, ctx) {
    // @ts-expect-error note_id is a number
    ctx.emit.noteAdded({ note_id: 'one', text: message.payload.text });
    // @ts-expect-error text is required
    ctx.emit.noteAdded({ note_id: 1 });
    // @ts-expect-error agent-ui's messages are not part of this contract
    ctx.emit.agentEvent({});
    // @ts-expect-error note.add carries text, not body
    void message.payload.body;
  },
  // @ts-expect-error chatSend is not a message of this contract
  chatSend() {},
};

// @ts-expect-error this contract has no history endpoints
createChatMiniServer({ handlers: wrong, history: {} });
// @ts-expect-error the spec does not extend the hello (no HelloApp)
createChatMiniServer({ handlers: wrong, helloApp: () => ({ region: 'eu' }) });
// @ts-expect-error the spec has no x-contract.conformance block
createChatMiniServer({ handlers: wrong, conformance: true });
// @ts-expect-error handlers are required
createChatMiniServer({ basePath: '/v1' });

export const badSignature: ChatMiniHandlers = {
  // @ts-expect-error a handler takes its own message, not another type
  noteAdd(message: NoteAdded) {
    void message;
  },
};

export function misuseTheServer(server: ReturnType<typeof createChatMiniServer>): void {
  // @ts-expect-error note.add is a client message: the server cannot emit it
  void server.emitTo('s-1').noteAdd({ text: 'x' });
  // @ts-expect-error the payload of note.added has no body
  void server.emitTo('s-1').noteAdded({ note_id: 1, text: 'x', body: 'y' });
}

export function misuseTheClient(): void {
  // @ts-expect-error this contract has no SSE transport
  createChatMiniClient({ url: 'http://x', transport: 'sse' });
  // @ts-expect-error this contract speaks only 1.0
  createChatMiniClient({ url: 'http://x', versions: ['1.1'] });
  const client = createChatMiniClient({ url: 'http://x' });
  // @ts-expect-error text is a string
  void client.send.noteAdd({ text: 1 });
  // @ts-expect-error note.added is a server message: the client cannot send it
  void client.send.noteAdded({ note_id: 1, text: 'x' });
  // @ts-expect-error protocol.resume is the runtime's, not the application's
  void client.send.protocolResume({ resume_token: 't', last_seen_seq: 0 });
  // @ts-expect-error agent-ui's messages are not part of this contract
  void client.send.chatSend({});
  // @ts-expect-error note.add is a client message: there is nothing to listen to
  client.on.noteAdd(() => undefined);
  // @ts-expect-error a note.added handler gets a NoteAdded, which has no body
  client.on.noteAdded((m) => void m.payload.body);
  // @ts-expect-error this contract has no history endpoints
  void client.history.conversationHistory;
}
`;


interface ChatMiniModule {
  createChatMiniServer(options: {
    handlers: { noteAdd(message: Frame, ctx: { emit: { noteAdded(p: object): Promise<number> } }): void };
  }): Mountable;
  [name: string]: unknown;
}

let mod: ChatMiniModule;
let contract: Target['contract'];

beforeAll(async () => {
  const built = await buildWithCli(specRel, outRel, { 'usage-ok.ts': USAGE_OK, 'usage-misuse.ts': USAGE_MISUSE });
  expect(built.stderr).toBe('');
  expect(built.code).toBe(0);
  mod = (await import(pathToFileURL(join(outDir, 'server.ts')).href)) as ChatMiniModule;
  contract = ((await import(pathToFileURL(join(outDir, 'contract.ts')).href)) as { contract: Target['contract'] }).contract;
}, 60_000);

afterEach(cleanup);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('chat-mini: a second contract built by the CLI', () => {
  it('type-checks (strict) with correct use compiling and every misuse rejected', async () => {
    const r = await typecheckFolder(outDir);
    expect(r.stdout).toBe('');
    expect(r.code).toBe(0);
  });

  it('exports a server named after the contract, and nothing of agent-ui', () => {
    expect(typeof mod.createChatMiniServer).toBe('function');
    expect(Object.keys(mod).filter((k) => typeof mod[k] === 'function')).toEqual(['createChatMiniServer']);
    expect(contract.name).toBe('chat-mini');
    expect(Object.keys(contract.transports)).toEqual(['websocket']);
    expect(contract.history).toEqual({});
  });

  it('runs over a real WebSocket with its own parameters', async () => {
    let notes = 0;
    const app = mod.createChatMiniServer({
      handlers: {
        noteAdd(message, ctx) {
          ctx.emit.noteAdded({ note_id: ++notes, text: message.payload.text });
        },
      },
    });
    const { port } = await serve(app);
    const t = target(port, contract);

    const ch = await connectWs(t, '?versions=1.0');
    const hello = await ch.next('protocol.hello');
    expect(hello.payload).toMatchObject({
      protocol_version: '1.0',
      latest_seq: 0,
      replay_window: { max_messages: 50, max_bytes: 65536 },
      heartbeat_ms: 10000,
      session_ttl_ms: 30000,
      max_frame_bytes: 4096,
      transports: ['websocket'],
      capabilities: ['resume'],
    });
    const id = hello.payload.session_id as string;
    await ch.send({ type: 'note.add', header: { session_id: id }, payload: { text: 'buy milk' } });
    const [added] = await ch.data(1);
    expect(added).toEqual({ type: 'note.added', header: { session_id: id, seq: 1 }, payload: { note_id: 1, text: 'buy milk' } });

    await ch.send({ type: 'note.add', header: { session_id: id, request_id: 'n-2' }, payload: { text: '' } });
    expect((await ch.next('protocol.error')).payload).toMatchObject({ code: 'invalid_message', path: '/payload/text', request_id: 'n-2' });
    await ch.send(chatSend(id)); // agent-ui's message: unknown here
    expect((await ch.next('protocol.error')).payload).toMatchObject({ code: 'unknown_type', path: '/type' });
    await ch.send({ type: 'note.add', header: { session_id: id }, payload: { text: 'x'.repeat(5000) } });
    expect((await ch.next('protocol.error')).payload.code).toBe('frame_too_large');

    ch.drop();
    const again = await resumeChannel(t, 'websocket', { sessionId: id, token: hello.payload.resume_token, lastSeenSeq: 0, versions: '1.0' });
    await again.next('protocol.hello');
    expect((await again.next('protocol.resumed')).payload).toEqual({ from_seq: 1, latest_seq: 1, acked: 0 });
    expect(seqsOf(await again.data(1))).toEqual([1]);

    const refused = await connectWs(t, '?versions=1.1');
    expect((await refused.next('protocol.error')).payload).toMatchObject({ code: 'unsupported_version', supported_versions: ['1.0'] });
    expect((await refused.ended).code).toBe(4004);
    // No SSE, poll or history here.
    for (const path of ['/events', '/poll', '/messages', '/conversations/c-1']) expect((await fetch(`${t.origin}${path}`)).status, path).toBe(404);
  });
});
