/**
 * A session over any transport, written once: open, resume (the WebSocket protocol.resume frame,
 * the SSE query or Last-Event-ID, the poll cursor), and the answers a resume gets as each
 * transport gives them. The raw clients are in transports.ts, their shape in channel.ts.
 */
import { expect } from 'vitest';
import { validateProtocolResumed, validateProtocolResumeFailed } from '../../generated/validators.js';
import type { Channel, Frame, Kind } from './channel.js';
import type { Target } from './http.js';
import { connectPoll, connectSse, connectWs, qs } from './transports.js';

export * from './channel.js';
export * from './transports.js';

export interface ConnectOptions {
  /** `versions` query value; default "1.0,1.1". Pass null to leave it out. */
  readonly versions?: string | null;
}

export interface ResumeOptions extends ConnectOptions {
  readonly sessionId: string;
  readonly token: string;
  readonly lastSeenSeq: number;
  /** SSE: send this as Last-Event-ID (it wins over last_seen_seq). */
  readonly lastEventId?: string;
  /** Poll: put the token in the query (resume_token) instead of Authorization. */
  readonly tokenInQuery?: boolean;
}

function versionsQuery(o: ConnectOptions): string {
  const v = o.versions === undefined ? '1.0,1.1' : o.versions;
  return v === null ? '' : `versions=${encodeURIComponent(v)}`;
}

// --- Open / resume over any transport ----------------------------------------------------------

/** A new session over `kind` (the hello is not consumed). */
export async function openChannel(server: Target, kind: Kind, o: ConnectOptions = {}): Promise<Channel> {
  const query = qs([versionsQuery(o)]);
  switch (kind) {
    case 'websocket':
      return connectWs(server, query);
    case 'sse':
      return connectSse(server, query);
    case 'poll':
      return connectPoll(server, { query, cursor: 0 });
  }
}

/** A resume over `kind`: the WebSocket protocol.resume frame, SSE query (or Last-Event-ID), poll cursor. */
export async function resumeChannel(server: Target, kind: Kind, o: ResumeOptions): Promise<Channel> {
  switch (kind) {
    case 'websocket': {
      const ch = await connectWs(server, qs([versionsQuery(o), `session_id=${encodeURIComponent(o.sessionId)}`]));
      await ch.send({ type: 'protocol.resume', header: { session_id: o.sessionId }, payload: { resume_token: o.token, last_seen_seq: o.lastSeenSeq } });
      return ch;
    }
    case 'sse':
      return connectSse(
        server,
        qs([versionsQuery(o), `session_id=${encodeURIComponent(o.sessionId)}`, `resume_token=${encodeURIComponent(o.token)}`, `last_seen_seq=${o.lastSeenSeq}`]),
        o.lastEventId !== undefined ? { 'last-event-id': o.lastEventId } : {},
      );
    case 'poll':
      return connectPoll(server, {
        query: qs([versionsQuery(o), `session_id=${encodeURIComponent(o.sessionId)}`, `cursor=${o.lastSeenSeq}`, o.tokenInQuery ? `resume_token=${encodeURIComponent(o.token)}` : undefined]),
        ...(o.tokenInQuery ? {} : { token: o.token }),
        cursor: o.lastSeenSeq,
      });
  }
}

export interface OpenSession {
  readonly ch: Channel;
  readonly hello: Frame;
  readonly sessionId: string;
  readonly token: string;
}

/** Opens a new session over `kind` and reads its hello. */
export async function openSession(server: Target, kind: Kind, o: ConnectOptions = {}): Promise<OpenSession> {
  const ch = await openChannel(server, kind, o);
  const hello = await ch.next('protocol.hello');
  return { ch, hello, sessionId: hello.payload.session_id, token: hello.payload.resume_token };
}

export const seqsOf = (frames: readonly Frame[]): number[] => frames.map((f) => f.header.seq as number);

/** A chat.send frame that makes the default handler emit `n` agent.events. */
export function chatSend(sessionId: string | undefined, n: number | string = 1, extraHeader: Record<string, unknown> = {}): object {
  return { type: 'chat.send', header: { ...(sessionId !== undefined ? { session_id: sessionId } : {}), ...extraHeader }, payload: { conversation_id: 'c-1', text: String(n) } };
}

/** A well-formed session id / token that no server ever issued. */
export const FAKE_SESSION_ID = 'AAAAAAAAAAAAAAAAAAAAAA';
export const FAKE_TOKEN = 'BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';

// ---------------------------------------------------------------------------------------------
// Resume answers, as every transport gives them

/** R2 on a resume that is not a poll continuation: hello, then resumed, then the replay. */
export async function expectResumed(ch: Channel, sessionId: string, fromSeq: number, latestSeq: number): Promise<Frame[]> {
  const hello = await ch.next('protocol.hello');
  expect(hello.payload.session_id).toBe(sessionId);
  expect(hello.payload.latest_seq).toBe(latestSeq);
  const resumed = await ch.next('protocol.resumed');
  expect(validateProtocolResumed(resumed).ok).toBe(true);
  expect(resumed.payload).toEqual({ from_seq: fromSeq, latest_seq: latestSeq, acked: expect.any(Number) }); // C2: acked, the highest cseq accepted
  expect(resumed.header).toEqual({ session_id: sessionId, latest_seq: latestSeq });
  return ch.data(latestSeq - fromSeq + 1);
}

export const REFUSAL_STATUS = { window_exceeded: 410, invalid_cursor: 400, session_expired: 410, unknown_session: 404 } as const;

/** R3/S3/S4: the refusal as each transport gives it; returns the frame. */
export async function expectRefused(ch: Channel, reason: keyof typeof REFUSAL_STATUS): Promise<Frame> {
  const f = await ch.next('protocol.resume_failed');
  expect(validateProtocolResumeFailed(f).ok).toBe(true);
  expect(f.payload.reason).toBe(reason);
  expect(f.header).toEqual({});
  const end = await ch.ended;
  if (ch.kind === 'websocket') expect(end.code).toBe(4003);
  if (ch.kind === 'sse') expect(ch.status).toBe(200);
  if (ch.kind === 'poll') expect(ch.status).toBe(REFUSAL_STATUS[reason]);
  expect(ch.log.filter((x) => x.type !== 'protocol.resume_failed')).toEqual([]); // never a partial replay
  return f;
}
