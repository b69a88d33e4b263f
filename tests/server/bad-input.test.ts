/**
 * Bad input, one case per test, each on a server with live sessions over all three transports.
 * After every case the offending session (when its connection survives) and every bystander
 * session must still get their next message, and no session may have lost or repeated one: a bad
 * frame is answered with a typed error on its own channel and harms nobody else.
 */
import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { contract as canonical } from '../../generated/contract.js';
import { createAgentUiServer } from '../../generated/server.js';
import type { ContractDescriptor } from '../../runtime/contract.js';
import { createMemoryHistoryStore } from '../../runtime/server/history.js';
import { createServerCore, type ClientFrame } from '../../runtime/server/server-core.js';
import { createWebSocketTransport } from '../../runtime/server/transports/websocket.js';
import { validateProtocolError } from '../../generated/validators.js';
import { protocolWith } from '../support/contract.js';
import {
  chatSend,
  cleanup,
  closeHttp,
  connectSse,
  connectWs,
  contractWith,
  FAKE_SESSION_ID,
  FAKE_TOKEN,
  isData,
  KINDS,
  listen,
  onCleanup,
  openSession,
  pollOnce,
  postMessages,
  range,
  resumeChannel,
  seqsOf,
  serve,
  sleep,
  startServer,
  target,
  waitFor,
  type Frame,
  type OpenSession,
  type ServerSetup,
  type TestServer,
  type WsChannel,
} from './helpers.js';
import { accepted } from '../support/accepted.js';

afterEach(cleanup);

interface Scene {
  readonly server: TestServer;
  /** The session the bad input is sent on (WebSocket). */
  readonly victim: OpenSession & { ch: WsChannel };
  /** One live session per transport that did nothing wrong. */
  readonly bystanders: readonly OpenSession[];
  /**
   * Every session that is still connected gets its next message (sent through its own channel
   * and answered by the handler), and its data so far is exactly 1..latest.
   */
  healthy(options?: { victim?: boolean }): Promise<void>;
}

async function scene(setup: ServerSetup = {}): Promise<Scene> {
  const server = await startServer(setup);
  const victim = (await openSession(server, 'websocket')) as OpenSession & { ch: WsChannel };
  const bystanders = await Promise.all(KINDS.map((k) => openSession(server, k)));
  for (const s of [victim, ...bystanders]) {
    server.emit(s.sessionId, 2);
    await s.ch.data(2);
  }
  return {
    server,
    victim,
    bystanders,
    async healthy(options = {}) {
      const all = options.victim === false ? bystanders : [victim, ...bystanders];
      for (const s of all) {
        const before = server.latestSeq(s.sessionId);
        await s.ch.send(chatSend(s.sessionId, 1), s.token);
        expect(seqsOf(await s.ch.data(1))).toEqual([before + 1]);
        expect(seqsOf(s.ch.log.filter(isData))).toEqual(range(1, before + 1));
      }
    },
  };
}

/** The error the victim got for its bad frame, checked against the contract. */
async function errorOn(ch: WsChannel): Promise<Frame> {
  const f = await ch.next('protocol.error');
  expect(validateProtocolError(f).ok).toBe(true);
  return f;
}

