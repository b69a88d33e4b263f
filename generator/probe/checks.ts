/**
 * Probe stage 4 — checks: what `contractgen probe` verifies of a live server, as a list keyed by a
 * readable sentence and the DESIGN.md rule it traces to. Every number comes from the spec (the
 * versions, the replay window, the seq origin, `produces`, `maxLimit`, the id and token bits),
 * never from this file. Transport checks run once per transport; the last four read everything
 * the transport delivered. History checks run once per log of x-contract.conformance.history.
 */
import type { RuleId } from '../trace.js';
import type { TransportKind } from '../model.js';
import { clip, type Link, type Received } from './link.js';
import type { PollLink } from './poll-link.js';
import {
  describe,
  describeAll,
  fail,
  randomToken,
  range,
  sameList,
  seqOf,
  seqRange,
  type HistoryAnswer,
  type HistoryContext,
  type SessionRef,
  type TransportContext,
} from './context.js';
import type { ProbeSpec } from './spec.js';

interface CheckBase {
  /** Stable id, shown in the table and used by --json and tests. */
  readonly id: string;
  /** The DESIGN.md rule it traces to. */
  readonly rule: RuleId;
  /** What must hold, as one sentence. */
  readonly sentence: string;
}

export interface TransportCheck extends CheckBase {
  readonly scope: 'transport';
  /** Only on these transports (default: every transport probed). */
  readonly only?: readonly TransportKind[];
  /** Returns the evidence of a pass; throws ProbeFailure with the evidence of a failure. */
  run(ctx: TransportContext): Promise<string>;
}

export interface HistoryCheck extends CheckBase {
  readonly scope: 'history';
  /** Only when the spec makes the check meaningful (a maxLimit, a closed query schema). */
  readonly when?: (ctx: HistoryContext) => boolean;
  run(ctx: HistoryContext): Promise<string>;
}

export type ProbeCheck = TransportCheck | HistoryCheck;

// ---------------------------------------------------------------------------------------------
// Helpers shared by several checks

const sameSet = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

/** `major.minor` one major above everything the spec speaks: a version no server of it supports. */
function unknownVersion(spec: ProbeSpec): string {
  const majors = spec.model.protocolVersions.map((v) => Number(v.split('.')[0]) || 0);
  return `${Math.max(0, ...majors) + 1}.0`;
}

/** The first frame of a refusal must be resume_failed with `reason`, with no data at all (R3: never a partial replay). */
async function expectResumeFailed(ctx: TransportContext, link: Link, reason: string, status: number, what: string, taken?: Received): Promise<Received> {
  const frames = taken ? [taken, ...(await ctx.quiet(link))] : await ctx.answer(link);
  const first = frames[0];
  if (first?.frame.type !== 'protocol.resume_failed' || first.frame.payload.reason !== reason) {
    fail(`${what} was answered with ${describeAll(frames)}${ctx.endText(link)}; expected resume_failed ${reason}`);
  }
  const data = frames.filter((f) => f.data);
  if (data.length > 0) fail(`${what}: resume_failed ${reason}, but data came with it (${describeAll(data)}): a partial replay`);
  if (ctx.kind === 'poll' && link.status !== status) fail(`${what}: resume_failed ${reason} came with HTTP ${link.status}; the contract answers it with ${status} on poll`);
  return first;
}

/**
 * A session that has produced more data than the replay window holds (R3), then detached.
 * WebSocket and SSE wait until all of it arrived; poll does not poll (a cursor would release it).
 */
function overfilled(ctx: TransportContext): Promise<{ session: SessionRef; latest: number }> {
  return ctx.memo('overfilled', async () => {
    const { link, session } = await ctx.openSession();
    const max = ctx.spec.model.replayWindow.maxMessages;
    const triggers = Math.ceil((max + 1) / ctx.produces) + 1;
    await ctx.trigger(link, triggers);
    const latest = ctx.origin - 1 + triggers * ctx.produces;
    // Counted, not read by seq: a server that forgets seq fails Q1, not this setup.
    if (ctx.kind !== 'poll') await ctx.takeData(link, triggers * ctx.produces, `${triggers} triggers (more than the window of ${max})`);
    link.drop();
    return { session, latest };
  });
}

/** R3: resumes the overfilled session from cursor 0 once the server has produced all of it; the link and its first frame. */
async function resumeFromZero(ctx: TransportContext): Promise<{ link: Link; first: Received | undefined; latest: number }> {
  const { session, latest } = await overfilled(ctx);
  const until = Date.now() + ctx.timeoutMs * 4;
  for (;;) {
    const link = await ctx.resume(session, 0);
    const first = await link.next(ctx.timeoutMs);
    const behind = first?.frame.type === 'protocol.hello' && typeof first.frame.payload.latest_seq === 'number' && first.frame.payload.latest_seq < latest;
    // Poll did not wait for the data: while the server is still producing, ask again.
    if (!behind || Date.now() > until) return { link, first, latest };
    link.drop();
    await ctx.pause(50);
  }
}

