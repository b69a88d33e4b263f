/**
 * S1–S3: session identity — fresh, well-formed, random ids and a stable token — no implicit
 * session, and refusals that do not tell a wrong token from an unknown session (wire.md §3, §4).
 */
import { describe, describeAll, fail, randomToken, seqOf, type SessionRef, type TransportContext } from '../context.js';
import { clip, postFrame } from '../link.js';
import { expectRefusal, expectWsErrorOpen, fingerprint, postRefusal, readRefusal, refusalText, transportCheck, waitEnd, wsAnswer, type TransportCheck } from './check.js';

/** A sample of sessions (S1.3): enough bits that a bias of a few percent shows. */
const SAMPLE = 24;

/** Ids and tokens of `n` new sessions, each dropped at once. */
function sample(ctx: TransportContext): Promise<SessionRef[]> {
  return ctx.memo('sample', async () => {
    const out: SessionRef[] = [];
    for (let i = 0; i < SAMPLE; i++) {
      const { link, session } = await ctx.openSession();
      link.drop();
      out.push(session);
    }
    return out;
  });
}

/**
 * S1.3: the decoded bytes of `values` look like CSPRNG output: the share of 1 bits is within four
 * standard deviations of 1/2, two values differ in about half their bits on average, and no two
 * are closer than a quarter of their bits. Returns what is wrong, or the figures.
 */
export function randomness(values: readonly string[], what: string): { ok: boolean; text: string } {
  const bytes = values.map((v) => Buffer.from(v, 'base64url'));
  const bits = Math.min(...bytes.map((b) => b.length)) * 8;
  if (bits < 32) return { ok: false, text: `${what} decode to ${bits / 8} bytes: too short to judge` };
  const bit = (b: Buffer, i: number): number => (b[i >> 3]! >> (7 - (i & 7))) & 1;
  let ones = 0;
  for (const b of bytes) for (let i = 0; i < bits; i++) ones += bit(b, i);
  const total = bytes.length * bits;
  const share = ones / total;
  const sd = Math.sqrt(0.25 / total);
  let sum = 0;
  let min = bits;
  let pairs = 0;
  for (let i = 0; i < bytes.length; i++) {
    for (let j = i + 1; j < bytes.length; j++) {
      let d = 0;
      for (let k = 0; k < bits; k++) d += bit(bytes[i]!, k) ^ bit(bytes[j]!, k);
      sum += d;
      min = Math.min(min, d);
      pairs++;
    }
  }
  const mean = sum / pairs / bits;
  const meanSd = Math.sqrt(0.25 / bits / bytes.length);
  const text = `${what}: ${(share * 100).toFixed(1)}% ones over ${total} bits, mean distance ${(mean * 100).toFixed(1)}% of ${bits} bits, closest pair ${min} bits apart`;
  const ok = Math.abs(share - 0.5) <= 4 * sd && Math.abs(mean - 0.5) <= 4 * meanSd + 0.01 && min >= bits / 4;
  return { ok, text };
}

