/**
 * What a probe check is — an id, the statement of generated/docs/wire.md it checks (`R3.2`), the
 * rule that statement belongs to, a sentence, and a run that returns the evidence of a pass or
 * throws the evidence of a failure — and the moves several rule groups share: reading a refusal
 * the way the wire document defines it on each transport, and comparing two of them (S3).
 */
import type { TransportKind } from '../../model.js';
import type { RuleId } from '../../trace.js';
import { CLOSE_CODES, statusOf } from '../../wire.js';
import { describe, describeAll, fail, type SessionRef, type TransportContext } from '../context.js';
import type { HistoryContext } from '../history-context.js';
import { clip, framesOf, type Link, type Received, type WireFrame } from '../link.js';
import type { PollLink } from '../poll-link.js';
import type { ProbeSpec } from '../spec.js';

interface CheckBase {
  /** Stable id, shown in the table and used by --only, --skip, --json and tests. */
  readonly id: string;
  /** The DESIGN.md rule it traces to (the statement's prefix). */
  readonly rule: RuleId;
  /** The statement of wire.md it checks, `<rule>.<n>`. */
  readonly statement: string;
  /** What must hold, as one sentence. */
  readonly sentence: string;
}

export interface TransportCheck extends CheckBase {
  readonly scope: 'transport';
  /** Only on these transports (default: every transport probed). */
  readonly only?: readonly TransportKind[];
  /** Reads what the other checks of the transport received (runs last; skipped when they did not run). */
  readonly audit?: boolean;
  /** A2: runs only when the probe has another principal's credentials (`--other-header`). */
  readonly otherPrincipal?: boolean;
  /** Returns the evidence of a pass; throws ProbeFailure (fail) or ProbeSkip (skip) with the evidence. */
  run(ctx: TransportContext): Promise<string>;
}

export interface HistoryCheck extends CheckBase {
  readonly scope: 'history';
  /** Only when the spec makes the check meaningful (a maxLimit, a closed query schema). */
  readonly when?: (ctx: HistoryContext) => boolean;
  run(ctx: HistoryContext): Promise<string>;
}

export type ProbeCheck = TransportCheck | HistoryCheck;

/** A check that cannot be run against this server or with these options; `message` says why. */
export class ProbeSkip extends Error {}

export function skip(reason: string): never {
  throw new ProbeSkip(reason);
}

const ruleOf = (statement: string): RuleId => statement.split('.')[0] as RuleId;

/** A transport check; its rule is its statement's. */
export function transportCheck(c: Omit<TransportCheck, 'scope' | 'rule'>): TransportCheck {
  return { ...c, scope: 'transport', rule: ruleOf(c.statement) };
}

/** A history check; its rule is its statement's. */
export function historyCheck(c: Omit<HistoryCheck, 'scope' | 'rule'>): HistoryCheck {
  return { ...c, scope: 'history', rule: ruleOf(c.statement) };
}

// ---------------------------------------------------------------------------------------------
// Shared helpers