/** R3: earliest_seq of the overfilled session, from a refused resume at cursor 0. */
function earliestSeq(ctx: TransportContext): Promise<{ session: SessionRef; latest: number; earliest: number }> {
  return ctx.memo('earliest', async () => {
    const { session } = await overfilled(ctx);
    const { link, first, latest } = await resumeFromZero(ctx);
    if (!first) fail(`a resume from cursor 0 after ${latest} messages got no answer within ${ctx.timeoutMs} ms${ctx.endText(link)}`);
    const refusal = await expectResumeFailed(ctx, link, 'window_exceeded', 410, `a resume from cursor 0 after ${latest} messages`, first);
    link.drop();
    const earliest = refusal.frame.payload.earliest_seq;
    if (typeof earliest !== 'number' || !Number.isInteger(earliest) || earliest <= ctx.origin || earliest > latest) {
      fail(`resume_failed window_exceeded carries earliest_seq ${JSON.stringify(earliest)}; after ${latest} messages with a window of ${ctx.spec.model.replayWindow.maxMessages} it must be an integer in ${ctx.origin + 1}..${latest} (R3)`);
    }
    return { session, latest, earliest };
  });
}

/** S2: sends a trigger whose session is `sessionId` (null: none) and expects a typed refusal and no data. */
async function expectNoImplicitSession(ctx: TransportContext, sessionId: string | null, codes: readonly string[], what: string): Promise<string> {
  const { link, session } = await ctx.openSession();
  const frame = ctx.triggerFrame(sessionId);
  const refusals: string[] = [];
  const check = (frames: readonly { type: string; payload: Readonly<Record<string, unknown>> }[], status: number | undefined, how: string): void => {
    const error = frames.find((f) => f.type === 'protocol.error');
    if (status !== undefined && (status < 400 || status > 499)) fail(`${what} ${how} was answered with HTTP ${status}${error ? '' : ' and no protocol.error'}: the server accepted it`);
    if (!error) fail(`${what} ${how} got no protocol.error${status === undefined ? ` within ${ctx.timeoutMs} ms` : ''}: the server accepted it`);
    if (!codes.includes(String(error.payload.code))) fail(`${what} ${how} was refused with ${String(error.payload.code)}; S2 expects ${codes.join(' or ')}`);
    refusals.push(`${String(error.payload.code)}${status !== undefined ? ` (HTTP ${status})` : ''}`);
  };
  if (ctx.kind === 'websocket') {
    const { frames } = await ctx.sendAndRead(link, frame);
    check(frames.map((f) => f.frame), undefined, 'on the session’s socket');
  } else {
    const withToken = await link.send(frame, { token: session.token });
    check(withToken!.frames, withToken!.status, 'POSTed with the session’s token');
    const without = await link.send(frame, { token: null });
    check(without!.frames, without!.status, 'POSTed without a token');
  }
  const stray = (await ctx.quiet(link)).filter((r) => r.data);
  if (stray.length > 0) fail(`${what} was refused, yet data arrived on the session: ${describeAll(stray)}`);
  // The session itself is untouched: its first data is still the first seq.
  await ctx.trigger(link, 1, session);
  const [first] = await ctx.takeData(link, 1, 'a proper trigger afterwards');
  const seq = seqOf(first!);
  // Without a seq (a Q1 failure of its own) there is no telling; with one, it must be the first.
  if (seq !== undefined && seq !== ctx.origin) fail(`after the refused frame, the session's first data message is ${describe(first)}; expected seq ${ctx.origin}: the refused frame produced data`);
  return `${[...new Set(refusals)].join(', ')}; no data${seq === undefined ? '' : `; next seq ${seq}`}`;
}

/** A refusal in a few words, with the message texts (where an oracle usually hides). */
function refusalText(ctx: TransportContext, link: Link | undefined, frames: readonly { type: string; payload: Readonly<Record<string, unknown>> }[], status?: number): string {
  const parts = frames.map((f) => `${describe({ frame: { ...f, header: {} }, data: false, sessionId: undefined })}${typeof f.payload.message === 'string' ? ` "${clip(f.payload.message, 60)}"` : ''}`);
  if (link && ctx.kind === 'websocket') parts.push(`close ${String(link.ended?.code)} "${link.ended?.reason ?? ''}"`);
  const code = status ?? (link && ctx.kind !== 'websocket' ? link.status : undefined);
  if (code !== undefined) parts.push(`HTTP ${code}`);
  return parts.join(', ') || 'nothing';
}

