/**
 * S1–S4: session identity, no implicit session, tokens that identify nothing by themselves, and
 * the session's life beyond its transport (wire.md §3, §4, §6, §9).
 */
import { describe, describeAll, fail, randomToken, seqOf, type SessionRef, type TransportContext } from '../context.js';
import { clip, framesOf, postFrame, urlFor, type Link, type Received } from '../link.js';
import type { PollLink } from '../poll-link.js';
import { expectRefusal, expectWsErrorOpen, resumedHead, fingerprint, postRefusal, readRefusal, refusalText, skip, transportCheck, waitEnd, wsAnswer, type TransportCheck } from './check.js';

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
    for (const [how, token] of [['with the session’s token', session.token], ['without a token', null]] as const) {
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

/**
 * S4.2: a session left alone past its TTL, and the moment it is past. Needs the server's TTL to
 * fit a check (test timers, `--timers`); poll waits for its lease to lapse first (S4.8).
 */
function expired(ctx: TransportContext): Promise<SessionRef> {
  return ctx.memo('expired', async () => {
    const { ttlMs, heartbeatMs, holdMs } = ctx.timers;
    const lease = ctx.kind === 'poll' ? holdMs + 2 * heartbeatMs : 0;
    const wait = lease + ttlMs + heartbeatMs + 250;
    if (wait > 15_000) skip(`the session TTL is ${ttlMs} ms (heartbeat ${heartbeatMs} ms${ctx.kind === 'poll' ? `, poll hold ${holdMs} ms` : ''}): waiting for expiry would take ${wait} ms; run the server with test timers and pass --timers`);
    const { link, session } = await ctx.openSession();
    link.drop();
    await ctx.pause(wait);
    return session;
  });
}

/** Starts waiting for the next frame on `link`; on poll, once the continuation waits at the server. */
async function holdingPoll(ctx: TransportContext, link: Link): Promise<{ readonly next: Promise<Received | undefined> }> {
  const next = link.next(ctx.timeoutMs + ctx.timers.holdMs);
  if (ctx.kind === 'poll') await ctx.pause(Math.min(300, ctx.timers.holdMs / 2));
  return { next };
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
      const answer = await postFrame({ spec: ctx.spec, base: ctx.base, recorder: ctx.recorder, timeoutMs: ctx.timeoutMs, track: () => undefined }, ctx.path('messagesPath'), ctx.triggerFrame(session.id), undefined, session.id, { resume_token: session.token });
      if (answer.status !== 202) fail(`a trigger POSTed with ?resume_token= was answered HTTP ${answer.status} ${clip(JSON.stringify(answer.body) ?? '')}; expected 202`);
      await ctx.takeData(link, ctx.produces, 'the trigger POSTed with ?resume_token=');
      return `202, then ${ctx.produces} data messages`;
    },
  }),
  transportCheck({
    id: 'session-survives-detach',
    statement: 'S4.1',
    sentence: 'A session whose transport went away can be resumed, with the data produced meanwhile, before its TTL runs out.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      // WebSocket sends the trigger before it goes; SSE and poll POST it while away.
      if (ctx.kind === 'websocket') await ctx.trigger(link, 1, session);
      link.close();
      const pause = Math.min(1500, Math.floor(ctx.timers.ttlMs / 2));
      await ctx.pause(pause);
      if (ctx.kind !== 'websocket') await ctx.trigger(link, 1, session);
      const resumed = await ctx.resume(session, ctx.origin - 1);
      await resumedHead(ctx, resumed, `a resume ${pause} ms after the transport went away`);
      await ctx.dataUntil(resumed, ctx.origin - 1 + ctx.produces, 'the replay');
      return `resumed ${pause} ms after the detach (TTL ${ctx.timers.ttlMs} ms), with the data sent meanwhile`;
    },
  }),
  transportCheck({
    id: 'session-expired',
    statement: 'S4.2',
    sentence: 'A session left without a transport for longer than session_ttl_ms (plus at most heartbeat_ms) is gone: a resume gets resume_failed session_expired (WebSocket: close 4003; poll: 410).',
    async run(ctx) {
      const session = await expired(ctx);
      const link = await ctx.resume(session, ctx.origin - 1);
      await expectRefusal(ctx, link, { type: 'protocol.resume_failed', code: 'session_expired', close: 'resume_failed', what: `a resume after the TTL (${ctx.timers.ttlMs} ms)` });
      return `after ${ctx.timers.ttlMs} ms → session_expired${ctx.statusOf(link)}`;
    },
  }),
  transportCheck({
    id: 'expired-wrong-token',
    statement: 'S4.3',
    sentence: 'Only the token holder learns that a session expired: a wrong token for an expired session gets unknown_session.',
    async run(ctx) {
      const session = await expired(ctx);
      const link = await ctx.resume({ id: session.id, token: randomToken(session.token.length) }, ctx.origin - 1);
      await expectRefusal(ctx, link, { type: 'protocol.resume_failed', code: 'unknown_session', close: 'resume_failed', what: 'a resume of an expired session with a wrong token' });
      return `wrong token → unknown_session${ctx.statusOf(link)}`;
    },
  }),
  transportCheck({
    id: 'post-expired',
    statement: 'S4.4',
    only: ['sse', 'poll'],
    sentence: 'A POSTed frame for an expired session, with its token, gets 410 protocol.error session_expired.',
    async run(ctx) {
      const session = await expired(ctx);
      const answer = await postFrame({ spec: ctx.spec, base: ctx.base, recorder: ctx.recorder, timeoutMs: ctx.timeoutMs, track: () => undefined }, ctx.path('messagesPath'), ctx.triggerFrame(session.id), session.token, session.id);
      postRefusal(answer, 'session_expired', 410, 'a POST for an expired session');
      return '410 session_expired';
    },
  }),
  transportCheck({
    id: 'supersede',
    statement: 'S4.5',
    sentence: 'A resume on a new attachment supersedes the one in place: that one gets protocol.error superseded and ends (WebSocket: close 4001), and data then goes to the new attachment only.',
    async run(ctx) {
      const { link: old, session } = await ctx.openSession();
      const pending = (await holdingPoll(ctx, old)).next;
      const fresh = await ctx.resume(session, ctx.origin - 1);
      await resumedHead(ctx, fresh, 'the taking-over resume');
      const first = await pending;
      if (first?.frame.type !== 'protocol.error' || first.frame.payload.code !== 'superseded') fail(`the superseded attachment got ${describe(first)}${ctx.endText(old)}; expected protocol.error superseded`);
      if (ctx.kind === 'websocket') {
        const end = await waitEnd(ctx, old);
        if (end?.code !== 4001) fail(`after superseded the old socket ${end ? `closed ${String(end.code)}` : 'stayed open'}; expected close 4001`);
      } else if (ctx.kind === 'sse' && !(await waitEnd(ctx, old))) fail('after superseded the old SSE stream did not end');
      await ctx.trigger(fresh, 1, session);
      await ctx.takeData(fresh, ctx.produces, 'a trigger after the takeover');
      const stray = (ctx.kind === 'poll' ? [] : await ctx.quiet(old, 100)).filter((r) => r.data);
      if (stray.length > 0) fail(`the superseded attachment still got data: ${describeAll(stray)}`);
      return `old attachment: superseded${ctx.kind === 'websocket' ? ', close 4001' : ''}; data to the new one only`;
    },
  }),
  transportCheck({
    id: 'poll-two-at-once',
    statement: 'S4.9',
    only: ['poll'],
    sentence: 'Of two polls held at once for one session, the older is answered 200 { "frames": [protocol.error superseded] } and the newer goes on.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      (link as PollLink).drop();
      const query = `session_id=${encodeURIComponent(session.id)}&cursor=${ctx.origin - 1}`;
      const headers = { authorization: `Bearer ${session.token}` };
      const url = urlFor(ctx.base, ctx.path());
      url.search = query;
      // The newer poll must come while the older is held: when the hold ran out first (a
      // heartbeat came back), that says nothing, and the pair is tried again (three times at most).
      for (let attempt = 1; ; attempt++) {
        const older = ctx.http('GET', ctx.path(), { query, headers });
        await ctx.pause(Math.min(100, ctx.timers.holdMs / 4));
        const abort = new AbortController();
        const newer = fetch(url, { headers, signal: abort.signal }).then((r) => r.status, () => 0);
        const a = await older;
        abort.abort();
        await newer;
        const frames = framesOf(a.json) as { type?: unknown; payload?: { code?: unknown } }[] | undefined;
        const heartbeatOnly = a.status === 200 && frames?.length === 1 && frames[0]?.type === 'protocol.heartbeat';
        if (heartbeatOnly && attempt < 3) continue;
        if (a.status !== 200 || frames?.length !== 1 || frames[0]?.type !== 'protocol.error' || frames[0]?.payload?.code !== 'superseded') fail(`the older poll: ${a.shown}; expected 200 { "frames": [protocol.error superseded] }`);
        break;
      }
      return 'older poll → 200 [protocol.error superseded]';
    },
  }),
];