describe('bad input over WebSocket', () => {
  it('malformed JSON → malformed_frame', async () => {
    const sc = await scene();
    await sc.victim.ch.send('{"type": "chat.send", "header": ');
    expect((await errorOn(sc.victim.ch)).payload).toMatchObject({ code: 'malformed_frame' });
    await sc.healthy();
  });

  it('JSON that is not a frame (an array, a number) → malformed_frame', async () => {
    const sc = await scene();
    await sc.victim.ch.send('[1,2]');
    expect((await errorOn(sc.victim.ch)).payload.code).toBe('malformed_frame');
    await sc.victim.ch.send('42');
    expect((await errorOn(sc.victim.ch)).payload.code).toBe('malformed_frame');
    await sc.healthy();
  });

  it('an unknown message type → unknown_type at /type', async () => {
    const sc = await scene();
    await sc.victim.ch.send({ type: 'chat.delete', header: { session_id: sc.victim.sessionId, request_id: 'r-1' }, payload: {} });
    const f = await errorOn(sc.victim.ch);
    expect(f.payload).toMatchObject({ code: 'unknown_type', path: '/type', request_id: 'r-1' });
    expect(f.payload.message).toContain('chat.delete');
    await sc.healthy();
  });

  it.each([
    ['a wrong type', { view_id: 'main', component_id: 5, action: 'click' }, '/payload/component_id'],
    ['a missing field', { view_id: 'main', action: 'click' }, '/payload/component_id'],
    ['a field the schema does not allow', { view_id: 'main', component_id: 'ok', action: 'click', color: 'red' }, '/payload/color'],
    ['a value outside the enum', { view_id: 'main', component_id: 'ok', action: 'explode' }, '/payload/action'],
  ])('a schema-invalid message (%s) → invalid_message whose path names the field', async (_name, payload, path) => {
    const sc = await scene();
    await sc.victim.ch.send({ type: 'ui.action', header: { session_id: sc.victim.sessionId, request_id: 'a-17' }, payload });
    const f = await errorOn(sc.victim.ch);
    expect(f.payload).toMatchObject({ code: 'invalid_message', path, request_id: 'a-17' });
    expect(f.payload.message).toContain(path);
    await sleep(20);
    expect(sc.server.handled).toEqual([]);
    await sc.healthy();
  });

  it('a frame over maxFrameBytes → frame_too_large, and the connection stays', async () => {
    const sc = await scene();
    const big = chatSend(sc.victim.sessionId) as { payload: { text: string } };
    big.payload.text = 'x'.repeat(canonical.maxFrameBytes + 10);
    await sc.victim.ch.send(big);
    const f = await errorOn(sc.victim.ch);
    expect(f.payload.code).toBe('frame_too_large');
    expect(f.payload.message).toContain(String(canonical.maxFrameBytes));
    await sc.healthy();
  });

  it('a frame far over the limit closes that connection (1009); its session resumes intact', async () => {
    const sc = await scene();
    sc.victim.ch.ws.send('x'.repeat(canonical.maxFrameBytes * 4 + 1));
    expect((await sc.victim.ch.ended).code).toBe(1009);
    await sc.healthy({ victim: false });
    const again = await resumeChannel(sc.server, 'websocket', { sessionId: sc.victim.sessionId, token: sc.victim.token, lastSeenSeq: 2 });
    await again.next('protocol.hello');
    expect((await again.next('protocol.resumed')).payload).toEqual({ from_seq: 3, latest_seq: 2, acked: 0 });
    await again.send(chatSend(sc.victim.sessionId, 1));
    expect(seqsOf(await again.data(1))).toEqual([3]);
  });

  it('a binary frame → malformed_frame', async () => {
    const sc = await scene();
    sc.victim.ch.sendBinary(Buffer.from(JSON.stringify(chatSend(sc.victim.sessionId))));
    expect((await errorOn(sc.victim.ch)).payload).toMatchObject({ code: 'malformed_frame', message: expect.stringMatching(/binary/) });
    await sleep(20);
    expect(sc.server.handled).toEqual([]);
    await sc.healthy();
  });

  it('a missing session → session_required', async () => {
    const sc = await scene();
    await sc.victim.ch.send(chatSend(undefined));
    expect((await errorOn(sc.victim.ch)).payload).toMatchObject({ code: 'session_required', path: '/header/session_id' });
    await sc.healthy();
  });

  it('an unknown session → unknown_session; a bystander\'s session id → unknown_session too', async () => {
    const sc = await scene();
    await sc.victim.ch.send(chatSend(FAKE_SESSION_ID));
    expect((await errorOn(sc.victim.ch)).payload.code).toBe('unknown_session');
    await sc.victim.ch.send(chatSend(sc.bystanders[0]!.sessionId, 3));
    expect((await errorOn(sc.victim.ch)).payload.code).toBe('unknown_session');
    await sleep(20);
    expect(sc.server.handled).toEqual([]);
    await sc.healthy();
  });

  it('a protocol.resume with a bad token on a live connection → resume_failed unknown_session, the connection stays', async () => {
    const sc = await scene();
    await sc.victim.ch.send({ type: 'protocol.resume', header: { session_id: sc.victim.sessionId }, payload: { resume_token: FAKE_TOKEN, last_seen_seq: 0 } });
    const f = await sc.victim.ch.next('protocol.resume_failed');
    expect(f.payload.reason).toBe('unknown_session');
    await sc.healthy();
  });

  it('a first frame that is not protocol.resume on a resuming connection → refused and closed (4000)', async () => {
    const sc = await scene();
    const ch = await connectWs(sc.server, `?session_id=${sc.victim.sessionId}`);
    await ch.send(chatSend(sc.victim.sessionId, 5));
    expect((await ch.next('protocol.error')).payload.code).toBe('session_required');
    expect((await ch.ended).code).toBe(4000);
    await sc.healthy();
  });

  it('a handler that throws → handler_failed; the session and the server carry on', async () => {
    const sc = await scene();
    await sc.victim.ch.send(chatSend(sc.victim.sessionId, 'throw'));
    const f = await errorOn(sc.victim.ch);
    expect(f).toMatchObject({ header: { session_id: sc.victim.sessionId }, payload: { code: 'handler_failed' } });
    expect(sc.server.errors).toHaveLength(1);
    expect(String(sc.server.errors[0])).toContain('exploded');
    await sc.healthy();
  });

  it('an onError hook that throws changes nothing: handler_failed is sent and the session goes on', async () => {
    const sc = await scene({
      handlers: {
        onError() {
          throw new Error('the error hook broke too');
        },
      },
    });
    await sc.victim.ch.send(chatSend(sc.victim.sessionId, 'throw'));
    expect((await errorOn(sc.victim.ch)).payload.code).toBe('handler_failed');
    await sc.healthy();
  });

  it('a protocol.resume with a malformed cursor on a resuming connection → invalid_message at the field, closed (4000)', async () => {
    const sc = await scene();
    const ch = await connectWs(sc.server, `?session_id=${sc.victim.sessionId}`);
    await ch.send({ type: 'protocol.resume', header: { session_id: sc.victim.sessionId }, payload: { resume_token: sc.victim.token, last_seen_seq: -1 } });
    expect((await ch.next('protocol.error')).payload).toMatchObject({ code: 'invalid_message', path: '/payload/last_seen_seq' });
    expect((await ch.ended).code).toBe(4000);
    expect(sc.server.transportOf(sc.victim.sessionId)).toBe('websocket'); // the refused connection took nothing over
    await sc.healthy();
  });

  it('a handler that rejects asynchronously → handler_failed, and later messages of the session still run in order', async () => {
    const order: string[] = [];
    const sc = await scene({
      handlers: {
        async chatSend(message, ctx) {
          order.push(message.payload.text);
          await sleep(10);
          if (message.payload.text === 'boom') throw new Error('async failure');
          ctx.emit.agentEvent({ conversation_id: 'c-1', turn_id: 't', kind: 'text', text: message.payload.text });
          return accepted(message);
        },
      },
    });
    const id = sc.victim.sessionId;
    for (const text of ['a', 'boom', 'b']) await sc.victim.ch.send({ type: 'chat.send', header: { session_id: id }, payload: { conversation_id: 'c-1', text } });
    // Each handled frame: its agent.event, then its reply chat.accepted (C4); the failed one only its error.
    const got = [];
    for (let i = 0; i < 5; i++) got.push(await sc.victim.ch.next());
    expect(got.map((f) => f.payload.text ?? f.payload.code ?? f.type)).toEqual(['a', 'chat.accepted', 'handler_failed', 'b', 'chat.accepted']);
    expect(seqsOf(got.filter(isData))).toEqual([3, 4, 5, 6]);
    expect(order).toEqual(['a', 'boom', 'b']);
  });
});

