/**
 * R2–R4: what a resume is answered with — the exact replay, the bounded window and its
 * refusals — and the one cursor on every transport (wire.md §6, §8).
 */
import { describe, describeAll, fail, randomToken, range, sameList, seqOf, seqRange, type SessionRef, type TransportContext } from '../context.js';
import { framesOf, type Link, type Received } from '../link.js';
import type { PollLink } from '../poll-link.js';
import { ackFrame, sendQuietly } from './sequence.js';
import { expectPollError, expectRefusal, readRefusal, oneTrigger, otherKind, resumedHead, skip, transportCheck, type TransportCheck } from './check.js';

/**
 * A session that has produced more data than the replay window holds (R3), then detached.
 * WebSocket and SSE wait until all of it arrived (and keep each frame's size, R3.4); poll does
 * not poll (a cursor would release it).
 */
function overfilled(ctx: TransportContext): Promise<{ session: SessionRef; latest: number; sizes: ReadonlyMap<number, number> }> {
  return ctx.memo('overfilled', async () => {
    const { link, session } = await ctx.openSession();
    const max = ctx.spec.model.replayWindow.maxMessages;
    const triggers = Math.ceil((max + 1) / ctx.produces) + 1;
    await ctx.trigger(link, triggers);
    const latest = ctx.origin - 1 + triggers * ctx.produces;
    const sizes = new Map<number, number>();
    // Counted, not read by seq: a server that forgets seq fails Q1, not this setup.
    if (ctx.kind !== 'poll') {
      for (const r of await ctx.takeData(link, triggers * ctx.produces, `${triggers} triggers (more than the window of ${max})`)) {
        const seq = seqOf(r);
        if (seq !== undefined && r.bytes !== undefined) sizes.set(seq, r.bytes);
      }
    }
    link.drop();
    return { session, latest, sizes };
  });
}

/** Tries a resume from cursor 0 of the overfilled session at most this many times while poll's server is still producing. */
const MAX_TRIES = 8;

/** R3: resumes the overfilled session from cursor 0 once the server has produced all of it; the link and its first frame. */
async function resumeFromZero(ctx: TransportContext): Promise<{ link: Link; first: Received | undefined; latest: number }> {
  const { session, latest } = await overfilled(ctx);
  for (let attempt = 1; ; attempt++) {
    const link = await ctx.resume(session, 0);
    const first = await link.next(ctx.timeoutMs);
    // The hello of a resume, or its refusal (window_exceeded), says how far the server has got.
    const said = first?.frame.type === 'protocol.hello' || first?.frame.type === 'protocol.resume_failed' ? first.frame.payload.latest_seq : undefined;
    const behind = typeof said === 'number' && said < latest;
    // Poll did not wait for the data: while the server is still producing, ask again (bounded).
    if (!behind || attempt >= MAX_TRIES) return { link, first, latest };
    link.drop();
    await ctx.pause(100 * attempt);
  }
}

/** R3: earliest_seq of the overfilled session, from a refused resume at cursor 0. */
function earliestSeq(ctx: TransportContext): Promise<{ session: SessionRef; latest: number; earliest: number }> {
  return ctx.memo('earliest', async () => {
    const { session } = await overfilled(ctx);
    const { link, first, latest } = await resumeFromZero(ctx);
    const refusal = await expectRefusal(ctx, link, { type: 'protocol.resume_failed', code: 'window_exceeded', close: 'resume_failed', what: `a resume from cursor 0 after ${latest} messages` }, first);
    link.drop();
    const earliest = refusal.frame.payload.earliest_seq;
    if (typeof earliest !== 'number' || !Number.isInteger(earliest) || earliest <= ctx.origin || earliest > latest) {
      fail(`resume_failed window_exceeded carries earliest_seq ${JSON.stringify(earliest)}; after ${latest} messages with a window of ${ctx.spec.model.replayWindow.maxMessages} it must be an integer in ${ctx.origin + 1}..${latest} (R3)`);
    }
    if (refusal.frame.payload.latest_seq !== latest) fail(`resume_failed window_exceeded carries latest_seq ${JSON.stringify(refusal.frame.payload.latest_seq)}; the session's newest seq is ${latest}`);
    return { session, latest, earliest };
  });
}

