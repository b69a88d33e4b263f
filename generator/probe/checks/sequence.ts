/**
 * Q2, Q4, Q5: seq numbering per session, heartbeats, and acknowledgements that release the
 * replay window (wire.md §3, §9). Q1 is audited over everything a transport received (audits.ts).
 */
import { describe, describeAll, fail, range, sameList, seqOf, seqRange, type SessionRef, type TransportContext } from '../context.js';
import { clip, HEARTBEAT, type Link } from '../link.js';
import type { PollLink } from '../poll-link.js';
import { expectRefusal, expectWsErrorOpen, postRefusal, resumedHead, skip, transportCheck, wsAnswer, type TransportCheck } from './check.js';

/** Longest heartbeat or poll hold a check waits for (the spec's 15 s need --timers). */
const MAX_WAIT_MS = 6000;

/** `protocol.ack { last_seen_seq: k }` for `session`. */
export function ackFrame(session: SessionRef, k: number): object {
  return { type: 'protocol.ack', header: { session_id: session.id }, payload: { last_seen_seq: k } };
}

/** Sends a control frame that has no answer: WebSocket expects none, POST expects 202. */
export async function sendQuietly(ctx: TransportContext, link: Link, frame: object, what: string): Promise<void> {
  const answer = await link.send(frame);
  if (answer) {
    if (answer.status !== 202) fail(`${what} was answered HTTP ${answer.status} ${clip(JSON.stringify(answer.body) ?? '')}; expected 202`);
    return;
  }
  const errors = (await ctx.quiet(link)).filter((r) => r.frame.type === 'protocol.error');
  if (errors.length > 0) fail(`${what} was answered with ${describeAll(errors)}; it has no answer`);
}

/** A session with 2 × produces data messages, all received: the link, the session and its newest seq. */
async function twoTriggers(ctx: TransportContext): Promise<{ link: Link; session: SessionRef; latest: number }> {
  const { link, session } = await ctx.openSession();
  await ctx.trigger(link, 2);
  await ctx.takeData(link, 2 * ctx.produces, 'two triggers');
  return { link, session, latest: ctx.origin - 1 + 2 * ctx.produces };
}

/** Q5: after everything up to `k` was acknowledged, a resume from k - 1 is refused with earliest_seq k + 1. */
async function expectReleased(ctx: TransportContext, session: SessionRef, k: number, how: string): Promise<string> {
  const link = await ctx.resume(session, k - 1);
  const refusal = await expectRefusal(ctx, link, { type: 'protocol.resume_failed', code: 'window_exceeded', close: 'resume_failed', what: `a resume from ${k - 1} after ${how}` });
  if (refusal.frame.payload.earliest_seq !== k + 1) fail(`after ${how}, window_exceeded says earliest_seq ${JSON.stringify(refusal.frame.payload.earliest_seq)}; everything up to ${k} was released, so it is ${k + 1}`);
  return `after ${how}: a resume from ${k - 1} → window_exceeded, earliest_seq ${k + 1}`;
}

/** The next heartbeat on `link` (polls while waiting on poll); fails when none comes in time. */
async function nextHeartbeat(ctx: TransportContext, link: Link): Promise<{ frame: Link['log'][number]; ms: number }> {
  const { heartbeatMs, holdMs } = ctx.timers;
  const every = ctx.kind === 'poll' ? holdMs : heartbeatMs;
  if (every > MAX_WAIT_MS) skip(`${ctx.kind === 'poll' ? `the poll hold is ${holdMs}` : `the heartbeat interval is ${heartbeatMs}`} ms, too long to wait for in a check; run the server with test timers and pass --timers`);
  const from = link.log.length;
  const t0 = Date.now();
  const until = t0 + every + ctx.timeoutMs;
  while (Date.now() < until) {
    const hb = link.log.slice(from).find((r) => r.frame.type === HEARTBEAT);
    if (hb) return { frame: hb, ms: Date.now() - t0 };
    const r = await link.next(Math.min(200, until - Date.now()));
    if (r && !r.data) fail(`while waiting for a heartbeat, ${describe(r)} came${ctx.endText(link)}`);
    if (link.ended) break;
  }
  const polls = ctx.kind === 'poll' ? `, ${(link as PollLink).polls} polls` : '';
  fail(`no protocol.heartbeat within ${every + ctx.timeoutMs} ms (${ctx.kind === 'poll' ? 'poll hold' : 'heartbeat_ms'} ${every}${polls})${ctx.endText(link)}`);
}