/** One WebSocket close, SSE status or poll status, and the frames: what two refusals must share (S3). */
function fingerprint(ctx: TransportContext, link: Link, frames: readonly Received[]): string {
  const end = ctx.kind === 'websocket' ? { code: link.ended?.code, reason: link.ended?.reason } : { status: link.status };
  return JSON.stringify({ frames: frames.map((f) => f.frame), ...end });
}

// ---------------------------------------------------------------------------------------------
// Transport checks

export const transportChecks: readonly TransportCheck[] = [
  {
    id: 'hello-fields',
    rule: 'H1',
    scope: 'transport',
    sentence: 'The first frame of a new session is protocol.hello with the negotiated version, session_id, resume_token, latest_seq 0, and the replay window, heartbeat, TTL, transports and capabilities the spec declares.',
    async run(ctx) {
      const { link, hello } = await ctx.openSession();
      const m = ctx.spec.model;
      const p = hello.frame.payload;
      const wrong: string[] = [];
      const expect = (name: string, got: unknown, want: unknown): void => {
        if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${name} is ${JSON.stringify(got)}, the spec says ${JSON.stringify(want)}`);
      };
      if (link.log[0]?.frame.type !== 'protocol.hello') wrong.push(`the first frame is ${describe(link.log[0])}`);
      expect('protocol_version', p.protocol_version, m.protocolVersions[m.protocolVersions.length - 1]);
      if (typeof p.session_id !== 'string') wrong.push('session_id is missing');
      if (typeof p.resume_token !== 'string') wrong.push('resume_token is missing');
      expect('latest_seq', p.latest_seq, ctx.origin - 1);
      expect('replay_window', p.replay_window, { max_messages: m.replayWindow.maxMessages, max_bytes: m.replayWindow.maxBytes });
      expect('heartbeat_ms', p.heartbeat_ms, m.heartbeatMs);
      expect('session_ttl_ms', p.session_ttl_ms, m.session.ttlMs);
      if (p.max_frame_bytes !== undefined) expect('max_frame_bytes', p.max_frame_bytes, m.maxFrameBytes);
      const transports = m.transports.map((t) => t.kind);
      if (!Array.isArray(p.transports) || !sameSet(p.transports, transports)) wrong.push(`transports is ${JSON.stringify(p.transports)}, the spec declares ${JSON.stringify(transports)}`);
      const missing = m.capabilities.filter((c) => !Array.isArray(p.capabilities) || !p.capabilities.includes(c));
      if (!Array.isArray(p.capabilities) || missing.length > 0) wrong.push(`capabilities ${JSON.stringify(p.capabilities)} lack ${missing.join(', ')}`);
      if (hello.frame.header.session_id !== undefined && hello.frame.header.session_id !== p.session_id) wrong.push('header.session_id differs from payload.session_id');
      if (wrong.length > 0) fail(wrong.join('; '));
      return `${String(p.protocol_version)}, latest_seq ${String(p.latest_seq)}, every parameter as in the spec`;
    },
  },
  {
    id: 'session-id-entropy',
    rule: 'S1',
    scope: 'transport',
    sentence: 'session_id and resume_token are URL-safe base64 of at least idBits and tokenBits bits (128 bits: ≥ 22 characters, 256 bits: ≥ 43), and no two sessions share either.',
    async run(ctx) {
      const { idBits, tokenBits } = ctx.spec.model.session;
      const minId = Math.ceil(idBits / 6);
      const minToken = Math.ceil(tokenBits / 6);
      const a = (await ctx.openSession()).session;
      const b = (await ctx.openSession()).session;
      const wrong: string[] = [];
      for (const s of [a, b]) {
        if (!/^[A-Za-z0-9_-]+$/.test(s.id) || s.id.length < minId) wrong.push(`session_id ${JSON.stringify(s.id)} is not base64url of ≥ ${minId} characters (${idBits} bits)`);
        if (!/^[A-Za-z0-9_-]+$/.test(s.token) || s.token.length < minToken) wrong.push(`a resume_token of ${s.token.length} characters is not base64url of ≥ ${minToken} (${tokenBits} bits)`);
        if (s.id === s.token) wrong.push('session_id equals resume_token');
      }
      if (a.id === b.id) wrong.push(`two sessions got the same session_id ${a.id}`);
      if (a.token === b.token) wrong.push('two sessions got the same resume_token');
      if (wrong.length > 0) fail(wrong.join('; '));
      return `ids ${a.id.length} chars (≥ ${minId}), tokens ${a.token.length} (≥ ${minToken}), all distinct`;
    },
  },
  {
    id: 'version-negotiation',
    rule: 'H2',
    scope: 'transport',
    sentence: 'The server picks the highest protocol version it shares with the client.',
    async run(ctx) {
      const versions = ctx.spec.model.protocolVersions;
      const highest = versions[versions.length - 1]!;
      const lowest = versions[0]!;
      const cases: [string, string][] = [
        [versions.join(','), highest],
        [lowest, lowest],
        [`${lowest},${unknownVersion(ctx.spec)}`, lowest],
      ];
      const seen: string[] = [];
      for (const [offer, want] of cases) {
        const link = await ctx.open({ versions: offer });
        const hello = await link.next(ctx.timeoutMs);
        const got = hello?.frame.type === 'protocol.hello' ? hello.frame.payload.protocol_version : undefined;
        if (got !== want) fail(`versions=${offer} was answered with ${hello?.frame.type === 'protocol.hello' ? `protocol_version ${JSON.stringify(got)}` : describeAll(link.log)}; expected ${want}`);
        seen.push(`${offer} → ${want}`);
        link.drop();
      }
      return seen.join('; ');
    },
  },
  {
    id: 'version-unsupported',
    rule: 'H2',
    scope: 'transport',
    sentence: 'A client that offers no version the spec lists gets protocol.error unsupported_version with the supported versions (poll: HTTP 400), and no session.',
    async run(ctx) {
      const offer = unknownVersion(ctx.spec);
      const link = await ctx.open({ versions: offer });
      const frames = await ctx.answer(link);
      const error = frames.find((f) => f.frame.type === 'protocol.error');
      if (frames.some((f) => f.frame.type === 'protocol.hello')) fail(`versions=${offer} opened a session: ${describeAll(frames)}`);
      if (!error || error.frame.payload.code !== 'unsupported_version') fail(`versions=${offer} was answered with ${describeAll(frames)}${ctx.endText(link)}; expected protocol.error unsupported_version`);
      const supported = error.frame.payload.supported_versions;
      const versions = ctx.spec.model.protocolVersions;
      if (!Array.isArray(supported) || !sameSet(supported, versions)) fail(`unsupported_version lists supported_versions ${JSON.stringify(supported)}; the spec speaks ${versions.join(', ')}`);
      if (ctx.kind === 'poll' && link.status !== 400) fail(`unsupported_version came with HTTP ${link.status}; the contract answers it with 400 on poll`);
      return `${offer} → unsupported_version [${versions.join(', ')}]${ctx.statusOf(link)}`;
    },
  },
  {
    id: 'seq-fresh-gap-free',
    rule: 'Q2',
    scope: 'transport',
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
  },
  {
    id: 'resume-replays-missed',
    rule: 'R2',
    scope: 'transport',
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
      const hello = await resumed.next(ctx.timeoutMs);
      if (hello?.frame.type !== 'protocol.hello' || hello.frame.payload.session_id !== session.id) fail(`the resume from ${k} was answered with ${describeAll(resumed.log)}${ctx.endText(resumed)}; expected a hello for the same session first (H1)`);
      const ok = await resumed.next(ctx.timeoutMs);
      if (ok?.frame.type !== 'protocol.resumed' || ok.frame.payload.from_seq !== k + 1) fail(`the resume from ${k} was answered with ${describeAll(resumed.log)}; expected protocol.resumed { from_seq: ${k + 1} }`);
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
  },
  {
    id: 'resume-window-exceeded',
    rule: 'R3',
    scope: 'transport',
    sentence: 'After more data than the replay window holds, a resume from cursor 0 is refused with resume_failed window_exceeded and earliest_seq (poll: HTTP 410), never a partial replay.',
    async run(ctx) {
      const { earliest, latest } = await earliestSeq(ctx);
      return `cursor 0 after ${latest} → window_exceeded, earliest_seq ${earliest}${ctx.kind === 'poll' ? ' (HTTP 410)' : ''}`;
    },
  },
  {
    id: 'resume-before-window',
    rule: 'R3',
    scope: 'transport',
    sentence: 'A resume from a cursor before the window (earliest_seq - 2) is refused with window_exceeded (poll: HTTP 410).',
    async run(ctx) {
      const { session, earliest } = await earliestSeq(ctx);
      const cursor = earliest - 2;
      const link = await ctx.resume(session, cursor);
      await expectResumeFailed(ctx, link, 'window_exceeded', 410, `a resume from cursor ${cursor} (earliest_seq ${earliest} - 2)`);
      return `cursor ${cursor} → window_exceeded${ctx.statusOf(link)}`;
    },
  },
  {
    id: 'resume-window-edge',
    rule: 'R3',
    scope: 'transport',
    sentence: 'A resume from earliest_seq - 1, the oldest cursor the window serves, replays exactly earliest_seq..latest.',
    async run(ctx) {
      const { session, earliest, latest } = await earliestSeq(ctx);
      const cursor = earliest - 1;
      const link = await ctx.resume(session, cursor);
      const hello = await link.next(ctx.timeoutMs);
      const ok = hello?.frame.type === 'protocol.hello' ? await link.next(ctx.timeoutMs) : hello;
      if (ok?.frame.type !== 'protocol.resumed' || ok.frame.payload.from_seq !== earliest) fail(`a resume from ${cursor} was answered with ${describeAll(link.log)}${ctx.endText(link)}; expected hello, then resumed { from_seq: ${earliest} }`);
      const data = await ctx.takeData(link, latest - earliest + 1, `the replay from ${cursor}`);
      const seqs = data.map(seqOf);
      if (!sameList(seqs, range(earliest, latest))) fail(`a resume from ${cursor} replayed ${seqRange(seqs)}; expected ${earliest}..${latest}`);
      return `cursor ${cursor} → replayed ${earliest}..${latest}`;
    },
  },
  {
    id: 'resume-invalid-cursor',
    rule: 'R3',
    scope: 'transport',
    sentence: 'A resume from a cursor ahead of latest_seq is refused with resume_failed invalid_cursor (poll: HTTP 400).',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      await ctx.trigger(link);
      await ctx.takeData(link, ctx.produces, 'the trigger');
      link.drop();
      const cursor = ctx.origin - 1 + ctx.produces + 1;
      const resumed = await ctx.resume(session, cursor);
      await expectResumeFailed(ctx, resumed, 'invalid_cursor', 400, `a resume from cursor ${cursor} (latest_seq ${cursor - 1})`);
      return `cursor ${cursor} > latest_seq ${cursor - 1} → invalid_cursor${ctx.statusOf(resumed)}`;
    },
  },
  {
    id: 'unknown-session-refused',
    rule: 'S3',
    scope: 'transport',
    sentence: 'A resume naming a session that does not exist is refused with resume_failed unknown_session (poll: HTTP 404).',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      link.drop();
      const fake = { id: randomToken(session.id.length), token: randomToken(session.token.length) };
      const resumed = await ctx.resume(fake, 0);
      await expectResumeFailed(ctx, resumed, 'unknown_session', 404, 'a resume of a made-up session');
      return `made-up session_id → unknown_session${ctx.statusOf(resumed)}`;
    },
  },
  {
    id: 'wrong-token-like-unknown',
    rule: 'S3',
    scope: 'transport',
    sentence: 'A resume with a real session_id and a wrong resume_token gets exactly the answer an unknown session gets (frames, status, close code): no oracle.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      link.drop();
      const wrong = await ctx.resume({ id: session.id, token: randomToken(session.token.length) }, 0);
      const wrongFrames = await ctx.answer(wrong);
      if (wrongFrames.some((f) => f.frame.type === 'protocol.hello' || f.frame.type === 'protocol.resumed')) fail(`a wrong resume_token resumed the session: ${describeAll(wrongFrames)}`);
      const unknown = await ctx.resume({ id: randomToken(session.id.length), token: randomToken(session.token.length) }, 0);
      const unknownFrames = await ctx.answer(unknown);
      const a = fingerprint(ctx, wrong, wrongFrames);
      const b = fingerprint(ctx, unknown, unknownFrames);
      if (a !== b) {
        const [x, y] = [refusalText(ctx, wrong, wrongFrames.map((f) => f.frame)), refusalText(ctx, unknown, unknownFrames.map((f) => f.frame))];
        fail(x !== y ? `wrong token → ${x}; unknown session → ${y}` : `wrong token → ${clip(a, 200)}; unknown session → ${clip(b, 200)}`);
      }
      return `both: ${describeAll(wrongFrames)}${ctx.kind === 'websocket' ? `, close ${String(wrong.ended?.code)}` : ctx.statusOf(wrong)}`;
    },
  },
  {
    id: 'post-wrong-token-like-unknown',
    rule: 'S3',
    scope: 'transport',
    only: ['sse', 'poll'],
    sentence: 'A POSTed frame with a wrong bearer token is refused exactly like one naming an unknown session, and produces nothing.',
    async run(ctx) {
      const { link, session } = await ctx.openSession();
      const wrong = await link.send(ctx.triggerFrame(session.id), { token: randomToken(session.token.length) });
      const unknown = await link.send(ctx.triggerFrame(randomToken(session.id.length)), { token: randomToken(session.token.length) });
      const show = (x: typeof wrong): string => `HTTP ${x!.status} ${clip(JSON.stringify(x!.body) ?? '', 200)}`;
      if (wrong!.status < 400 || wrong!.status > 499) fail(`a POST with a wrong token was answered ${show(wrong)}`);
      if (show(wrong) !== show(unknown)) {
        const [x, y] = [refusalText(ctx, undefined, wrong!.frames, wrong!.status), refusalText(ctx, undefined, unknown!.frames, unknown!.status)];
        fail(x !== y ? `wrong token → ${x}; unknown session → ${y}` : `wrong token → ${show(wrong)}; unknown session → ${show(unknown)}`);
      }
      const stray = (await ctx.quiet(link)).filter((r) => r.data);
      if (stray.length > 0) fail(`a POST with a wrong token produced data: ${describeAll(stray)}`);
      return `both: HTTP ${wrong!.status}${wrong!.frames[0] ? ` ${describe({ frame: wrong!.frames[0], data: false, sessionId: undefined })}` : ''}; no data`;
    },
  },
  {
    id: 'no-implicit-session',
    rule: 'S2',
    scope: 'transport',
    sentence: 'A client frame without header.session_id is refused with a typed error (session_required or unknown_session) and produces no data: there is no default session.',
    run: (ctx) => expectNoImplicitSession(ctx, null, ['session_required', 'unknown_session'], 'a trigger without header.session_id'),
  },
  {
    id: 'no-default-session',
    rule: 'S2',
    scope: 'transport',
    sentence: 'A client frame naming session_id "default" is refused with a typed error and produces no data.',
    run: (ctx) => expectNoImplicitSession(ctx, 'default', ['unknown_session', 'session_required', 'invalid_message'], 'a trigger for session "default"'),
  },
  // ---- audits: everything the transport delivered during the checks above
  {
    id: 'data-carries-seq',
    rule: 'Q1',
    scope: 'transport',
    sentence: 'Every data message carries header.seq and the session_id of the session it belongs to.',
    async run(ctx) {
      const data = ctx.recorder.received.filter((r) => r.data);
      if (data.length === 0) fail(`no data message arrived over ${ctx.kind}: does the server answer the conformance trigger (${ctx.spec.conformance.trigger.type}) with ${ctx.produces} data messages?`);
      const noSeq = data.filter((r) => !Number.isInteger(r.frame.header.seq) || (r.frame.header.seq as number) < ctx.origin);
      if (noSeq.length > 0) fail(`${noSeq.length} of ${data.length} data messages have no seq (≥ ${ctx.origin}), e.g. ${clip(JSON.stringify(noSeq[0]!.frame), 160)}`);
      const other = data.filter((r) => r.sessionId !== undefined && r.frame.header.session_id !== r.sessionId);
      if (other.length > 0) fail(`${other.length} of ${data.length} data messages name another session_id than their session's, e.g. ${clip(JSON.stringify(other[0]!.frame), 160)}`);
      return `${data.length} data messages with seq and session_id`;
    },
  },
  {
    id: 'control-no-seq',
    rule: 'Q1',
    scope: 'transport',
    sentence: 'No control frame (hello, resumed, resume_failed, error, heartbeat) carries header.seq.',
    async run(ctx) {
      const control = ctx.recorder.received.filter((r) => !r.data);
      if (control.length === 0) fail(`no control frame arrived over ${ctx.kind}`);
      const bad = control.filter((r) => 'seq' in r.frame.header);
      if (bad.length > 0) fail(`${bad.length} control frames carry header.seq, e.g. ${clip(JSON.stringify(bad[0]!.frame), 200)}`);
      return `${control.length} control frames without seq`;
    },
  },
  {
    id: 'sse-event-ids',
    rule: 'R4',
    scope: 'transport',
    only: ['sse'],
    sentence: 'Every SSE data event has id: equal to its seq (so Last-Event-ID is the cursor), and control events have no id.',
    async run(ctx) {
      const events = ctx.recorder.received.filter((r) => r.sseId !== undefined || r.data);
      if (!events.some((r) => r.data)) fail('no SSE data event arrived');
      const badData = events.filter((r) => r.data && r.sseId !== String(r.frame.header.seq));
      const badControl = ctx.recorder.received.filter((r) => !r.data && r.sseId !== undefined);
      if (badData.length > 0) fail(`${badData.length} data events have an id: that is not their seq, e.g. id ${JSON.stringify(badData[0]!.sseId)} on ${describe(badData[0])}`);
      if (badControl.length > 0) fail(`${badControl.length} control events carry an id:, e.g. id ${JSON.stringify(badControl[0]!.sseId)} on ${describe(badControl[0])}: Last-Event-ID would stop being the cursor`);
      return `${events.length} data events with id = seq; control without id`;
    },
  },
  {
    id: 'frames-valid',
    rule: 'Q3',
    scope: 'transport',
    sentence: 'Every frame the server sends validates against the spec’s schema for its type.',
    async run(ctx) {
      const v = ctx.recorder.violations;
      if (v.length === 0 && ctx.recorder.received.length === 0) fail(`no frame arrived over ${ctx.kind}`);
      if (v.length > 0) {
        const reasons = new Map<string, number>();
        for (const x of v) reasons.set(x.reason, (reasons.get(x.reason) ?? 0) + 1);
        const top = [...reasons].slice(0, 3).map(([r, n]) => `${r}${n > 1 ? ` (${n}×)` : ''}`);
        fail(`${v.length} invalid frame(s): ${top.join('; ')}; first: ${v[0]!.sample}`);
      }
      return `${ctx.recorder.received.length} frames, all valid`;
    },
  },
];

// ---------------------------------------------------------------------------------------------
// History checks (W1–W5)

function seqsOf(a: HistoryAnswer, want: readonly number[], what: string): void {
  if (!sameList(a.seqs, want)) fail(`${a.url} → seqs ${seqRange(a.seqs)}; expected ${seqRange(want)} (${what})`);
}

/** W2: one bad parameter, and the 400 naming it. */
interface BadParameter {
  readonly id: string;
  readonly query: (ctx: HistoryContext) => string;
  readonly parameter: string;
  readonly what: string;
  readonly when?: (ctx: HistoryContext) => boolean;
}

const BAD_PARAMETERS: readonly BadParameter[] = [
  { id: 'history-400-limit-zero', query: () => 'limit=0', parameter: 'limit', what: 'limit=0' },
  { id: 'history-400-limit-negative', query: () => 'limit=-1', parameter: 'limit', what: 'limit=-1' },
  { id: 'history-400-limit-malformed', query: () => 'limit=abc', parameter: 'limit', what: 'limit=abc' },
  { id: 'history-400-before-zero', query: () => 'beforeSeq=0', parameter: 'beforeSeq', what: 'beforeSeq=0' },
  { id: 'history-400-since-negative', query: () => 'sinceSeq=-1', parameter: 'sinceSeq', what: 'sinceSeq=-1' },
  { id: 'history-400-limit-above-max', query: (ctx) => `limit=${ctx.endpoint.maxLimit! + 1}`, parameter: 'limit', what: 'limit above maxLimit', when: (ctx) => ctx.endpoint.maxLimit !== undefined },
  { id: 'history-400-unknown-parameter', query: () => 'limt=5', parameter: 'limt', what: 'an unknown parameter (limt=5)', when: (ctx) => ctx.spec.closedQuery(ctx.endpoint) },
];

export const historyChecks: readonly HistoryCheck[] = [
  {
    id: 'history-whole-log',
    rule: 'W4',
    scope: 'history',
    sentence: 'A read without limit returns the whole log: at least minItems items whose seqs run 1..n, ascending and gap-free.',
    async run(ctx) {
      const a = await ctx.log();
      const n = a.seqs.length;
      seqsOf(a, range(1, n), 'seq = index + 1');
      if (n < ctx.entry.minItems) fail(`${a.url} → ${n} items; x-contract.conformance.history promises at least ${ctx.entry.minItems}: seed the log before probing`);
      return `${a.query} → ${n} items, seqs 1..${n}`;
    },
  },
  {
    id: 'history-newest-window',
    rule: 'W1',
    scope: 'history',
    sentence: 'limit=k returns the newest k items of the selection, in ascending order (also as the fresh load sinceSeq=0&limit=k).',
    async run(ctx) {
      const n = await ctx.size();
      const k = ctx.pageSize(n);
      seqsOf(await ctx.ok(`limit=${k}`), range(n - k + 1, n), `the newest ${k}, ascending`);
      seqsOf(await ctx.ok(`sinceSeq=0&limit=${k}`), range(n - k + 1, n), `the newest ${k}, ascending`);
      return `?limit=${k} → ${n - k + 1}..${n}`;
    },
  },
  {
    id: 'history-selection',
    rule: 'W1',
    scope: 'history',
    sentence: 'The selection sinceSeq < seq < beforeSeq comes back whole when it has no more than limit items (a short log), else as its newest limit items.',
    async run(ctx) {
      const n = await ctx.size();
      seqsOf(await ctx.ok(`sinceSeq=${n - 3}&limit=10`), range(n - 2, n), 'three items under a limit of 10: all of them');
      const since = Math.floor(n / 3);
      const before = since + 8;
      seqsOf(await ctx.ok(`sinceSeq=${since}&beforeSeq=${before}`), range(since + 1, before - 1), 'the whole selection');
      seqsOf(await ctx.ok(`sinceSeq=${since}&beforeSeq=${before}&limit=3`), range(before - 3, before - 1), 'the newest 3 of the selection');
      return `${n - 2}..${n} whole; ${since}<seq<${before} → ${since + 1}..${before - 1}, limit 3 → ${before - 3}..${before - 1}`;
    },
  },
  {
    id: 'history-paging',
    rule: 'W5',
    scope: 'history',
    sentence: 'Paging older with beforeSeq=<oldest loaded>&limit=k walks back to seq 1: pages ascending, contiguous, never overlapping.',
    async run(ctx) {
      const n = await ctx.size();
      const k = ctx.pageSize(n);
      let page = await ctx.ok(`sinceSeq=0&limit=${k}`);
      const pages = [page];
      while (pages.length <= Math.ceil(n / k) + 1) {
        const oldest = page.seqs[0];
        if (oldest === undefined || oldest <= 1) break; // W4: older items exist exactly when oldest > 1
        const next = await ctx.ok(`beforeSeq=${oldest}&limit=${k}`);
        const want = range(Math.max(1, oldest - k), oldest - 1);
        seqsOf(next, want, `the page before ${oldest}`);
        page = next;
        pages.push(page);
      }
      const all = pages.reverse().flatMap((p) => p.seqs);
      if (!sameList(all, range(1, n))) fail(`${pages.length} pages of ${k} gave ${seqRange(all)}; expected 1..${n}`);
      return `${pages.length} pages of ≤ ${k}, ${n} back to 1, contiguous`;
    },
  },
  {
    id: 'history-latest-seq',
    rule: 'W3',
    scope: 'history',
    sentence: 'latestSeq is the last returned seq, or the requested sinceSeq when nothing is returned.',
    async run(ctx) {
      const n = await ctx.size();
      const k = ctx.pageSize(n);
      const cases: [string, number, number][] = [
        ['sinceSeq=0', n, n],
        [`beforeSeq=${k + 1}&limit=${k}`, k, k],
        [`sinceSeq=${n}`, n, 0],
        [`sinceSeq=${n + 5}`, n + 5, 0],
      ];
      for (const [query, latest, items] of cases) {
        const a = await ctx.ok(query);
        if (a.latestSeq !== latest || a.seqs.length !== items) fail(`${a.url} → ${a.seqs.length} items, latestSeq ${JSON.stringify(a.latestSeq)}; expected ${items} items, latestSeq ${latest}`);
      }
      return cases.map(([q, latest]) => `${q} → ${latest}`).join('; ');
    },
  },
  ...BAD_PARAMETERS.map(
    (b): HistoryCheck => ({
      id: b.id,
      rule: 'W2',
      scope: 'history',
      sentence: `${b.what[0]!.toUpperCase()}${b.what.slice(1)} is answered with HTTP 400 and an error naming ${b.parameter}.`,
      ...(b.when ? { when: b.when } : {}),
      async run(ctx) {
        const a = await ctx.get(b.query(ctx));
        const body = a.body as { error?: unknown; parameter?: unknown } | null;
        if (a.status !== 400) fail(`${a.query} → HTTP ${a.status}${a.status === 200 ? ` with ${a.seqs.length} items` : ''}; expected 400 naming ${b.parameter}`);
        if (typeof body?.error !== 'string') fail(`${a.query} → 400 without { "error": "…" }: ${clip(JSON.stringify(a.body) ?? '')}`);
        if (body.parameter !== b.parameter && !body.error.includes(b.parameter)) fail(`${a.query} → 400 "${clip(body.error, 120)}" does not name ${b.parameter}`);
        return `${a.query} → 400 "${clip(body.error, 40)}"`;
      },
    }),
  ),
  {
    id: 'history-answers-valid',
    rule: 'W1',
    scope: 'history',
    sentence: 'Every history answer validates against the spec’s response schema.',
    async run(ctx) {
      if (ctx.violations.length > 0) fail(`${ctx.violations.length} invalid answer(s), e.g. ${ctx.violations.slice(0, 2).join(' | ')}`);
      if (ctx.answered === 0) fail(`no history read was answered with 200`);
      return `${ctx.answered} answers, all valid`;
    },
  },
];

export const checks: readonly ProbeCheck[] = [...transportChecks, ...historyChecks];
