/**
 * L1–L2: every malformed, unknown, invalid or oversized client frame gets its typed error, POST
 * answers say what was accepted, and the connection and session keep working (wire.md §2, §3, §7).
 */
import { describeAll, fail, type TransportContext } from '../context.js';
import { clip, framesOf } from '../link.js';
import { closeCode, expectWsErrorOpen, postRefusal, rawPollSession, transportCheck, waitEnd, wsAnswer, type TransportCheck } from './check.js';

/**
 * Sends `frame` on the session's link and expects protocol.error `code` (with `path` when given):
 * on the socket, which stays open (WebSocket), or as a POST answer with `status`. Then a proper
 * trigger still produces data: the connection and the session survived.
 */
async function expectFrameError(ctx: TransportContext, frameOf: (sessionId: string) => unknown, code: string, status: number, what: string, o: { path?: string; requestId?: string; binary?: boolean } = {}): Promise<string> {
  const { link, session } = await ctx.openSession();
  const frame = frameOf(session.id);
  let error;
  if (ctx.kind === 'websocket') {
    const r = await wsAnswer(ctx, link, frame, what, o.binary);
    await expectWsErrorOpen(ctx, link, r, code, what, o.path);
    error = r.frame;
  } else {
    error = postRefusal((await link.send(frame))!, code, status, what);
    if (o.path !== undefined && error.payload.path !== o.path) fail(`${what}: protocol.error ${code} with path ${JSON.stringify(error.payload.path)}; expected ${o.path}`);
  }
  if (o.requestId !== undefined && error.payload.request_id !== o.requestId) fail(`${what}: protocol.error ${code} with request_id ${JSON.stringify(error.payload.request_id)}; expected the frame's ${o.requestId}`);
  await ctx.trigger(link, 1, session);
  await ctx.takeData(link, ctx.produces, `a trigger after ${what}`);
  return `${code}${ctx.kind === 'websocket' ? ', socket open' : ` (HTTP ${status})`}${o.path ? ` at ${o.path}` : ''}; the session still works`;
}

/** A frame of the trigger's type whose JSON text is `bytes` long. */
function paddedTrigger(ctx: TransportContext, sessionId: string, bytes: number): string {
  const frame = ctx.triggerFrame(sessionId) as { payload: Record<string, unknown> };
  const base = JSON.stringify({ ...frame, payload: { ...frame.payload, pad: '' } });
  return JSON.stringify({ ...frame, payload: { ...frame.payload, pad: 'x'.repeat(Math.max(0, bytes - base.length)) } });
}

