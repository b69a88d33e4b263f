/**
 * Property-based fuzzing (fast-check) of the HTTP entry points — `attach`, `handleRequest` and
 * `handleUpgrade` as Express, Fastify and node:http mount them — over real sockets: random bytes,
 * random but well-framed requests to the contract's paths with hostile query strings, headers and
 * bodies, random WebSocket frames, random POST bodies with a real token. The properties (L1):
 * every request is answered or closed, never thrown; every frame the server sends is one the
 * contract defines; a WebSocket is closed only with a code of the protocol; the host keeps
 * serving its own routes and a well-behaved session keeps getting its messages.
 * Seed and run count: settings.ts.
 */
import fc from 'fast-check';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contract } from '../../../generated/contract.js';
import { createAgentUiServer } from '../../../generated/server.js';
import type { HistoryChunk } from '../../../generated/types.js';
import { validateServerMessage } from '../../../generated/validators.js';
import { createMemoryHistoryStore } from '../../../runtime/server/history.js';
import { chatSend, cleanup, isData, keepAcrossTests, openSession, seqsOf, target, type OpenSession, type Target } from '../helpers.js';
import { HOSTS, mountIn } from '../hosts.js';
import { httpPost, rawRequest } from '../hostile/harness.js';
import { NETWORK } from './settings.js';
import { accepted } from '../../support/accepted.js';

/** Close codes the protocol and RFC 6455 use for a client at fault, an overload or a shutdown (never 1011: an internal error). */
const CLOSE_CODES = new Set([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1013, 4000, 4001, 4002, 4003, 4004, 4005, 4006]);