describe('bad input over HTTP', () => {
  it('POST malformed JSON → 400 malformed_frame', async () => {
    const sc = await scene();
    const s = sc.bystanders[1]!;
    const r = await postMessages(sc.server, '{"type":', s.token);
    expect(r.status).toBe(400);
    expect(r.body!.frames[0]!.payload.code).toBe('malformed_frame');
    await sc.healthy();
  });

  it('POST an unknown type and a schema-invalid message → 400 with the path of the wrong field', async () => {
    const sc = await scene();
    const s = sc.bystanders[2]!;
    const r = await postMessages(
      sc.server,
      [
        { type: 'nope.nope', header: { session_id: s.sessionId }, payload: {} },
        { type: 'chat.send', header: { session_id: s.sessionId, request_id: 'q-1' }, payload: { conversation_id: 'has spaces', text: 'hi' } },
        chatSend(s.sessionId, 1),
      ],
      s.token,
    );
    expect(r.status).toBe(400);
    expect(r.body!.accepted).toBe(1);
    expect(r.body!.frames.map((f) => [f.payload.code, f.payload.path])).toEqual([
      ['unknown_type', '/type'],
      ['invalid_message', '/payload/conversation_id'],
    ]);
    expect(r.body!.frames[1]!.payload.request_id).toBe('q-1');
    expect(seqsOf(await s.ch.data(1))).toEqual([3]); // the valid frame of the batch was handled
    await sc.healthy();
  });

  it('POST a frame over maxFrameBytes → 413 frame_too_large; a body over the batch limit → 413 too', async () => {
    const sc = await scene();
    const s = sc.bystanders[1]!;
    const big = chatSend(s.sessionId) as { payload: { text: string } };
    big.payload.text = 'x'.repeat(canonical.maxFrameBytes);
    const one = await postMessages(sc.server, big, s.token);
    expect(one.status).toBe(413);
    expect(one.body!.frames[0]!.payload.code).toBe('frame_too_large');
    const huge = await postMessages(sc.server, 'x'.repeat(canonical.maxFrameBytes * 16 + 1), s.token);
    expect(huge.status).toBe(413);
    expect(huge.body!.frames[0]!.payload.code).toBe('frame_too_large');
    await sc.healthy();
  });

  it('POST with a bad token → 404 unknown_session, like an unknown id', async () => {
    const sc = await scene();
    const s = sc.bystanders[1]!;
    const bad = await postMessages(sc.server, chatSend(s.sessionId, 3), FAKE_TOKEN);
    expect(bad.status).toBe(404);
    expect(bad.body!.frames[0]!.payload.code).toBe('unknown_session');
    expect(await postMessages(sc.server, chatSend(FAKE_SESSION_ID, 3), FAKE_TOKEN)).toEqual(bad);
    await sleep(20);
    expect(sc.server.handled).toEqual([]);
    await sc.healthy();
  });

  it.each(['sse', 'poll'] as const)('a POSTed message whose handler throws → handler_failed on the %s stream; the session goes on', async (kind) => {
    const sc = await scene();
    const s = sc.bystanders.find((b) => b.ch.kind === kind)!;
    const r = await postMessages(sc.server, chatSend(s.sessionId, 'throw'), s.token);
    expect(r.status).toBe(202); // accepted: the handler runs after the answer
    const f = await s.ch.next('protocol.error');
    expect(f).toMatchObject({ header: { session_id: s.sessionId }, payload: { code: 'handler_failed' } });
    await sc.healthy();
  });

  it('POST protocol.resume → 400 invalid_message (a resume is made on connect)', async () => {
    const sc = await scene();
    const s = sc.bystanders[2]!;
    const r = await postMessages(sc.server, { type: 'protocol.resume', header: { session_id: s.sessionId }, payload: { resume_token: s.token, last_seen_seq: 0 } }, s.token);
    expect(r.status).toBe(400);
    expect(r.body!.frames[0]!.payload.code).toBe('invalid_message');
    await sc.healthy();
  });

  it.each([
    ['last_seen_seq=abc', 'abc', undefined],
    ['last_seen_seq=-1', '-1', undefined],
    ['last_seen_seq=1.5', '1.5', undefined],
    ['Last-Event-ID: x', '0', 'x'],
  ])('SSE resume with %s → the typed error as the only event, status 200', async (_name, cursor, lastEventId) => {
    const sc = await scene();
    const s = sc.bystanders[1]!;
    const ch = await connectSse(sc.server, `?session_id=${s.sessionId}&resume_token=${s.token}&last_seen_seq=${cursor}`, lastEventId ? { 'last-event-id': lastEventId } : {});
    expect(ch.status).toBe(200);
    const f = await ch.next('protocol.error');
    expect(validateProtocolError(f).ok).toBe(true);
    expect(f.payload).toMatchObject({ code: 'invalid_message', path: '/last_seen_seq' });
    await ch.ended;
    expect(ch.log).toHaveLength(1);
    expect(sc.server.transportOf(s.sessionId)).toBe('sse'); // the refused request took nothing over
    await sc.healthy();
  });

  it('SSE resume without a token → session_required as the only event', async () => {
    const sc = await scene();
    const s = sc.bystanders[1]!;
    const ch = await connectSse(sc.server, `?session_id=${s.sessionId}&last_seen_seq=2`);
    expect(ch.status).toBe(200);
    expect((await ch.next('protocol.error')).payload.code).toBe('session_required');
    await ch.ended;
    await sc.healthy();
  });

  it.each(['-1', '1.5', 'abc', '', '01', '1e3'])('poll cursor=%s → 400 invalid_message at /cursor', async (cursor) => {
    const sc = await scene();
    const s = sc.bystanders[2]!;
    const r = await pollOnce(sc.server, `?session_id=${s.sessionId}&cursor=${cursor}`, s.token);
    expect(r.status).toBe(400);
    expect(r.frames[0]!.payload).toMatchObject({ code: 'invalid_message', path: '/cursor' });
    await sc.healthy();
  });

  it('poll for a session without a cursor → 400; without a token → 401', async () => {
    const sc = await scene();
    const s = sc.bystanders[2]!;
    expect((await pollOnce(sc.server, `?session_id=${s.sessionId}`, s.token)).status).toBe(400);
    const noToken = await pollOnce(sc.server, `?session_id=${s.sessionId}&cursor=2`);
    expect(noToken.status).toBe(401);
    expect(noToken.frames[0]!.payload.code).toBe('unknown_session');
    await sc.healthy();
  });

  it('wrong methods: POST /poll, POST /events → 405; GET /messages → 405; GET /ws without upgrade → 426', async () => {
    const sc = await scene();
    const o = sc.server.origin;
    expect((await fetch(`${o}/poll`, { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(`${o}/events`, { method: 'POST', body: '{}' })).status).toBe(405);
    expect((await fetch(`${o}/messages`)).status).toBe(405);
    expect((await fetch(`${o}/ws`)).status).toBe(426);
    expect((await fetch(`${o}/nowhere`)).status).toBe(404);
    await sc.healthy();
  });
});

describe('history through the generated server', () => {
  it('bad history parameters on the mounted route → 400 naming the parameter; good ones → the window', async () => {
    const store = createMemoryHistoryStore<{ seq: number; role: 'user'; chunk: { kind: 'text'; text: string } }>();
    for (let i = 1; i <= 5; i++) store.append('c-1', { role: 'user', chunk: { kind: 'text', text: `m${i}` } });
    const app = createAgentUiServer({ handlers: { chatSend: accepted, uiAction() {} }, history: { conversationHistory: store } });
    const { port } = await serve(app);
    const get = async (path: string) => {
      const r = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: r.status, body: (await r.json()) as any };
    };
    for (const [query, parameter] of [
      ['limit=0', 'limit'],
      ['limit=-3', 'limit'],
      ['limit=501', 'limit'],
      ['beforeSeq=0', 'beforeSeq'],
      ['sinceSeq=abc', 'sinceSeq'],
      ['sinceSeq=-1', 'sinceSeq'],
      ['since=1', 'since'],
    ]) {
      const r = await get(`/conversations/c-1?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.parameter, query).toBe(parameter);
      expect(r.body.error, query).toContain(parameter);
    }
    // L2: what is echoed of the client's text is cut short — a 15 KB parameter name or value gets a small answer.
    for (const query of [`${'n'.repeat(15_000)}=1`, `limit=${'9'.repeat(15_000)}`]) {
      const res = await fetch(`http://127.0.0.1:${port}/conversations/c-1?${query}`);
      const text = await res.text();
      expect(res.status).toBe(400);
      expect(text.length).toBeLessThan(1024);
      expect((JSON.parse(text) as { parameter: string }).parameter.length).toBeLessThanOrEqual(65);
    }
    expect((await get('/conversations/bad%20id')).status).toBe(400);
    expect((await get('/conversations/missing')).status).toBe(404);
    const ok = await get('/conversations/c-1?sinceSeq=1&limit=2');
    expect(ok).toEqual({ status: 200, body: { chunks: [store.read('c-1', { sinceSeq: 0 })!.chunks[3], store.read('c-1', { sinceSeq: 0 })!.chunks[4]], latestSeq: 5 } });
  });
});

/** The core and the WebSocket transport alone, with transport options the contract server does not expose. */
async function wsOnlyServer(contract: ContractDescriptor, options: { maxBufferedBytes?: number; resumeTimeoutMs?: number }) {
  const core = createServerCore({
    ...protocolWith(contract),
    hooks: { onMessage: (_s, _f: ClientFrame) => undefined },
  });
  const transport = createWebSocketTransport({ core, path: '/ws', ...options });
  core.start();
  const server = http.createServer();
  server.on('upgrade', (req, socket, head) => void transport.handleUpgrade(req, socket, head));
  const port = await listen(server);
  onCleanup(async () => {
    core.close();
    transport.close();
    await closeHttp(server);
  });
  return { core, t: target(port, contract) };
}

describe('a resuming connection that never sends protocol.resume', () => {
  it('is refused with session_required and closed (4006) after the resume timeout; the session is untouched', async () => {
    const { core, t } = await wsOnlyServer(contractWith({}), { resumeTimeoutMs: 300 });
    const owner = await connectWs(t, '');
    const id = (await owner.next('protocol.hello')).payload.session_id as string;
    const silent = await connectWs(t, `?session_id=${id}`);
    expect((await silent.next('protocol.error', 3000)).payload.code).toBe('session_required');
    expect((await silent.ended).code).toBe(4006);
    expect(core.local(id)!.attachment?.kind).toBe('websocket');
    void core.outbox.append(id, 'agent.event', { conversation_id: 'c-1', turn_id: 't', kind: 'status' });
    expect(seqsOf(await owner.data(1))).toEqual([1]);
  });
});

describe('a slow consumer', () => {
  it('is closed with 4005 when it falls behind; it resumes from the window with nothing lost, and others are unaffected', async () => {
    // A transport with a small send-buffer bound, so that a paused reader trips it quickly.
    const contract = contractWith({ maxFrameBytes: 300_000, replayWindow: { maxMessages: 1000, maxBytes: 64 * 1024 * 1024 } });
    const { core, t } = await wsOnlyServer(contract, { maxBufferedBytes: 64 * 1024 });
    const emit = (id: string, n: number, size: number): void => {
      for (let i = 0; i < n; i++) void core.outbox.append(id, 'agent.event', { conversation_id: 'c-1', turn_id: 't', kind: 'text', text: 'y'.repeat(size) });
    };

    const slow = await connectWs(t, '');
    const slowHello = await slow.next('protocol.hello');
    const id = slowHello.payload.session_id as string;
    const bystander = await connectWs(t, '');
    const otherId = (await bystander.next('protocol.hello')).payload.session_id as string;

    (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    emit(id, 40, 250_000); // ~10 MB in one burst: far more than the socket takes at once
    await sleep(50);
    emit(id, 10, 1000); // after the close: kept in the window, not sent on the dead attachment
    emit(otherId, 1, 100);
    expect(seqsOf(await bystander.data(1))).toEqual([1]);

    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const end = await slow.ended;
    expect(end.code).toBe(4005);
    const got = seqsOf(slow.log.filter(isData));
    expect(got.length).toBeLessThanOrEqual(40); // nothing was sent after the close
    expect(got).toEqual(range(1, got.length)); // in order, gap-free, whatever got through
    await waitFor(() => core.local(id)!.attachment === undefined, 'the slow attachment to detach');

    const again = await connectWs(t, `?session_id=${id}`);
    await again.send({ type: 'protocol.resume', header: { session_id: id }, payload: { resume_token: slowHello.payload.resume_token, last_seen_seq: got.length } });
    await again.next('protocol.hello');
    expect((await again.next('protocol.resumed')).payload).toEqual({ from_seq: got.length + 1, latest_seq: 50, acked: 0 });
    expect(seqsOf(await again.data(50 - got.length))).toEqual(range(got.length + 1, 50));
    emit(otherId, 1, 100);
    expect(seqsOf(await bystander.data(1))).toEqual([2]);
  });
});