/** S2: sends a trigger whose session is `sessionId` (null: none) and expects a typed refusal and no data. */
async function expectNoImplicitSession(ctx: TransportContext, sessionId: string | null, code: string, what: string): Promise<string> {
  const { link, session } = await ctx.openSession();
  const frame = ctx.triggerFrame(sessionId);
  const path = '/header/session_id';
  const refusals: string[] = [];
  if (ctx.kind === 'websocket') {
    const r = await wsAnswer(ctx, link, frame, `${what} on the session’s socket`);
    await expectWsErrorOpen(ctx, link, r, code, `${what} on the session’s socket`, path);
    refusals.push(code);
  } else {
    // With the session's token: a POST without any token is refused before its body is read (R1.8, L4).
    for (const [how, token] of [['with the session’s token', session.token]] as const) {
      const answer = await link.send(frame, { token });
      const error = postRefusal(answer!, code, 400, `${what} POSTed ${how}`);
      if (error.payload.path !== path) fail(`${what} POSTed ${how}: protocol.error ${code} with path ${JSON.stringify(error.payload.path)}; expected ${path}`);
      refusals.push(`${code} (HTTP ${answer!.status})`);
    }
  }
  const stray = (await ctx.quiet(link)).filter((r) => r.data);
  if (stray.length > 0) fail(`${what} was refused, yet data arrived on the session: ${describeAll(stray)}`);
  // The session itself is untouched: its first data is still the first seq (Q2.3).
  await ctx.trigger(link, 1, session);
  const [first] = await ctx.takeData(link, 1, 'a proper trigger afterwards');
  const seq = seqOf(first!);
  if (seq !== undefined && seq !== ctx.origin) fail(`after the refused frame, the session's first data message is ${describe(first)}; expected seq ${ctx.origin}: the refused frame produced data`);
  return `${[...new Set(refusals)].join(', ')}, path ${path}; no data; next seq ${String(seq)}`;
}

