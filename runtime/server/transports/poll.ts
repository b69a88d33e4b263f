/**
 * Long-polling transport. GET `path` without a session opens one and answers at once with the
 * hello; GET with `session_id`, `cursor` (= the last seq processed, R4) and the token answers
 * with the data after the cursor, holding the request up to `holdMs` when there is none. The
 * cursor also acknowledges (Q5). A poll that is not a continuation of a live poll attachment is a
 * resume: the answer starts with hello and resumed. Refusals come with an HTTP status (R3: 410
 * Gone for a cursor before the window). Client frames go by POST (messages.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorFrame, heartbeatFrame, parseVersionList, resumeFailedFrame } from '../../frames.js';
import type { Attachment, ServerCore, Session } from '../server-core.js';
import { bearerToken, framesBody, methodNotAllowed, parseCursor, sendJson } from './http-util.js';

export interface PollTransportOptions {
  readonly core: ServerCore;
  readonly path: string;
  /** How long a poll waits for data (the contract's holdMs). */
  readonly holdMs: number;
}

export interface PollTransport {
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void;
  readonly waiting: number;
  close(): void;
}

interface Held {
  readonly res: ServerResponse;
  readonly cursor: number;
  readonly timer: ReturnType<typeof setTimeout>;
}

interface PollAttachment extends Attachment {
  readonly session: Session;
  /** Answers now if there is anything after the cursor, else holds the request. */
  serve(res: ServerResponse, cursor: number): void;
  /** Still a live attachment (a poll held, or the last one recent enough)? */
  readonly live: boolean;
}