const PATHS = ['/ws', '/events', '/poll', '/messages', '/conversations/c-1', '/conversations/', '/health', '/'];
const NAMES = ['session_id', 'cursor', 'versions', 'resume_token', 'last_seen_seq', 'max_bytes', 'resume', 'sinceSeq', 'beforeSeq', 'limit'];
const hostileValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom('', '0', '-1', '1e3', '0x1', '9007199254740993', '1.1,1.0', '%', '%00', '[', '../..', 'AAAAAAAAAAAAAAAAAAAAAA'),
  fc.string({ unit: 'binary', maxLength: 600 }),
);
const query = fc.oneof(
  fc.webQueryParameters(),
  fc.array(fc.tuple(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 10 })), hostileValue), { maxLength: 6 }).map((pairs) => new URLSearchParams(pairs).toString()),
);
/** Header values as Node would let them through (no CR, LF or NUL; it refuses those itself). */
const headerValue = fc.string({ unit: 'binary-ascii', maxLength: 200 }).map((v) => v.replace(/[\r\n\0]/g, ''));
const request = fc.record({
  method: fc.oneof(fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'), fc.stringMatching(/^[A-Z]{1,10}$/)),
  path: fc.oneof(fc.constantFrom(...PATHS), fc.webPath(), fc.constantFrom(...PATHS).chain((p) => fc.webPath().map((s) => p + s))),
  query,
  headers: fc.dictionary(fc.constantFrom('authorization', 'last-event-id', 'content-type', 'accept', 'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'x-forwarded-for'), headerValue, { maxKeys: 4 }),
  body: fc.oneof(fc.constant(''), fc.string({ unit: 'binary', maxLength: 500 }), fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? '')),
});

function wire(r: { method: string; path: string; query: string; headers: Record<string, string>; body: string }): Buffer {
  const body = Buffer.from(r.body);
  const headers = { ...r.headers, host: '127.0.0.1', connection: 'close', 'content-length': String(body.length) };
  const head = `${r.method} ${r.path}${r.query ? `?${r.query}` : ''} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** Every frame in an answer — an SSE event or a JSON `frames` list — is one the contract defines. */
function framesOf(body: string): unknown[] {
  const out: unknown[] = [];
  for (const m of body.matchAll(/^data: (.*)$/gm)) out.push(JSON.parse(m[1]!));
  try {
    const json = JSON.parse(body) as { frames?: unknown[] };
    if (Array.isArray(json?.frames)) out.push(...json.frames);
  } catch {
    /* not a JSON body */
  }
  return out;
}

describe.each(HOSTS)('the contract server mounted in %s, fuzzed over sockets', (host) => {
  let t: Target;
  let port: number;
  let bystander: OpenSession;
  let closeAll: () => Promise<void>;

  beforeAll(async () => {
    const history = createMemoryHistoryStore<HistoryChunk>();
    for (let i = 0; i < 5; i++) history.append('c-1', { role: 'user', turn_id: 't', chunk: { kind: 'text', text: `m${i}` } });
    const server = createAgentUiServer({
      handlers: {
        // One data message per chat.send: its reply, chat.accepted (C4).
        chatSend: accepted,
        uiAction() {},
      },
      history: { conversationHistory: history },
    });
    port = await mountIn[host](server);
    t = target(port, contract);
    bystander = await openSession(t, 'websocket');
    closeAll = keepAcrossTests();
    closeAll = ((close) => async () => {
      await close();
      server.close();
    })(closeAll);
  });
  afterAll(async () => {
    await cleanup();
    await closeAll();
  });

  /** The host still answers its own route, and the well-behaved session gets its next message. */
  async function alive(): Promise<void> {
    const health = await rawRequest(port, `GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(health.status).toBe(200);
    const before = bystander.ch.log.filter(isData).length;
    await bystander.ch.send(chatSend(bystander.sessionId, 1));
    expect(seqsOf(await bystander.ch.data(1))).toEqual([before + 1]);
  }

  it('random bytes: answered or closed, never thrown', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2000 }), async (bytes) => {
        await rawRequest(port, Buffer.from(bytes), 300);
        await alive();
      }),
      NETWORK,
    );
  });

  it('well-framed requests with hostile targets, queries, headers and bodies: a status, and only frames of the contract', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const answer = await rawRequest(port, wire(r), 2000, (text) => /\r\n\r\n[\s\S]*data: .*\n\n/.test(text));
        if (answer.status !== undefined) {
          expect(answer.status).toBeGreaterThanOrEqual(101);
          expect(answer.status).toBeLessThan(600);
          expect(answer.status, `${r.method} ${r.path}?${r.query.slice(0, 80)}`).not.toBe(500);
          for (const f of framesOf(answer.body.replace(/^[0-9a-f]+\r\n/gm, ''))) expect(validateServerMessage(f).ok, JSON.stringify(f).slice(0, 200)).toBe(true);
        }
        await alive();
      }),
      NETWORK,
    );
  });

  it('random WebSocket frames on a live session: typed errors or a protocol close code, never 1011', async () => {
    const frame = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
      fc.record({ type: fc.constantFrom('chat.send', 'ui.action', 'protocol.ack', 'protocol.resume', 'x'), header: fc.dictionary(fc.constantFrom('session_id', 'ack', 'request_id'), fc.jsonValue({ maxDepth: 1 })), payload: fc.jsonValue({ maxDepth: 2 }) }).map((v) => JSON.stringify(v)),
      fc.uint8Array({ maxLength: 50 }).map((b) => Buffer.from(b)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 5 }), fc.boolean(), async (frames, resuming) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${resuming ? `?session_id=${bystander.sessionId}` : ''}`);
        const received: string[] = [];
        const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
        ws.on('message', (d) => received.push(d.toString()));
        ws.on('error', () => undefined);
        await new Promise<void>((resolve) => ws.once('open', () => resolve()));
        for (const f of frames) ws.send(f);
        const code = await Promise.race([closed, new Promise<undefined>((r) => setTimeout(r, 150))]);
        if (code !== undefined) expect(CLOSE_CODES.has(code), `closed with ${code}`).toBe(true);
        for (const text of received) expect(validateServerMessage(JSON.parse(text)).ok, text.slice(0, 200)).toBe(true);
        ws.terminate();
        await alive();
      }),
      NETWORK,
    );
  });

  it('random POST bodies with a real token: a status of the contract, one small typed frame per refusal', async () => {
    const poller = await openSession(t, 'poll');
    const mutatedFrame = fc.record({ type: fc.constantFrom('chat.send', 'ui.action', 'protocol.ack', 'nope'), header: fc.record({ session_id: fc.oneof(fc.constant(poller.sessionId), fc.string({ maxLength: 30 })) }), payload: fc.jsonValue({ maxDepth: 2 }) });
    const body = fc.oneof(fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? ''), fc.array(mutatedFrame, { maxLength: 20 }).map((v) => JSON.stringify(v)), fc.string({ unit: 'binary', maxLength: 300 }));
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (text, named) => {
        const path = named ? `/messages?session_id=${poller.sessionId}` : '/messages';
        const answer = await rawRequest(port, httpPost(path, text, { "resume-token": poller.token }));
        expect([202, 400, 401, 404, 410, 413, 429]).toContain(answer.status);
        const frames = (JSON.parse(answer.body) as { frames: unknown[] }).frames;
        expect(frames.length).toBeLessThanOrEqual(contract.limits.maxErrorFrames + 1);
        for (const f of frames) expect(validateServerMessage(f).ok, JSON.stringify(f).slice(0, 200)).toBe(true);
        expect(answer.body.length).toBeLessThan(8192);
      }),
      NETWORK,
    );
    await alive();
  });
});