export const sessionChecks: readonly TransportCheck[] = [
  transportCheck({
    id: 'new-session-each-open',
    statement: 'S1.1',
    sentence: 'Every connect without session_id creates a new session: no two sessions share a session_id or a resume_token.',
    async run(ctx) {
      const all = await sample(ctx);
      const ids = new Set(all.map((s) => s.id));
      const tokens = new Set(all.map((s) => s.token));
      if (ids.size !== all.length) fail(`${all.length} connects gave ${ids.size} distinct session ids`);
      if (tokens.size !== all.length) fail(`${all.length} connects gave ${tokens.size} distinct resume tokens`);
      if (all.some((s) => tokens.has(s.id))) fail('a session_id is also a resume_token');
      return `${all.length} connects → ${all.length} sessions, every id and token distinct`;
    },
  }),
  transportCheck({
    id: 'id-format',
    statement: 'S1.2',
    sentence: 'session_id and resume_token are base64url text of at least idBits/6 and tokenBits/6 characters.',
    async run(ctx) {
      const { idBits, tokenBits } = ctx.spec.model.session;
      const minId = Math.ceil(idBits / 6);
      const minToken = Math.ceil(tokenBits / 6);
      const wrong: string[] = [];
      for (const s of await sample(ctx)) {
        if (!/^[A-Za-z0-9_-]+$/.test(s.id) || s.id.length < minId) wrong.push(`session_id ${JSON.stringify(s.id)} is not base64url of ≥ ${minId} characters (${idBits} bits)`);
        if (!/^[A-Za-z0-9_-]+$/.test(s.token) || s.token.length < minToken) wrong.push(`a resume_token of ${s.token.length} characters is not base64url of ≥ ${minToken} (${tokenBits} bits)`);
      }
      if (wrong.length > 0) fail(wrong.slice(0, 2).join('; '));
      const [a] = await sample(ctx);
      return `ids ${a!.id.length} chars (≥ ${minId}), tokens ${a!.token.length} (≥ ${minToken})`;
    },
  }),
  transportCheck({
    id: 'id-entropy',
    statement: 'S1.3',
    sentence: 'Over a sample of sessions, the bits of session ids and of tokens are 1 half of the time and two values differ in about half their bits: they come from a CSPRNG, not a counter or a clock.',
    async run(ctx) {
      const all = await sample(ctx);
      const ids = randomness(all.map((s) => s.id), `${all.length} session ids`);
      const tokens = randomness(all.map((s) => s.token), `${all.length} tokens`);
      if (!ids.ok || !tokens.ok) fail([ids, tokens].filter((r) => !r.ok).map((r) => r.text).join('; '));
      return `${ids.text}; tokens alike`;
    },
  }),
  transportCheck({
    id: 'token-stable',
    statement: 'S1.4',
    sentence: 'A resumed hello carries the same resume_token as the first, and that token keeps working after the resume.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      link.drop();
      for (const round of [1, 2]) {
        const resumed = await ctx.resume(session, ctx.origin - 1);
        const hello = await resumed.next(ctx.timeoutMs);
        if (hello?.frame.type !== 'protocol.hello') fail(`resume ${round} with the first token was answered with ${describeAll(resumed.log)}${ctx.endText(resumed)}`);
        if (hello.frame.payload.resume_token !== session.token) fail(`the hello of resume ${round} carries another resume_token: the token rotated`);
        resumed.drop();
      }
      return 'two resumes with the first token, both hellos carry it';
    },
  }),
  transportCheck({
    id: 'no-implicit-session',
    statement: 'S2.1',
    sentence: 'A client frame without header.session_id gets protocol.error session_required at /header/session_id (POST: 400) and produces no data: there is no default session.',
    run: (ctx) => expectNoImplicitSession(ctx, null, 'session_required', 'a trigger without header.session_id'),
  }),
  transportCheck({
    id: 'no-default-session',
    statement: 'S2.2',
    sentence: 'A client frame naming session_id "default" gets protocol.error invalid_message at /header/session_id (POST: 400) and produces no data.',
    run: (ctx) => expectNoImplicitSession(ctx, 'default', 'invalid_message', 'a trigger for session "default"'),
  }),
  transportCheck({
    id: 'ws-other-session',
    statement: 'S2.3',
    only: ['websocket'],
    sentence: 'A frame naming another session than the socket’s gets protocol.error unknown_session at /header/session_id, and the socket stays open.',
    async run(ctx) {
      const other = await ctx.openSession();
      const { link } = await ctx.openSession();
      const r = await wsAnswer(ctx, link, ctx.triggerFrame(other.session.id), 'a trigger naming another live session');
      await expectWsErrorOpen(ctx, link, r, 'unknown_session', 'a trigger naming another live session', '/header/session_id');
      const stray = [...(await ctx.quiet(link)), ...(await ctx.quiet(other.link, 50))].filter((f) => f.data);
      if (stray.length > 0) fail(`the refused trigger produced data: ${describeAll(stray)}`);
      return 'unknown_session at /header/session_id; socket open; no data on either session';
    },
  }),
  transportCheck({
    id: 'post-unknown-session',
    statement: 'S2.4',
    only: ['sse', 'poll'],
    sentence: 'A POSTed frame naming a well-formed session that does not exist gets 404 protocol.error unknown_session at /header/session_id.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      const answer = await link.send(ctx.triggerFrame(randomToken(session.id.length)), { token: randomToken(session.token.length) });
      const error = postRefusal(answer!, 'unknown_session', 404, 'a POST naming a made-up session');
      if (error.payload.path !== '/header/session_id') fail(`unknown_session with path ${JSON.stringify(error.payload.path)}; expected /header/session_id`);
      return '404 unknown_session at /header/session_id';
    },
  }),
  transportCheck({
    id: 'unknown-session-refused',
    statement: 'S3.1',
    sentence: 'A resume naming a session that does not exist gets resume_failed unknown_session (WebSocket: close 4003; poll: 404).',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      link.drop();
      const fake = { id: randomToken(session.id.length), token: randomToken(session.token.length) };
      const resumed = await ctx.resume(fake, 0);
      await expectRefusal(ctx, resumed, { type: 'protocol.resume_failed', code: 'unknown_session', close: 'resume_failed', what: 'a resume of a made-up session' });
      return `made-up session_id → unknown_session${ctx.statusOf(resumed)}`;
    },
  }),
  transportCheck({
    id: 'wrong-token-like-unknown',
    statement: 'S3.2',
    sentence: 'A resume with a real session_id and a wrong resume_token gets exactly the answer an unknown session gets (frames, status, close code): no oracle.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      link.drop();
      const wrong = await ctx.resume({ id: session.id, token: randomToken(session.token.length) }, 0);
      const wrongFrames = await readRefusal(ctx, wrong);
      if (wrongFrames.some((f) => f.frame.type === 'protocol.hello' || f.frame.type === 'protocol.resumed')) fail(`a wrong resume_token resumed the session: ${describeAll(wrongFrames)}`);
      await waitEnd(ctx, wrong);
      const unknown = await ctx.resume({ id: randomToken(session.id.length), token: randomToken(session.token.length) }, 0);
      const unknownFrames = await readRefusal(ctx, unknown);
      await waitEnd(ctx, unknown);
      // Two answers that cannot be read are no evidence of anything.
      for (const [name, frames, l] of [['a wrong token', wrongFrames, wrong], ['an unknown session', unknownFrames, unknown]] as const) {
        if (!frames.some((f) => f.frame.type === 'protocol.resume_failed')) fail(`${name} was answered with ${describeAll(frames)}${ctx.endText(l)}: no resume_failed to compare`);
      }
      const a = fingerprint(ctx, wrong, wrongFrames);
      const b = fingerprint(ctx, unknown, unknownFrames);
      if (a !== b) {
        const [x, y] = [refusalText(ctx, wrong, wrongFrames.map((f) => f.frame)), refusalText(ctx, unknown, unknownFrames.map((f) => f.frame))];
        fail(x !== y ? `wrong token → ${x}; unknown session → ${y}` : `wrong token → ${clip(a, 200)}; unknown session → ${clip(b, 200)}`);
      }
      return `both: ${describeAll(wrongFrames)}${ctx.kind === 'websocket' ? `, close ${String(wrong.ended?.code)}` : ctx.statusOf(wrong)}`;
    },
  }),
  transportCheck({
    id: 'post-wrong-token-like-unknown',
    statement: 'S3.3',
    only: ['sse', 'poll'],
    sentence: 'A POSTed frame with a wrong bearer token gets exactly the answer of one naming an unknown session (404 unknown_session), and produces nothing.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      const wrong = await link.send(ctx.triggerFrame(session.id), { token: randomToken(session.token.length) });
      const unknown = await link.send(ctx.triggerFrame(randomToken(session.id.length)), { token: randomToken(session.token.length) });
      postRefusal(wrong!, 'unknown_session', 404, 'a POST with a wrong token');
      const show = (x: typeof wrong): string => `HTTP ${x!.status} ${clip(JSON.stringify(x!.body) ?? '', 200)}`;
      if (show(wrong) !== show(unknown)) {
        const [x, y] = [refusalText(ctx, undefined, wrong!.frames, wrong!.status), refusalText(ctx, undefined, unknown!.frames, unknown!.status)];
        fail(x !== y ? `wrong token → ${x}; unknown session → ${y}` : `wrong token → ${show(wrong)}; unknown session → ${show(unknown)}`);
      }
      const stray = (await ctx.quiet(link)).filter((r) => r.data);
      if (stray.length > 0) fail(`a POST with a wrong token produced data: ${describeAll(stray)}`);
      return `both: HTTP ${wrong!.status} unknown_session; no data`;
    },
  }),
  transportCheck({
    id: 'token-in-query',
    statement: 'S3.4',
    only: ['sse', 'poll'],
    sentence: 'A POST may carry the token as the resume_token query parameter instead of Authorization: the frame is accepted (202) and handled.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      const answer = await postFrame({ spec: ctx.spec, base: ctx.base, recorder: ctx.recorder, timeoutMs: ctx.timeoutMs, track: () => undefined, headers: ctx.credentials }, ctx.path('messagesPath'), ctx.triggerFrame(session.id), undefined, session.id, { resume_token: session.token });
      if (answer.status !== 202) fail(`a trigger POSTed with ?resume_token= was answered HTTP ${answer.status} ${clip(JSON.stringify(answer.body) ?? '')}; expected 202`);
      await ctx.takeData(link, ctx.produces, 'the trigger POSTed with ?resume_token=');
      return `202, then ${ctx.produces} data messages`;
    },
  }),
];
