/**
 * S4: the session's life beyond its transport — it survives a detach, expires after its TTL
 * (and only the token holder learns so), and has one live attachment: a takeover supersedes the
 * one in place (wire.md §6, §7, §9).
 */
import { describe, describeAll, fail, randomToken, type SessionRef, type TransportContext } from '../context.js';
import { framesOf, postFrame, urlFor, type Link, type Received } from '../link.js';
import type { PollLink } from '../poll-link.js';
import { expectRefusal, postRefusal, rawPollSession, resumedHead, skip, transportCheck, waitEnd, type TransportCheck } from './check.js';

/**
 * S4.2: a session left alone past its TTL, and the moment it is past. Needs the server's TTL to
 * fit a check (test timers, `--timers`); poll waits for its lease to lapse first (S4.8).
 */
function expired(ctx: TransportContext): Promise<SessionRef> {
  return ctx.memo('expired', async () => {
    const { ttlMs, heartbeatMs, holdMs } = ctx.timers;
    const lease = ctx.kind === 'poll' ? holdMs + 2 * heartbeatMs : 0;
    // The server sweeps at least every heartbeat; the rest is slack for a loaded machine.
    const wait = lease + ttlMs + heartbeatMs + 1500;
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

export const lifetimeChecks: readonly TransportCheck[] = [
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
      const answer = await postFrame({ spec: ctx.spec, base: ctx.base, recorder: ctx.recorder, timeoutMs: ctx.timeoutMs, track: () => undefined, headers: ctx.credentials }, ctx.path('messagesPath'), ctx.triggerFrame(session.id), session.token, session.id);
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
    id: 'poll-attachment-continues',
    statement: 'S4.10',
    only: ['poll'],
    sentence: 'Every 200 poll answer names its attachment; a poll that names it back while it is live gets the data after its cursor with no hello and no protocol.resumed, and the same attachment named.',
    async run(ctx) {
      const { link, session, attachment: named, query, headers } = await rawPollSession(ctx);
      if (named === undefined) fail('the answer with the hello names no attachment; expected { "frames": [...], "attachment": "<id>" }');
      await ctx.trigger(link, 1, session);
      const answer = await ctx.http('GET', ctx.path(), { query: `${query}&attachment=${encodeURIComponent(named)}`, headers });
      const frames = (framesOf(answer.json) ?? []) as { type?: unknown }[];
      const control = frames.filter((f) => f.type === 'protocol.hello' || f.type === 'protocol.resumed');
      if (answer.status !== 200 || frames.length === 0 || control.length > 0) fail(`a poll naming its live attachment: ${answer.shown}; expected 200 with the data and no hello or resumed`);
      const again = (answer.json as { attachment?: unknown }).attachment;
      if (again !== named) fail(`the continuation named attachment ${JSON.stringify(again)}; expected the same one, ${JSON.stringify(named)}`);
      return `continued: ${frames.length} frame(s), no hello, attachment ${named.slice(0, 6)}… named again`;
    },
  }),
  transportCheck({
    id: 'poll-attachment-stale',
    statement: 'S4.11',
    only: ['poll'],
    sentence: 'A poll naming an attachment that another one superseded is a resume (hello, protocol.resumed) naming a new attachment; resume=1 always is; a malformed attachment gets 400 invalid_message with path /attachment.',
    async run(ctx) {
      const { attachment: first, query: base, headers } = await rawPollSession(ctx);
      const head = (json: unknown): string => ((framesOf(json) ?? []) as { type?: unknown }[]).slice(0, 2).map((f) => String(f.type)).join(', ');
      const taken = await ctx.http('GET', ctx.path(), { query: `${base}&resume=1`, headers });
      const second = (taken.json as { attachment?: unknown } | undefined)?.attachment;
      if (taken.status !== 200 || head(taken.json) !== 'protocol.hello, protocol.resumed') fail(`resume=1: ${taken.shown}; expected hello and resumed`);
      if (typeof second !== 'string' || second === first) fail(`resume=1 named attachment ${JSON.stringify(second)}; expected a new one (the first was ${JSON.stringify(first)})`);
      if (first !== undefined) {
        const stale = await ctx.http('GET', ctx.path(), { query: `${base}&attachment=${encodeURIComponent(first)}`, headers });
        if (stale.status !== 200 || head(stale.json) !== 'protocol.hello, protocol.resumed') fail(`a poll naming the superseded attachment: ${stale.shown}; expected a resume (hello, resumed)`);
      }
      const bad = await ctx.http('GET', ctx.path(), { query: `${base}&attachment=${encodeURIComponent('not an id!')}`, headers });
      const refusal = (framesOf(bad.json) ?? [])[0] as { type?: unknown; payload?: { code?: unknown; path?: unknown } } | undefined;
      if (bad.status !== 400 || refusal?.payload?.code !== 'invalid_message' || refusal.payload.path !== '/attachment') fail(`a malformed attachment: ${bad.shown}; expected 400 invalid_message with path /attachment`);
      return 'resume=1 → a new attachment; the superseded one named → a resume; malformed → 400 /attachment';
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
      const headers = { "resume-token": session.token };
      const url = urlFor(ctx.base, ctx.path());
      url.search = query;
      // The newer poll must come while the older is held: when the hold ran out first (a
      // heartbeat came back), that says nothing, and the pair is tried again (three times at most).
      for (let attempt = 1; ; attempt++) {
        const older = ctx.http('GET', ctx.path(), { query, headers });
        await ctx.pause(Math.min(100, ctx.timers.holdMs / 4));
        const abort = new AbortController();
        const newer = fetch(url, { headers: { ...ctx.credentials, ...headers }, signal: abort.signal }).then((r) => r.status, () => 0);
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