export function createPollTransport(options: PollTransportOptions): PollTransport {
  const { core } = options;
  const attachments = new WeakMap<Session, PollAttachment>();
  const holding = new Set<PollAttachment>();
  // A poll attachment stays live between polls for this long after the last answer.
  const leaseMs = options.holdMs + core.contract.heartbeatMs;
  // One answer carries at most this much data; the client polls again with the new cursor. On a
  // link that keeps dropping, a huge backlog in one body would never get through.
  const maxAnswerBytes = Math.max(core.contract.maxFrameBytes, Math.min(256 * 1024, core.contract.replayWindow.maxBytes));
  const capped = (frames: readonly string[]): readonly string[] => {
    let bytes = 0;
    for (let i = 0; i < frames.length; i++) {
      bytes += frames[i]!.length;
      if (bytes > maxAnswerBytes && i > 0) return frames.slice(0, i);
    }
    return frames;
  };

  const createAttachment = (session: Session | undefined): PollAttachment & { bind(s: Session): void } => {
    let bound = session;
    let control: string[] = [];
    let held: Held | undefined;
    let leaseUntil = Date.now() + leaseMs;
    let closed = false;

    const answer = (): void => {
      if (!held || !bound) return;
      const session = bound;
      const { res, cursor, timer } = held;
      held = undefined;
      holding.delete(attachment);
      clearTimeout(timer);
      const head = control;
      control = [];
      leaseUntil = Date.now() + leaseMs;
      core.store.replay(session.id, cursor).then(
        (data) => {
          // The window moved past the cursor while the poll waited: refused like a resume (R3).
          if (!data.ok && head.length === 0) return sendJson(res, data.reason === 'window_exceeded' ? 410 : 400, framesBody([JSON.stringify(resumeFailedFrame(data.reason, `cursor ${cursor} is outside the replay window (${data.earliestSeq}..${data.latestSeq})`, { earliestSeq: data.earliestSeq, latestSeq: data.latestSeq }))]));
          const frames = [...head, ...(data.ok ? capped(data.frames.map((f) => f.frame)) : [])];
          // An empty answer after the hold carries a heartbeat: the client sees the server is alive
          // and, from latest_seq, whether it missed the tail (Q4) — polling has no other heartbeat.
          if (frames.length === 0) frames.push(JSON.stringify(heartbeatFrame(session.id, session.latestSeq)));
          sendJson(res, 200, framesBody(frames));
        },
        (error: unknown) => sendJson(res, 503, JSON.stringify({ frames: [errorFrame('handler_failed', `the session store is unavailable: ${(error as Error).message}`)] })),
      );
    };

    const attachment: PollAttachment & { bind(s: Session): void } = {
      kind: 'poll',
      get session() {
        return bound!;
      },
      get live() {
        return !closed && (held !== undefined || Date.now() < leaseUntil);
      },
      bind(s) {
        bound = s;
      },
      send(frame, seq) {
        if (closed) return;
        if (seq === undefined) control.push(frame); // data frames are read from the window by cursor
        if (held) process.nextTick(answer); // one answer per tick, however many frames arrived
      },
      heartbeat() {
        // A poll attachment ends when the client stops polling: the TTL starts then.
        if (!closed && !held && Date.now() >= leaseUntil && bound) {
          closed = true;
          core.detach(bound, attachment);
        }
      },
      close(reason) {
        if (closed) return;
        closed = true;
        if (reason.code === 'superseded') control.push(JSON.stringify(errorFrame('superseded', reason.message, bound ? { sessionId: bound.id } : {})));
        else if (reason.frame) control.push(JSON.stringify(reason.frame));
        if (held) {
          const { res, timer } = held;
          held = undefined;
          holding.delete(attachment);
          clearTimeout(timer);
          sendJson(res, 200, framesBody(control));
          control = [];
        }
      },
      serve(res, cursor) {
        if (held) {
          // Two polls at once for one session: the newer one takes over (S4), the older one is
          // answered with the reason, so that a second poll client does not go on polling beside it.
          const previous = held;
          held = undefined;
          clearTimeout(previous.timer);
          sendJson(previous.res, 200, framesBody([JSON.stringify(errorFrame('superseded', 'a newer poll request took over this session', bound ? { sessionId: bound.id } : {}))]));
        }
        held = { res, cursor, timer: setTimeout(answer, options.holdMs) };
        holding.add(attachment);
        res.on('close', () => {
          if (held?.res !== res) return;
          clearTimeout(held.timer);
          held = undefined;
          holding.delete(attachment);
          leaseUntil = Date.now() + leaseMs;
        });
        if (control.length > 0 || (bound !== undefined && cursor < bound.latestSeq)) answer();
      },
    };
    return attachment;
  };

  const refuse = (res: ServerResponse, status: number, frame: object): void => sendJson(res, status, JSON.stringify({ frames: [frame] }));

  const serve = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const versions = parseVersionList(url.searchParams.get('versions'));
    const sessionId = url.searchParams.get('session_id');

    if (sessionId === null) {
      const attachment = createAttachment(undefined);
      const opened = await core.open(attachment, versions);
      if (!opened.ok) return refuse(res, opened.status, opened.frame);
      attachment.bind(opened.session);
      attachments.set(opened.session, attachment);
      return attachment.serve(res, 0);
    }

    const cursor = parseCursor(url.searchParams.get('cursor'));
    if (cursor === undefined || cursor === 'malformed') {
      return refuse(res, 400, errorFrame('invalid_message', 'cursor must be the last seq processed, a non-negative integer', { path: '/cursor' }));
    }
    const token = bearerToken(req, url);
    if (token === undefined) {
      return refuse(res, 401, errorFrame('unknown_session', 'a poll for a session needs its token: Authorization: Bearer <resume_token>'));
    }
    const local = core.local(sessionId);
    const current = local ? attachments.get(local) : undefined;
    // `resume=1`: a client connecting again says so, and gets hello and resumed (R2) even while
    // the server still counts its previous poll attachment as live.
    const explicitResume = url.searchParams.get('resume') === '1';
    // A poll naming versions without the session's one is another client connecting: it negotiates (H2).
    const sameVersion = local !== undefined && (versions === undefined || versions.includes(local.protocolVersion));
    if (local && current && sameVersion && !explicitResume && current.live && local.attachment === current) {
      const auth = await core.store.authenticate(sessionId, token);
      if (auth.ok) {
        // A continuation of this poll attachment: the cursor acknowledges (Q5).
        core.store.release(sessionId, cursor).catch(() => undefined);
        return current.serve(res, cursor);
      }
    }
    // Anything else is a (re)attachment: resume, answered with hello + resumed + the replay.
    // A cursor outside the window is refused here too (R3: 410 Gone / 400), never half-served.
    const attachment = createAttachment(undefined);
    const resumed = await core.resume(attachment, { sessionId, token, lastSeenSeq: cursor, versions });
    if (!resumed.ok) return refuse(res, resumed.status, resumed.frame);
    attachment.bind(resumed.session);
    attachments.set(resumed.session, attachment);
    attachment.serve(res, cursor);
  };

  return {
    path: options.path,
    get waiting() {
      return holding.size;
    },
    handle(req, res, url) {
      if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
      serve(req, res, url).catch((error: unknown) => sendJson(res, 503, JSON.stringify({ frames: [errorFrame('handler_failed', `the poll could not be served: ${(error as Error).message}`)] })));
    },
    close() {
      for (const a of [...holding]) a.close({ code: 'server_closing', message: 'the server is shutting down; resume later' });
    },
  };
}