export const sameSet = (a: readonly unknown[], b: readonly unknown[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

/** `major.minor` one major above everything the spec speaks: a version no server of it supports. */
export function unknownVersion(spec: ProbeSpec): string {
  const majors = spec.model.protocolVersions.map((v) => Number(v.split('.')[0]) || 0);
  return `${Math.max(0, ...majors) + 1}.0`;
}

/** The close code wire.md gives a name (`resume_failed` → 4003). */
export function closeCode(name: string): number {
  return CLOSE_CODES.find((c) => c.name === name)!.code;
}

/** The frames of a refused attachment, once it ended (or went quiet): what a refusal brought. */
export async function readRefusal(ctx: TransportContext, link: Link, taken?: Received): Promise<Received[]> {
  const frames = taken ? [taken] : [];
  const until = Date.now() + ctx.timeoutMs;
  for (;;) {
    const left = until - Date.now();
    if (left <= 0) return frames;
    const r = await link.next(frames.length === 0 ? left : Math.min(left, ctx.quietMs));
    if (!r) return frames;
    frames.push(r);
  }
}

/** What a refusal must be, by transport (wire.md §6, §8). */
export interface RefusalSpec {
  /** `protocol.error` with `code`, or `protocol.resume_failed` with `reason`. */
  readonly type: 'protocol.error' | 'protocol.resume_failed';
  readonly code: string;
  /** The WebSocket close code name that follows, if the socket closes. */
  readonly close?: string;
  /** The poll status, when it differs from the status of the code. */
  readonly pollStatus?: number;
  /** What was sent, for evidence. */
  readonly what: string;
}

/**
 * Reads and judges one refused attachment: the first frame is the typed refusal, no data comes
 * with it, WebSocket then closes with the code of the table, SSE answers 200 with it as its only
 * event, poll answers `{ "frames": [it] }` with its status. Returns the refusal frame.
 */
export async function expectRefusal(ctx: TransportContext, link: Link, want: RefusalSpec, taken?: Received): Promise<Received> {
  const frames = await readRefusal(ctx, link, taken);
  const first = frames[0];
  const key = want.type === 'protocol.error' ? 'code' : 'reason';
  const shown = `${want.type === 'protocol.error' ? 'protocol.error' : 'resume_failed'} ${want.code}`;
  if (first?.frame.type !== want.type || first.frame.payload[key] !== want.code) {
    fail(`${want.what} was answered with ${describeAll(frames)}${ctx.endText(link)}; expected ${shown}`);
  }
  const data = frames.filter((f) => f.data);
  if (data.length > 0) fail(`${want.what}: ${shown}, but data came with it (${describeAll(data)}): a partial answer`);
  if (ctx.kind === 'websocket' && want.close) {
    const code = closeCode(want.close);
    const ended = await waitEnd(ctx, link);
    if (ended?.code !== code) fail(`${want.what}: ${shown}, then ${ended ? `close ${String(ended.code)}` : `no close within ${ctx.timeoutMs} ms`}; expected close ${code} (${want.close})`);
  }
  if (ctx.kind === 'sse') {
    if (link.status !== 200) fail(`${want.what}: ${shown} with HTTP ${link.status}; SSE answers a refusal 200 with it as the only event (R1.4)`);
    if (frames.length > 1) fail(`${want.what}: ${shown}, then ${describeAll(frames.slice(1))}; the refusal is the only event`);
    if (!(await waitEnd(ctx, link))) fail(`${want.what}: ${shown}, but the stream did not end`);
  }
  if (ctx.kind === 'poll') {
    const status = want.pollStatus ?? statusOf(want.code);
    if (link.status !== status) fail(`${want.what}: ${shown} came with HTTP ${link.status}; poll answers it with ${status}`);
  }
  return first;
}

/** Waits until the link ends (the server closed it); undefined when it did not within the timeout. */
export async function waitEnd(ctx: TransportContext, link: Link): Promise<Link['ended']> {
  const until = Date.now() + ctx.timeoutMs;
  while (!link.ended && Date.now() < until) await link.next(Math.min(ctx.quietMs, until - Date.now()));
  return link.ended;
}

/** A refusal in a few words, with the message texts (where an oracle usually hides). */
export function refusalText(ctx: TransportContext, link: Link | undefined, frames: readonly WireFrame[], status?: number): string {
  const parts = frames.map((f) => `${describe({ frame: { ...f, header: {} }, data: false, sessionId: undefined })}${typeof f.payload.message === 'string' ? ` "${clip(f.payload.message, 60)}"` : ''}`);
  if (link && ctx.kind === 'websocket') parts.push(`close ${String(link.ended?.code)} "${link.ended?.reason ?? ''}"`);
  const code = status ?? (link && ctx.kind !== 'websocket' ? link.status : undefined);
  if (code !== undefined) parts.push(`HTTP ${code}`);
  return parts.join(', ') || 'nothing';
}

/** One WebSocket close, SSE status or poll status, and the frames: what two refusals must share (S3). */
export function fingerprint(ctx: TransportContext, link: Link, frames: readonly Received[]): string {
  const end = ctx.kind === 'websocket' ? { code: link.ended?.code, reason: link.ended?.reason } : { status: link.status };
  return JSON.stringify({ frames: frames.map((f) => f.frame), ...end });
}

/** The first protocol.error of a POST answer, judged by status and body as wire.md §7 defines them. */
export function postRefusal(answer: { status: number; body: unknown; frames: readonly WireFrame[] }, code: string, status: number, what: string): WireFrame {
  const body = clip(JSON.stringify(answer.body) ?? '', 200);
  if (answer.status !== status) fail(`${what} was answered HTTP ${answer.status} ${body}; expected ${status} with protocol.error ${code}`);
  const shape = answer.body as { accepted?: unknown; frames?: unknown } | null;
  if (typeof shape !== 'object' || shape === null || !Array.isArray(shape.frames) || typeof shape.accepted !== 'number') {
    fail(`${what} was refused with HTTP ${answer.status}, but the body is not { "accepted": n, "frames": [...] } (L1.5): ${body}`);
  }
  const error = answer.frames.find((f) => f.type === 'protocol.error');
  if (!error) fail(`${what} was refused with HTTP ${answer.status}, but its frames hold no protocol.error: ${body}`);
  if (error.payload.code !== code) fail(`${what} was refused with HTTP ${answer.status} and protocol.error ${String(error.payload.code)}; expected ${code}`);
  return error;
}

/** The first frame after `link`'s current position that answers a frame sent on a WebSocket. */
export async function wsAnswer(ctx: TransportContext, link: Link, frame: unknown, what: string, binary = false): Promise<Received> {
  await link.send(frame, { binary });
  const r = await link.next(ctx.timeoutMs);
  if (!r) fail(`${what} got no answer within ${ctx.timeoutMs} ms${ctx.endText(link)}`);
  return r;
}

/** A WebSocket error frame with `code` (and `path`, when given). */
export function expectWsError(ctx: TransportContext, link: Link, r: Received, code: string, what: string, path?: string): void {
  if (r.frame.type !== 'protocol.error' || r.frame.payload.code !== code) fail(`${what} was answered with ${describe(r)}; expected protocol.error ${code}`);
  if (path !== undefined && r.frame.payload.path !== path) fail(`${what}: protocol.error ${code} with path ${JSON.stringify(r.frame.payload.path)}; expected ${path}`);
}

/** A WebSocket error frame with `code` (and `path`, when given), and the socket still open a moment later. */
export async function expectWsErrorOpen(ctx: TransportContext, link: Link, r: Received, code: string, what: string, path?: string): Promise<void> {
  expectWsError(ctx, link, r, code, what, path);
  // A close right behind the error arrives within a few milliseconds on a local link.
  await new Promise((resolve) => setTimeout(resolve, 50));
  if (link.ended) fail(`${what}: protocol.error ${code}, then the socket closed${ctx.endText(link)}; it stays open`);
}

/** The hello and protocol.resumed that open a successful resume, or a failure naming what came. */
export async function resumedHead(ctx: TransportContext, link: Link, what: string): Promise<{ hello: Received; resumed: Received }> {
  const hello = await link.next(ctx.timeoutMs);
  if (hello?.frame.type !== 'protocol.hello') fail(`${what} was answered with ${describeAll(link.log)}${ctx.endText(link)}; expected protocol.hello first`);
  const resumed = await link.next(ctx.timeoutMs);
  if (resumed?.frame.type !== 'protocol.resumed') fail(`${what} was answered with ${describeAll(link.log)}${ctx.endText(link)}; expected protocol.resumed after the hello`);
  return { hello, resumed };
}


/** A session with `produces` data messages, received, then detached; `acked` is what the link acknowledged while it read. */
export async function oneTrigger(ctx: TransportContext): Promise<{ session: SessionRef; latest: number; acked: number }> {
  const { link, session } = await ctx.openSession();
  await ctx.trigger(link);
  await ctx.takeData(link, ctx.produces, 'the trigger');
  link.drop();
  // A poll link's cursor acknowledged what it had when it polled again (Q5.3): the window starts after it.
  const acked = ctx.kind === 'poll' ? (link as PollLink).acked : ctx.origin - 1;
  return { session, latest: ctx.origin - 1 + ctx.produces, acked };
}

/** Where a session for `ctx` was opened on another transport (R2.3), if the spec has one. */
export function otherKind(ctx: TransportContext): TransportKind | undefined {
  return ctx.spec.model.transports.map((t) => t.kind).find((k) => k !== ctx.kind);
}

/** A poll refusal: `status` with `{ "frames": [protocol.error code] }` (and `path`, when given). */
export function expectPollError(a: Awaited<ReturnType<TransportContext['http']>>, status: number, code: string, path?: string): void {
  const frames = framesOf(a.json) as { type?: unknown; payload?: { code?: unknown; path?: unknown } }[] | undefined;
  if (a.status !== status) fail(`${a.shown}; expected ${status} with protocol.error ${code}`);
  if (!frames) fail(`${a.shown}: HTTP ${a.status}, but the body is not { "frames": [...] }`);
  const error = frames.find((f) => f?.type === 'protocol.error');
  if (error?.payload?.code !== code) fail(`${a.shown}; expected protocol.error ${code}`);
  if (path !== undefined && error.payload.path !== path) fail(`${a.shown}: path ${JSON.stringify(error.payload.path)}; expected ${path}`);
}


/**
 * Poll: a new session whose link the probe let go of (its attachment stays live for the lease,
 * S4.8), the attachment its first answer named (S4.10), and what a raw poll of it from the
 * cursor before any data sends: the query and the token header.
 */
export async function rawPollSession(ctx: TransportContext): Promise<{ link: Link; session: SessionRef; attachment: string | undefined; query: string; headers: Record<string, string> }> {
  const { link, session } = await ctx.openSession();
  const attachment = (link as PollLink).attachment;
  (link as PollLink).drop();
  return { link, session, attachment, query: `session_id=${encodeURIComponent(session.id)}&cursor=${ctx.origin - 1}`, headers: { 'resume-token': session.token } };
}
