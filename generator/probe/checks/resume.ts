/**
 * R1: how a resume is asked for on each transport — the WebSocket's first frame, SSE's query and
 * Last-Event-ID, poll's cursor and token, a second resume on an open socket — and what a request
 * that gets it wrong is answered with (wire.md §6, §7, §8).
 */
import { describe, describeAll, fail, randomToken, range, sameList, seqOf, seqRange } from '../context.js';
import { expectPollError, expectRefusal, oneTrigger, otherKind, postRefusal, resumedHead, skip, transportCheck, wsAnswer, type TransportCheck } from './check.js';

export const resumeChecks: readonly TransportCheck[] = [
  transportCheck({
    id: 'resume-at-latest',
    statement: 'R1.1',
    sentence: 'A resume from the newest seq is answered with the hello, protocol.resumed { from_seq: latest + 1, latest_seq: latest } and nothing else.',
    async run(ctx) {
      const { session, latest } = await oneTrigger(ctx);
      const link = await ctx.resume(session, latest);
      const { resumed } = await resumedHead(ctx, link, `a resume from ${latest}`);
      if (resumed.frame.payload.from_seq !== latest + 1 || resumed.frame.payload.latest_seq !== latest) fail(`a resume from ${latest} got ${describe(resumed)}; expected from_seq ${latest + 1}, latest_seq ${latest}`);
      const extra = await ctx.quiet(link);
      if (extra.length > 0) fail(`a resume from the newest seq was followed by ${describeAll(extra)}`);
      return `from ${latest}: resumed {from_seq ${latest + 1}, latest_seq ${latest}}, nothing more`;
    },
  }),
  transportCheck({
    id: 'ws-resume-first-frame',
    statement: 'R1.2',
    only: ['websocket'],
    sentence: 'On a WebSocket opened with session_id, a first frame that is not protocol.resume gets protocol.error session_required and close 4000.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      link.drop();
      const ws = await ctx.open({ sessionId: session.id });
      await ws.send(ctx.triggerFrame(session.id));
      await expectRefusal(ctx, ws, { type: 'protocol.error', code: 'session_required', close: 'protocol_error', what: 'a trigger as the first frame of a resuming connection' });
      return 'trigger first → session_required, close 4000';
    },
  }),
  transportCheck({
    id: 'ws-resume-other-session',
    statement: 'R1.2',
    only: ['websocket'],
    sentence: 'On a WebSocket opened with ?session_id=A, a protocol.resume for another session B gets protocol.error session_required and close 4000: the URL and the frame must agree.',
    async run(ctx) {
      const a = await ctx.openSession();
      const b = await ctx.openSession();
      a.link.drop();
      const ws = await ctx.open({ sessionId: a.session.id });
      await ws.send({ type: 'protocol.resume', header: { session_id: b.session.id }, payload: { resume_token: b.session.token, last_seen_seq: 0 } });
      await expectRefusal(ctx, ws, { type: 'protocol.error', code: 'session_required', close: 'protocol_error', what: 'a resume of B on a connection opened for A' });
      const stray = await ctx.quiet(b.link, 100);
      if (stray.some((r) => r.frame.type === 'protocol.error' && r.frame.payload.code === 'superseded')) fail('the refused resume superseded session B');
      return 'resume of B on ?session_id=A → session_required, close 4000; B untouched';
    },
  }),
  transportCheck({
    id: 'sse-last-event-id',
    statement: 'R1.3',
    only: ['sse'],
    sentence: 'An SSE resume may name its cursor in Last-Event-ID, which wins over last_seen_seq.',
    async run(ctx) {
      const { session, latest } = await oneTrigger(ctx);
      const k = latest - 2;
      const link = await ctx.resume(session, 0, { headers: { 'last-event-id': String(k) } });
      const { resumed } = await resumedHead(ctx, link, `a resume with last_seen_seq 0 and Last-Event-ID ${k}`);
      if (resumed.frame.payload.from_seq !== k + 1) fail(`with last_seen_seq 0 and Last-Event-ID ${k}, resumed says from_seq ${JSON.stringify(resumed.frame.payload.from_seq)}; Last-Event-ID wins, so ${k + 1}`);
      const seqs = (await ctx.dataUntil(link, latest, 'the replay')).map(seqOf);
      if (!sameList(seqs, range(k + 1, latest))) fail(`the replay was ${seqRange(seqs)}; expected ${k + 1}..${latest}`);
      return `Last-Event-ID ${k} over last_seen_seq 0 → from_seq ${k + 1}`;
    },
  }),
  transportCheck({
    id: 'sse-resume-incomplete',
    statement: 'R1.4',
    only: ['sse'],
    sentence: 'An SSE request with session_id but no resume_token or cursor gets 200 with protocol.error session_required as its only event.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      link.drop();
      const sse = await ctx.open({ query: { session_id: session.id } });
      await expectRefusal(ctx, sse, { type: 'protocol.error', code: 'session_required', what: 'an SSE request with only session_id' });
      return '200, the only event protocol.error session_required';
    },
  }),
  transportCheck({
    id: 'poll-resume-without-flag',
    statement: 'R1.5',
    only: ['poll'],
    sentence: 'A poll that does not continue the session’s live poll attachment is a resume even without resume=1: hello, protocol.resumed, the replay.',
    async run(ctx) {
      const kind = otherKind(ctx);
      if (!kind) skip('the spec declares no other transport to attach the session to first');
      const other = ctx.other(kind);
      const { link, session } = await other.openSession();
      await other.trigger(link);
      await other.takeData(link, other.produces, `the trigger over ${kind}`);
      const poll = await ctx.resume(session, ctx.origin - 1, { flag: false });
      const { resumed } = await resumedHead(ctx, poll, `a poll with session_id and cursor ${ctx.origin - 1}, no resume=1, for a session attached over ${kind}`);
      if (resumed.frame.payload.from_seq !== ctx.origin) fail(`resumed says from_seq ${JSON.stringify(resumed.frame.payload.from_seq)}; expected ${ctx.origin}`);
      return `session on ${kind}, then a plain poll → hello, resumed {from_seq ${ctx.origin}}`;
    },
  }),
  transportCheck({
    id: 'poll-missing-cursor',
    statement: 'R1.7',
    only: ['poll'],
    sentence: 'A poll with session_id and no cursor gets 400 { "frames": [protocol.error invalid_message] } with path /cursor.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      link.drop();
      const a = await ctx.http('GET', ctx.path(), { query: `session_id=${encodeURIComponent(session.id)}`, headers: { "resume-token": session.token } });
      expectPollError(a, 400, 'invalid_message', '/cursor');
      return '400 invalid_message at /cursor';
    },
  }),
  transportCheck({
    id: 'poll-no-token',
    statement: 'R1.8',
    only: ['poll'],
    sentence: 'A poll naming a session without any token gets 401 { "frames": [protocol.error unknown_session] }.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      link.drop();
      const a = await ctx.http('GET', ctx.path(), { query: `session_id=${encodeURIComponent(session.id)}&cursor=0` });
      expectPollError(a, 401, 'unknown_session');
      return '401 unknown_session';
    },
  }),
  transportCheck({
    id: 'post-no-token',
    statement: 'R1.8',
    only: ['sse', 'poll'],
    sentence: 'A POST without any token gets 401 protocol.error unknown_session (before its body is read) and produces nothing.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      const answer = await link.send(ctx.triggerFrame(session.id), { token: null });
      postRefusal(answer!, 'unknown_session', 401, 'a trigger POSTed without a token');
      const stray = (await ctx.quiet(link)).filter((r) => r.data);
      if (stray.length > 0) fail(`the refused POST produced data: ${describeAll(stray)}`);
      return '401 unknown_session; no data';
    },
  }),
  transportCheck({
    id: 'ws-second-resume',
    statement: 'R1.9',
    only: ['websocket'],
    sentence: 'A protocol.resume on an attached socket for its own session is answered with protocol.resumed and the replay (no hello), and the socket stays open.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      await ctx.trigger(link);
      await ctx.takeData(link, ctx.produces, 'the trigger');
      const latest = ctx.origin - 1 + ctx.produces;
      const k = ctx.origin;
      const r = await wsAnswer(ctx, link, { type: 'protocol.resume', header: { session_id: session.id }, payload: { resume_token: session.token, last_seen_seq: k } }, `a second protocol.resume from ${k}`);
      if (r.frame.type !== 'protocol.resumed' || r.frame.payload.from_seq !== k + 1) fail(`a second protocol.resume from ${k} was answered with ${describe(r)}; expected protocol.resumed { from_seq: ${k + 1} } (no hello)`);
      const seqs = (await ctx.dataUntil(link, latest, 'the replay')).map(seqOf);
      if (!sameList(seqs, range(k + 1, latest))) fail(`the replay was ${seqRange(seqs)}; expected ${k + 1}..${latest}`);
      if (link.ended) fail(`the socket closed${ctx.endText(link)}`);
      return `resumed {from_seq ${k + 1}}, ${seqRange(seqs)}; socket open`;
    },
  }),
  transportCheck({
    id: 'ws-second-resume-wrong-token',
    statement: 'R1.9',
    only: ['websocket'],
    sentence: 'A protocol.resume with a wrong token on an attached socket gets resume_failed unknown_session, and the socket and its session keep working.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      const r = await wsAnswer(ctx, link, { type: 'protocol.resume', header: { session_id: session.id }, payload: { resume_token: randomToken(session.token.length), last_seen_seq: 0 } }, 'a second protocol.resume with a wrong token');
      if (r.frame.type !== 'protocol.resume_failed' || r.frame.payload.reason !== 'unknown_session') fail(`a second protocol.resume with a wrong token was answered with ${describe(r)}; expected resume_failed unknown_session`);
      await ctx.trigger(link);
      await ctx.takeData(link, ctx.produces, 'a trigger afterwards');
      return 'resume_failed unknown_session; the socket still works';
    },
  }),
  transportCheck({
    id: 'post-resume-refused',
    statement: 'R1.10',
    only: ['sse', 'poll'],
    sentence: 'A POSTed protocol.resume gets 400 protocol.error invalid_message with path /type.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      const answer = await link.send({ type: 'protocol.resume', header: { session_id: session.id }, payload: { resume_token: session.token, last_seen_seq: 0 } });
      const error = postRefusal(answer!, 'invalid_message', 400, 'a POSTed protocol.resume');
      if (error.payload.path !== '/type') fail(`invalid_message with path ${JSON.stringify(error.payload.path)}; expected /type`);
      return '400 invalid_message at /type';
    },
  }),
];