/** R4.3: a cursor that is not a canonical decimal integer from 0 to 2^53 - 1. */
const BAD_CURSORS: readonly { readonly id: string; readonly value: string; readonly what: string }[] = [
  { id: 'leading-zero', value: '05', what: 'a leading zero' },
  { id: 'plus', value: '+5', what: 'a plus sign' },
  { id: 'negative', value: '-1', what: 'a negative number' },
  { id: 'fraction', value: '1.5', what: 'a fraction' },
  { id: 'too-large', value: '9007199254740992', what: '2^53' },
  { id: 'letters', value: 'abc', what: 'letters' },
  { id: 'empty', value: '', what: 'an empty value' },
];

export const replayChecks: readonly TransportCheck[] = [
  transportCheck({
    id: 'resume-replays-missed',
    statement: 'R2.1',
    sentence: 'A resume from cursor k answers hello, then protocol.resumed { from_seq: k+1 }, then exactly the data k+1..latest in order, then live data: none lost, none repeated.',
    async run(ctx) {
      const p = ctx.produces;
      const { link, session } = await ctx.openSession();
      await ctx.trigger(link);
      const first = await ctx.takeData(link, p, 'the first trigger');
      if (!sameList(first.map(seqOf), range(ctx.origin, ctx.origin + p - 1))) fail(`the first trigger gave seqs ${seqRange(first.map(seqOf))}`);
      // The client has processed only part of what it got (poll: at least what its cursor acknowledged).
      const acked = ctx.kind === 'poll' ? (link as PollLink).acked : 0;
      const k = Math.max(ctx.origin - 1 + Math.ceil(p / 2), acked);
      // One more trigger while the client is away: sent, then the socket closed (WebSocket); the stream dropped, then POSTed (SSE, poll).
      if (ctx.kind === 'websocket') {
        await ctx.trigger(link);
        link.close();
      } else {
        link.drop();
        await ctx.trigger(link, 1, session);
      }
      const latest = ctx.origin - 1 + 2 * p;
      const resumed = await ctx.resume(session, k);
      const { hello, resumed: ok } = await resumedHead(ctx, resumed, `the resume from ${k}`);
      if (hello.frame.payload.session_id !== session.id) fail(`the resume from ${k} got a hello for another session`);
      if (ok.frame.payload.from_seq !== k + 1) fail(`the resume from ${k} was answered with ${describeAll(resumed.log)}; expected protocol.resumed { from_seq: ${k + 1} }`);
      const replay = await ctx.dataUntil(resumed, latest, `after resumed`);
      await ctx.trigger(resumed, 1, session);
      const live = await ctx.dataUntil(resumed, latest + p, 'a live trigger after the resume');
      const seqs = [...replay, ...live].map(seqOf);
      const want = range(k + 1, latest + p);
      if (!sameList(seqs, want)) fail(`resume from ${k}: got ${seqRange(seqs)}; expected exactly ${seqRange(want)}`);
      const extra = (await ctx.quiet(resumed)).filter((r) => r.data);
      if (extra.length > 0) fail(`resume from ${k}: after ${seqRange(seqs)} came ${describeAll(extra)}`);
      return `from ${k}: resumed {from_seq ${k + 1}}, then ${seqRange(seqs)} (replay, live)`;
    },
  }),
  transportCheck({
    id: 'resumed-latest-seq',
    statement: 'R2.2',
    sentence: 'protocol.resumed carries the hello’s latest_seq (the newest seq) in its payload and its header, and the session’s id in its header.',
    async run(ctx) {
      const { session, latest, acked } = await oneTrigger(ctx);
      const link = await ctx.resume(session, acked);
      const { hello, resumed } = await resumedHead(ctx, link, `a resume from ${acked}`);
      const got = { hello: hello.frame.payload.latest_seq, payload: resumed.frame.payload.latest_seq, header: resumed.frame.header.latest_seq };
      if (got.hello !== latest || got.payload !== latest || got.header !== latest) fail(`latest_seq: hello ${JSON.stringify(got.hello)}, resumed payload ${JSON.stringify(got.payload)}, resumed header ${JSON.stringify(got.header)}; the newest seq is ${latest}`);
      if (resumed.frame.header.session_id !== session.id) fail(`resumed's header names session ${JSON.stringify(resumed.frame.header.session_id)}`);
      return `latest_seq ${latest} in hello, resumed payload and header`;
    },
  }),
  transportCheck({
    id: 'resume-cross-transport',
    statement: 'R2.3',
    sentence: 'A session opened on another transport resumes on this one with its data replayed.',
    async run(ctx) {
      const kind = otherKind(ctx);
      if (!kind) skip('the spec declares only one transport');
      const other = ctx.other(kind);
      const { link, session } = await other.openSession();
      await other.trigger(link);
      await other.takeData(link, other.produces, `the trigger over ${kind}`);
      link.drop();
      const latest = ctx.origin - 1 + ctx.produces;
      const resumed = await ctx.resume(session, ctx.origin);
      await resumedHead(ctx, resumed, `a resume over ${ctx.kind} of a session from ${kind}`);
      const seqs = (await ctx.dataUntil(resumed, latest, 'the replay')).map(seqOf);
      if (!sameList(seqs, range(ctx.origin + 1, latest))) fail(`the replay was ${seqRange(seqs)}; expected ${ctx.origin + 1}..${latest}`);
      return `opened on ${kind}, resumed here: ${seqRange(seqs)}`;
    },
  }),
  transportCheck({
    id: 'refused-resume-harmless',
    statement: 'R2.4',
    sentence: 'A refused resume (wrong token, cursor ahead) leaves the session as it was: the attachment in place keeps getting its data, and a correct resume afterwards succeeds.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      for (const [what, ref, cursor] of [
        ['a wrong token', { id: session.id, token: randomToken(session.token.length) }, 0],
        ['a cursor ahead', session, 99],
      ] as const) {
        const r = await ctx.resume(ref, cursor);
        const frames = await readRefusal(ctx, r);
        if (!frames.some((f) => f.frame.type === 'protocol.resume_failed')) fail(`a resume with ${what} was answered with ${describeAll(frames)}${ctx.endText(r)}; expected resume_failed`);
        r.drop();
      }
      await ctx.trigger(link, 1, session);
      const data = await ctx.takeData(link, ctx.produces, 'a trigger on the attachment in place, after the refused resumes');
      if (seqOf(data[0]!) !== ctx.origin) fail(`the attachment in place got ${describe(data[0])} first; expected seq ${ctx.origin}`);
      link.drop();
      const again = await ctx.resume(session, ctx.origin - 1 + ctx.produces);
      await resumedHead(ctx, again, 'a correct resume after the refused ones');
      return 'refusals left the attachment its data; a correct resume succeeds';
    },
  }),
  transportCheck({
    id: 'resume-window-exceeded',
    statement: 'R3.1',
    sentence: 'After more data than the replay window holds, a resume from cursor 0 gets resume_failed window_exceeded with earliest_seq and latest_seq and no data (WebSocket: close 4003; poll: 410).',
    async run(ctx) {
      const { earliest, latest } = await earliestSeq(ctx);
      return `cursor 0 after ${latest} → window_exceeded, earliest_seq ${earliest}${ctx.kind === 'poll' ? ' (HTTP 410)' : ''}`;
    },
  }),
  transportCheck({
    id: 'resume-before-window',
    statement: 'R3.1',
    sentence: 'A resume from a cursor just before the window (earliest_seq - 2) gets window_exceeded (poll: 410).',
    async run(ctx) {
      const { session, earliest } = await earliestSeq(ctx);
      const cursor = earliest - 2;
      const link = await ctx.resume(session, cursor);
      await expectRefusal(ctx, link, { type: 'protocol.resume_failed', code: 'window_exceeded', close: 'resume_failed', what: `a resume from cursor ${cursor} (earliest_seq ${earliest} - 2)` });
      return `cursor ${cursor} → window_exceeded${ctx.statusOf(link)}`;
    },
  }),
  transportCheck({
    id: 'resume-window-edge',
    statement: 'R3.2',
    sentence: 'A resume from earliest_seq - 1, the oldest cursor the window serves, replays exactly earliest_seq..latest.',
    async run(ctx) {
      const { session, earliest, latest } = await earliestSeq(ctx);
      const cursor = earliest - 1;
      const link = await ctx.resume(session, cursor);
      const { resumed } = await resumedHead(ctx, link, `a resume from ${cursor}`);
      if (resumed.frame.payload.from_seq !== earliest) fail(`a resume from ${cursor} got ${describe(resumed)}; expected from_seq ${earliest}`);
      const data = await ctx.takeData(link, latest - earliest + 1, `the replay from ${cursor}`);
      const seqs = data.map(seqOf);
      if (!sameList(seqs, range(earliest, latest))) fail(`a resume from ${cursor} replayed ${seqRange(seqs)}; expected ${earliest}..${latest}`);
      return `cursor ${cursor} → replayed ${earliest}..${latest}`;
    },
  }),
  transportCheck({
    id: 'resume-invalid-cursor',
    statement: 'R3.3',
    sentence: 'A resume from a cursor ahead of latest_seq gets resume_failed invalid_cursor with earliest_seq and latest_seq (WebSocket: close 4003; poll: 400).',
    async run(ctx) {
      const { session, latest, acked } = await oneTrigger(ctx);
      const cursor = latest + 1;
      const resumed = await ctx.resume(session, cursor);
      const refusal = await expectRefusal(ctx, resumed, { type: 'protocol.resume_failed', code: 'invalid_cursor', close: 'resume_failed', what: `a resume from cursor ${cursor} (latest_seq ${latest})` });
      const p = refusal.frame.payload;
      if (p.latest_seq !== latest || p.earliest_seq !== acked + 1) fail(`invalid_cursor carries earliest_seq ${JSON.stringify(p.earliest_seq)}, latest_seq ${JSON.stringify(p.latest_seq)}; expected ${acked + 1} and ${latest}`);
      return `cursor ${cursor} > latest_seq ${latest} → invalid_cursor${ctx.statusOf(resumed)}`;
    },
  }),
  transportCheck({
    id: 'window-bounds',
    statement: 'R3.4',
    only: ['websocket', 'sse'],
    sentence: 'The window holds the newest data that fits both bounds (maxMessages, and maxBytes of frame text): earliest_seq is the smallest seq whose run to latest_seq fits both.',
    async run(ctx) {
      const { earliest, latest } = await earliestSeq(ctx);
      const { sizes } = await overfilled(ctx);
      const { maxMessages, maxBytes } = ctx.spec.model.replayWindow;
      let e = latest + 1;
      let bytes = 0;
      while (e - 1 >= ctx.origin && latest - (e - 1) + 1 <= maxMessages) {
        const size = sizes.get(e - 1);
        if (size === undefined) fail(`the size of seq ${e - 1} is unknown: the data of the setup did not all arrive`);
        if (bytes + size > maxBytes) break;
        bytes += size;
        e--;
      }
      if (earliest !== e) fail(`earliest_seq is ${earliest}; ${e}..${latest} is the longest run that fits ${maxMessages} messages and ${maxBytes} bytes (${bytes} bytes)`);
      return `earliest_seq ${earliest}: ${latest - e + 1} messages, ${bytes} bytes within ${maxMessages} / ${maxBytes}`;
    },
  }),
  transportCheck({
    id: 'earliest-empty-window',
    statement: 'R3.5',
    sentence: 'When everything was acknowledged and the window holds nothing, a resume from an older cursor says earliest_seq = latest_seq + 1.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      await ctx.trigger(link);
      await ctx.takeData(link, ctx.produces, 'the trigger');
      const latest = ctx.origin - 1 + ctx.produces;
      await sendQuietly(ctx, link, ackFrame(session, latest), `protocol.ack ${latest}`);
      link.drop();
      const r = await ctx.resume(session, ctx.origin - 1);
      const refusal = await expectRefusal(ctx, r, { type: 'protocol.resume_failed', code: 'window_exceeded', close: 'resume_failed', what: `a resume from ${ctx.origin - 1} after acknowledging ${latest}` });
      if (refusal.frame.payload.earliest_seq !== latest + 1) fail(`with an empty window, earliest_seq is ${JSON.stringify(refusal.frame.payload.earliest_seq)}; expected latest_seq + 1 = ${latest + 1}`);
      return `empty window → earliest_seq ${latest + 1}`;
    },
  }),
  transportCheck({
    id: 'poll-cursor-after',
    statement: 'R4.2',
    only: ['poll'],
    sentence: 'A poll answers exactly the data after its cursor, in order, from cursor + 1.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      await ctx.trigger(link, 2);
      const latest = ctx.origin - 1 + 2 * ctx.produces;
      const k = ctx.origin - 1 + ctx.produces;
      // Let the server produce everything before asking (the link itself has not polled).
      await ctx.pause(ctx.quietMs);
      const a = await ctx.http('GET', ctx.path(), { query: `session_id=${encodeURIComponent(session.id)}&cursor=${k}`, headers: { "resume-token": session.token } });
      const frames = (framesOf(a.json) ?? []) as { header?: { seq?: unknown } }[];
      const seqs = frames.map((f) => (typeof f?.header?.seq === 'number' ? f.header.seq : undefined));
      if (a.status !== 200 || !sameList(seqs, range(k + 1, latest))) fail(`a poll with cursor ${k}: HTTP ${a.status}, seqs ${seqRange(seqs)}; expected 200 with ${k + 1}..${latest}`);
      return `cursor ${k} → ${k + 1}..${latest}`;
    },
  }),
  ...BAD_CURSORS.map((c) =>
    transportCheck({
      id: `cursor-syntax-${c.id}`,
      statement: 'R4.3',
      only: ['sse', 'poll'],
      sentence: `A cursor with ${c.what} (${JSON.stringify(c.value)}) is refused with invalid_message (SSE: the only event, path /last_seen_seq; poll: 400, path /cursor).`,
      async run(ctx) {
        const { link, session } = await ctx.openSession();
        link.drop();
        if (ctx.kind === 'poll') {
          const a = await ctx.http('GET', ctx.path(), { query: `session_id=${encodeURIComponent(session.id)}&cursor=${encodeURIComponent(c.value)}`, headers: { "resume-token": session.token } });
          expectPollError(a, 400, 'invalid_message', '/cursor');
          return `cursor=${c.value} → 400 invalid_message at /cursor`;
        }
        const sse = await ctx.open({ query: { session_id: session.id, resume_token: session.token, last_seen_seq: c.value } });
        const error = await expectRefusal(ctx, sse, { type: 'protocol.error', code: 'invalid_message', what: `last_seen_seq=${c.value}` });
        if (error.frame.payload.path !== '/last_seen_seq') fail(`invalid_message with path ${JSON.stringify(error.frame.payload.path)}; expected /last_seen_seq`);
        return `last_seen_seq=${c.value} → invalid_message at /last_seen_seq`;
      },
    }),
  ),
];