export const sequenceChecks: readonly TransportCheck[] = [
  transportCheck({
    id: 'seq-fresh-gap-free',
    statement: 'Q2.1',
    sentence: 'The first data message of a fresh session has seq 1, the seqs after it rise by one with no gap, and each trigger produces exactly `produces` messages.',
    async run(ctx) {
      const { link } = await ctx.openSession();
      const n = 2 * ctx.produces;
      await ctx.trigger(link, 2);
      const data = await ctx.takeData(link, n, 'two triggers');
      const seqs = data.map(seqOf);
      const want = range(ctx.origin, ctx.origin + n - 1);
      if (!sameList(seqs, want)) fail(`two triggers gave seqs ${seqRange(seqs)}; expected ${seqRange(want)}`);
      const extra = (await ctx.quiet(link)).filter((r) => r.data);
      if (extra.length > 0) fail(`two triggers gave more than 2 × produces = ${n} data messages: ${seqRange(seqs)}, then ${describeAll(extra)}`);
      return `2 triggers → ${seqRange(seqs)}, nothing more`;
    },
  }),
  transportCheck({
    id: 'seq-per-session',
    statement: 'Q2.2',
    sentence: 'seq counts per session: a session opened after another one has produced data still starts at seq 1.',
    async run(ctx) {
      const a = await ctx.openSession();
      await ctx.trigger(a.link, 2);
      await ctx.takeData(a.link, 2 * ctx.produces, 'two triggers on the first session');
      const b = await ctx.openSession();
      await ctx.trigger(b.link);
      const seqs = (await ctx.takeData(b.link, ctx.produces, 'a trigger on the second session')).map(seqOf);
      const want = range(ctx.origin, ctx.origin + ctx.produces - 1);
      if (!sameList(seqs, want)) fail(`the second session got seqs ${seqRange(seqs)}; expected ${seqRange(want)} (its own count)`);
      return `second session: ${seqRange(seqs)}`;
    },
  }),
  transportCheck({
    id: 'refused-frame-no-seq',
    statement: 'Q2.3',
    sentence: 'A client frame the server refuses as invalid produces nothing and takes no seq: the next data is still seq 1.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      const bad = { ...ctx.triggerFrame(session.id), payload: 42 };
      if (ctx.kind === 'websocket') await expectWsErrorOpen(ctx, link, await wsAnswer(ctx, link, bad, 'a trigger with payload 42'), 'invalid_message', 'a trigger with payload 42');
      else postRefusal((await link.send(bad))!, 'invalid_message', 400, 'a trigger with payload 42');
      await ctx.trigger(link);
      const [first] = await ctx.takeData(link, 1, 'a proper trigger after the refused one');
      if (seqOf(first!) !== ctx.origin) fail(`after the refused frame the first data is ${describe(first)}; expected seq ${ctx.origin}`);
      return `invalid_message, then seq ${ctx.origin}`;
    },
  }),
  transportCheck({
    id: 'heartbeat-arrives',
    statement: 'Q4.1',
    sentence: 'An attached, idle session gets protocol.heartbeat at least every heartbeat_ms (poll: an answer after the hold with nothing newer is { "frames": [protocol.heartbeat] }).',
    async run(ctx) {
      const { link } = await ctx.openSession();
      const first = await nextHeartbeat(ctx, link);
      const second = await nextHeartbeat(ctx, link);
      if (ctx.kind === 'poll') {
        const statuses = (link as PollLink).statuses;
        if (statuses.some((s) => s !== 200)) fail(`poll answers came with HTTP ${statuses.join(', ')}`);
      }
      return `two heartbeats, ${first.ms} and ${second.ms} ms apart (${ctx.kind === 'poll' ? 'hold' : 'heartbeat_ms'} ${ctx.kind === 'poll' ? ctx.timers.holdMs : ctx.timers.heartbeatMs})`;
    },
  }),
  transportCheck({
    id: 'heartbeat-latest-seq',
    statement: 'Q4.2',
    sentence: 'A heartbeat names the session in its header and carries the session’s newest seq as latest_seq.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      await ctx.trigger(link);
      await ctx.takeData(link, ctx.produces, 'the trigger');
      const latest = ctx.origin - 1 + ctx.produces;
      const { frame } = await nextHeartbeat(ctx, link);
      if (frame.frame.payload.latest_seq !== latest) fail(`the heartbeat says latest_seq ${JSON.stringify(frame.frame.payload.latest_seq)}; the session's newest seq is ${latest}`);
      if (frame.frame.header.session_id !== session.id) fail(`the heartbeat's header names session ${JSON.stringify(frame.frame.header.session_id)}`);
      return `latest_seq ${latest}, header.session_id the session's`;
    },
  }),
  transportCheck({
    id: 'ack-releases',
    statement: 'Q5.1',
    sentence: 'protocol.ack { last_seen_seq: k } releases every seq up to k: a later resume from below k gets window_exceeded with earliest_seq k + 1.',
    async run(ctx) {
      const { link, session, latest } = await twoTriggers(ctx);
      const k = latest - 1;
      await sendQuietly(ctx, link, ackFrame(session, k), `protocol.ack ${k}`);
      link.drop();
      return expectReleased(ctx, session, k, `protocol.ack ${k}`);
    },
  }),
  transportCheck({
    id: 'header-ack-releases',
    statement: 'Q5.2',
    sentence: 'header.ack: k on any client frame releases every seq up to k, like protocol.ack.',
    async run(ctx) {
      const { link, session, latest } = await twoTriggers(ctx);
      const k = latest - 1;
      const frame = ctx.triggerFrame(session.id) as { header: Record<string, unknown> };
      await ctx.sendAndRead(link, { ...frame, header: { ...frame.header, ack: k } });
      // Poll does not read on: its next cursor would acknowledge by itself (Q5.3).
      if (ctx.kind !== 'poll') await ctx.dataUntil(link, latest + ctx.produces, 'the trigger that carried header.ack');
      else await ctx.pause(ctx.quietMs);
      link.drop();
      return expectReleased(ctx, session, k, `header.ack ${k}`);
    },
  }),
  transportCheck({
    id: 'resume-cursor-acks',
    statement: 'Q5.3',
    sentence: 'A resume’s cursor acknowledges: after a resume from k, a resume from below k gets window_exceeded with earliest_seq k + 1.',
    async run(ctx) {
      const { link, session, latest } = await twoTriggers(ctx);
      link.drop();
      const k = latest - 1;
      const resumed = await ctx.resume(session, k);
      await resumedHead(ctx, resumed, `a resume from ${k}`);
      await ctx.dataUntil(resumed, latest, `the replay from ${k}`);
      resumed.drop();
      return expectReleased(ctx, session, k, `a resume from ${k}`);
    },
  }),
  transportCheck({
    id: 'ack-ahead',
    statement: 'Q5.4',
    sentence: 'An acknowledgement above latest_seq is no error: it releases up to latest_seq, and a resume from latest_seq still succeeds.',
    async run(ctx) {
      const { link, session, latest } = await twoTriggers(ctx);
      await sendQuietly(ctx, link, ackFrame(session, latest + 5), `protocol.ack ${latest + 5} (latest_seq ${latest})`);
      link.drop();
      const resumed = await ctx.resume(session, latest);
      const hello = await resumed.next(ctx.timeoutMs);
      const ok = hello?.frame.type === 'protocol.hello' ? await resumed.next(ctx.timeoutMs) : hello;
      if (ok?.frame.type !== 'protocol.resumed') fail(`after an ack above latest_seq, a resume from ${latest} was answered with ${describeAll(resumed.log)}${ctx.endText(resumed)}`);
      return `ack ${latest + 5} accepted; resume from ${latest} → resumed`;
    },
  }),
];