export const frameChecks: readonly TransportCheck[] = [
  transportCheck({
    id: 'malformed-frame',
    statement: 'L1.1',
    sentence: 'A client frame that is not JSON gets protocol.error malformed_frame (POST: 400; WebSocket: the socket stays open).',
    run: (ctx) => expectFrameError(ctx, () => '{"type": "chat.send", "header": {', 'malformed_frame', 400, 'a frame that is not JSON'),
  }),
  transportCheck({
    id: 'not-a-frame',
    statement: 'L1.2',
    sentence: 'JSON that is not an object with a string type gets protocol.error malformed_frame.',
    run: (ctx) => expectFrameError(ctx, () => '{"hello":"world"}', 'malformed_frame', 400, 'a JSON object without type'),
  }),
  transportCheck({
    id: 'unknown-type',
    statement: 'L1.3',
    sentence: 'A frame whose type is no client message of the contract gets protocol.error unknown_type with path /type.',
    run: (ctx) => expectFrameError(ctx, (id) => ({ type: 'probe.no_such_type', header: { session_id: id }, payload: {} }), 'unknown_type', 400, 'a frame of type probe.no_such_type', { path: '/type' }),
  }),
  transportCheck({
    id: 'invalid-message',
    statement: 'L1.4',
    sentence: 'A frame that breaks its schema gets protocol.error invalid_message with the path of the offending field and the frame’s request_id.',
    run: (ctx) =>
      expectFrameError(ctx, (id) => ({ type: ctx.spec.conformance.trigger.type, header: { session_id: id, request_id: 'probe-17' }, payload: 42 }), 'invalid_message', 400, 'a trigger with payload 42', { path: '/payload', requestId: 'probe-17' }),
  }),
  transportCheck({
    id: 'post-accepted',
    statement: 'L1.5',
    only: ['sse', 'poll'],
    sentence: 'POSTed frames that are all accepted get 202 { "accepted": n, "frames": [] }, for one frame and for an array.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      for (const [what, body, n] of [['one frame', ctx.triggerFrame(session.id), 1], ['an array of two', [ctx.triggerFrame(session.id), ctx.triggerFrame(session.id)], 2]] as const) {
        const a = (await link.send(body))!;
        const b = a.body as { accepted?: unknown; frames?: unknown } | null;
        if (a.status !== 202 || b?.accepted !== n || !Array.isArray(b.frames) || b.frames.length !== 0) fail(`${what} POSTed was answered HTTP ${a.status} ${clip(JSON.stringify(a.body) ?? '')}; expected 202 { "accepted": ${n}, "frames": [] }`);
      }
      await ctx.takeData(link, 3 * ctx.produces, 'three triggers');
      return '202 {accepted 1} and {accepted 2}, then the data of all three';
    },
  }),
  transportCheck({
    id: 'post-batch-partial',
    statement: 'L1.6',
    only: ['sse', 'poll'],
    sentence: 'In a POSTed array the valid frames are handled even when others are refused: the status is the first refusal’s and frames holds every refusal in order.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      const batch = [ctx.triggerFrame(null), ctx.triggerFrame(session.id), { type: 'probe.no_such_type', header: { session_id: session.id }, payload: {} }];
      const a = (await link.send(batch))!;
      const b = a.body as { accepted?: unknown } | null;
      const codes = a.frames.map((f) => f.payload.code);
      if (a.status !== 400 || b?.accepted !== 1 || JSON.stringify(codes) !== '["session_required","unknown_type"]') {
        fail(`[no session_id, a valid trigger, an unknown type] was answered HTTP ${a.status} ${clip(JSON.stringify(a.body) ?? '', 200)}; expected 400 { "accepted": 1, "frames": [session_required, unknown_type] }`);
      }
      await ctx.takeData(link, ctx.produces, 'the valid trigger of the batch');
      return '400 {accepted 1, frames [session_required, unknown_type]}; the valid frame was handled';
    },
  }),
  transportCheck({
    id: 'wrong-method',
    statement: 'L1.7',
    sentence: 'A request with the wrong method gets 405 with an Allow header (the WebSocket path without an upgrade: 426).',
    async run(ctx) {
      const seen: string[] = [];
      const expect = async (method: string, path: string, status: number, allow?: string): Promise<void> => {
        const a = await ctx.http(method, path);
        if (a.status !== status) fail(`${a.shown}; expected ${status}`);
        if (allow !== undefined && !(a.headers.get('allow') ?? '').includes(allow)) fail(`${a.shown}: Allow is ${JSON.stringify(a.headers.get('allow'))}; expected it to name ${allow}`);
        if (status === 405 && typeof (a.json as { error?: unknown } | undefined)?.error !== 'string') fail(`${a.shown}: the body is not { "error": "…" }`);
        seen.push(`${method} ${path} → ${status}`);
      };
      if (ctx.kind === 'websocket') await expect('GET', ctx.path(), 426);
      else {
        await expect('POST', ctx.path(), 405, 'GET');
        await expect('GET', ctx.path('messagesPath'), 405, 'POST');
      }
      return seen.join('; ');
    },
  }),
  transportCheck({
    id: 'ws-binary',
    statement: 'L1.8',
    only: ['websocket'],
    sentence: 'A binary WebSocket message gets protocol.error malformed_frame, and the socket stays open.',
    run: (ctx) => expectFrameError(ctx, (id) => JSON.stringify(ctx.triggerFrame(id)), 'malformed_frame', 400, 'the trigger as a binary message', { binary: true }),
  }),
  transportCheck({
    id: 'frame-too-large',
    statement: 'L2.1',
    sentence: 'A client frame larger than max_frame_bytes gets protocol.error frame_too_large (POST: 413; WebSocket: the socket stays open).',
    run: (ctx) => {
      const bytes = ctx.spec.model.maxFrameBytes + 64;
      return expectFrameError(ctx, (id) => paddedTrigger(ctx, id, bytes), 'frame_too_large', 413, `a frame of ${bytes} bytes`);
    },
  }),
  transportCheck({
    id: 'frame-far-too-large',
    statement: 'L2.1',
    only: ['websocket'],
    sentence: 'A WebSocket message larger than 4 × max_frame_bytes closes the socket with 1009.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      const bytes = 4 * ctx.spec.model.maxFrameBytes + 1024;
      await link.send(paddedTrigger(ctx, session.id, bytes));
      const end = await waitEnd(ctx, link);
      const want = closeCode('too_big');
      if (end?.code !== want) fail(`a message of ${bytes} bytes: ${end ? `close ${String(end.code)}` : `the socket stayed open (${describeAll(link.log.slice(1))})`}; expected close ${want}`);
      return `${bytes} bytes → close ${want}`;
    },
  }),
  transportCheck({
    id: 'poll-max-honoured',
    statement: 'L2.3',
    only: ['poll'],
    sentence: 'A poll with max=1, or max_bytes=1, gets one data frame (the first after its cursor) although more are waiting.',
    async run(ctx) {
      const { link, session, query: base, headers } = await rawPollSession(ctx);
      await ctx.trigger(link, 2, session);
      const seqs = (json: unknown): number[] => ((framesOf(json) ?? []) as { header?: { seq?: unknown } }[]).flatMap((f) => (typeof f.header?.seq === 'number' ? [f.header.seq] : []));
      // Until the data is there: a poll that names no bound takes what is waiting (and acknowledges nothing new).
      let waiting = 0;
      for (let tries = 0; tries < 20 && waiting < 2; tries++) {
        if (tries > 0) await ctx.pause(100);
        waiting = seqs((await ctx.http('GET', ctx.path(), { query: base, headers })).json).length;
      }
      if (waiting < 2) fail(`two triggers left ${waiting} data frame(s) waiting; expected at least 2`);
      for (const bound of ['max=1', 'max_bytes=1']) {
        const answer = await ctx.http('GET', ctx.path(), { query: `${base}&${bound}`, headers });
        const got = seqs(answer.json);
        if (answer.status !== 200 || got.length !== 1 || got[0] !== ctx.origin) fail(`${bound} with ${waiting} data frames waiting: ${answer.shown}; expected 200 with seq ${ctx.origin} alone`);
      }
      return `${waiting} waiting; max=1 and max_bytes=1 → seq ${ctx.origin} alone`;
    },
  }),
  transportCheck({
    id: 'poll-max-refused',
    statement: 'L2.4',
    only: ['poll'],
    sentence: 'A poll whose max or max_bytes is not a positive integer gets 400 protocol.error invalid_message with path /max or /max_bytes.',
    async run(ctx) {
      const { query: base, headers } = await rawPollSession(ctx);
      for (const [name, value] of [['max', '0'], ['max', '-1'], ['max', '2.5'], ['max', 'ten'], ['max_bytes', '0'], ['max_bytes', '1e3']] as const) {
        const answer = await ctx.http('GET', ctx.path(), { query: `${base}&${name}=${encodeURIComponent(value)}`, headers });
        const frame = (framesOf(answer.json) ?? [])[0] as { type?: unknown; payload?: { code?: unknown; path?: unknown } } | undefined;
        if (answer.status !== 400 || frame?.type !== 'protocol.error' || frame.payload?.code !== 'invalid_message' || frame.payload.path !== `/${name}`) fail(`${name}=${value}: ${answer.shown}; expected 400 invalid_message with path /${name}`);
      }
      return 'max 0, -1, 2.5, ten and max_bytes 0, 1e3 → 400 invalid_message naming the parameter';
    },
  }),
];
