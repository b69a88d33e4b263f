/**
 * Long-polling transport. GET `path` without a session opens one and answers at once with the
 * hello; GET with `session_id`, `cursor` (= the last seq processed, R4) and the token (the
 * `Resume-Token` header, A4) answers with the data after the cursor, holding the request up to
 * `holdMs` when there is none. The cursor also acknowledges (Q5). Each request is authenticated
 * first (A1): a refusal is 401 / 403 with its typed frame (A3). A poll that is not a continuation
 * of a live poll attachment is a resume: the answer starts with hello and resumed. S4.10: every
 * answer of an attachment names it (`attachment`), and a poll that names it back continues it on
 * any process of a shared store — behind a balancer without sticky sessions — without a claim or
 * a hello. Refusals come with an HTTP status (R3: 410 Gone for a cursor before the window).
 * Client frames go by POST (messages.ts).
 *
 * Limits (L2, L3): an answer carries at most `maxPollBytes` of data (`max_bytes` asks for less;
 * one frame always goes) and at most `maxPollFrames` data frames (`max` asks for fewer); control
 * frames waiting for the next poll are bounded by `maxBufferedBytes`; an answer the client has
 * not taken when the attachment's lease runs out has its socket destroyed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorFrame, heartbeatFrame, parseVersionList, RESUME_TOKEN_HEADER, resumeFailedFrame, type Frame } from '../../frames.js';
import { createGate, type Gate, type Identity } from '../auth.js';
import { plausibleId, type Attachment, type OpenOutcome, type ServerCore, type Session } from '../server-core.js';
import type { ClientKey } from '../session-limiter.js';
import { framesBody, methodNotAllowed, parseCursor, resumeToken, sendJson } from './http-util.js';

export interface PollTransportOptions {
  readonly core: ServerCore;
  readonly path: string;
  /** How long a poll waits for data (the contract's holdMs). */
  readonly holdMs: number;
  /** Who a request counts against when anonymous (L2, default its address). */
  readonly clientKey?: ClientKey;
  /** A1: authenticates each request before anything else (default: every request anonymous). */
  readonly gate?: Gate;
}

export interface PollTransport {
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void;
  readonly waiting: number;
  close(): void;
}

/** L2: what one answer may carry: the server's caps, or less if the client asked. */
interface AnswerBound {
  readonly maxBytes: number;
  readonly maxFrames: number;
}

/** L2: `?name=` lowers `cap` (a positive integer; above the cap is the cap); anything else is a typed refusal naming it. */
function askedBound(url: URL, name: string, cap: number, what: string): number | Frame {
  const asked = parseCursor(url.searchParams.get(name));
  if (asked === 'malformed' || asked === 0) return errorFrame('invalid_message', `${name} must be a positive integer: the most ${what} you want in one answer (the server sends at most ${cap})`, { path: `/${name}` });
  return Math.min(asked ?? cap, cap);
}

interface Held {
  readonly res: ServerResponse;
  readonly cursor: number;
  /** Bytes and data frames this answer may carry (L2). */
  readonly maxBytes: number;
  readonly maxFrames: number;
  readonly timer: ReturnType<typeof setTimeout>;
}

interface PollAttachment extends Attachment {
  readonly session: Session;
  /** S4.10: the attachment's id in the store, named in every answer. */
  readonly attachmentId: string | undefined;
  /** Answers now if there is anything after the cursor, else holds the request. */
  serve(res: ServerResponse, cursor: number, asked: AnswerBound): void;
  /** Still a live attachment (a poll held, or the last one recent enough)? */
  readonly live: boolean;
}

export function createPollTransport(options: PollTransportOptions): PollTransport {
  const { core } = options;
  const attachments = new WeakMap<Session, PollAttachment>();
  const holding = new Set<PollAttachment>();
  const gate = options.gate ?? createGate({ clientKey: options.clientKey });
  // A poll attachment stays live between polls for this long after the last answer.
  const leaseMs = options.holdMs + core.contract.heartbeatMs;
  // One answer carries at most maxBytes and maxFrames of data; the client polls again with the new
  // cursor. On a link that keeps dropping, a huge backlog in one body would never get through.
  const capped = (frames: readonly string[], { maxBytes, maxFrames }: AnswerBound): readonly string[] => {
    let bytes = 0;
    const n = Math.min(frames.length, maxFrames);
    for (let i = 0; i < n; i++) {
      bytes += Buffer.byteLength(frames[i]!);
      if (bytes > maxBytes && i > 0) return frames.slice(0, i);
    }
    return n < frames.length ? frames.slice(0, n) : frames;
  };
  /** L3: an answer the client does not take within the lease is not kept for it: the socket goes. */
  const answerWith = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void => {
    sendJson(res, status, body, headers);
    if (res.writableFinished) return;
    const timer = setTimeout(() => res.destroy(), leaseMs);
    timer.unref?.();
    res.once('finish', () => clearTimeout(timer));
    res.once('close', () => clearTimeout(timer));
  };

  const createAttachment = (session: Session | undefined): PollAttachment & { bind(s: Session, attachmentId: string | undefined): void } => {
    let bound = session;
    let attachmentId: string | undefined;
    let control: string[] = [];
    let controlBytes = 0;
    let held: Held | undefined;
    let leaseUntil = Date.now() + leaseMs;
    let closed = false;

    const answer = (): void => {
      if (!held || !bound) return;
      const session = bound;
      const { res, cursor, maxBytes, maxFrames, timer } = held;
      held = undefined;
      holding.delete(attachment);
      clearTimeout(timer);
      const head = control;
      control = [];
      controlBytes = 0;
      leaseUntil = Date.now() + leaseMs;
      core.store.replay(session.id, cursor).then(
        (data) => {
          // The window moved past the cursor while the poll waited: refused like a resume (R3).
          if (!data.ok && head.length === 0) return answerWith(res, data.reason === 'window_exceeded' ? 410 : 400, framesBody([JSON.stringify(resumeFailedFrame(data.reason, `cursor ${cursor} is outside the replay window (${data.earliestSeq}..${data.latestSeq})`, { earliestSeq: data.earliestSeq, latestSeq: data.latestSeq }))]));
          const frames = [...head, ...(data.ok ? capped(data.frames.map((f) => f.frame), { maxBytes, maxFrames }) : [])];
          // An empty answer after the hold carries a heartbeat: the client sees the server is alive
          // and, from latest_seq, whether it missed the tail (Q4) — polling has no other heartbeat.
          if (frames.length === 0) frames.push(JSON.stringify(heartbeatFrame(session.id, session.latestSeq, session.acked)));
          answerWith(res, 200, attachmentId === undefined ? framesBody(frames) : `${framesBody(frames).slice(0, -1)},"attachment":${JSON.stringify(attachmentId)}}`);
        },
        (error: unknown) => sendJson(res, 503, JSON.stringify({ frames: [errorFrame('handler_failed', `the session store is unavailable: ${(error as Error).message}`)] })),
      );
    };

    const attachment: PollAttachment & { bind(s: Session, attachmentId: string | undefined): void } = {
      kind: 'poll',
      get session() {
        return bound!;
      },
      get attachmentId() {
        return attachmentId;
      },
      get live() {
        return !closed && (held !== undefined || Date.now() < leaseUntil);
      },
      bind(s, id) {
        bound = s;
        attachmentId = id;
      },
      send(frame, seq) {
        if (closed) return;
        if (seq === undefined) {
          control.push(frame); // data frames are read from the window by cursor
          controlBytes += frame.length;
          // L2: control frames (handler errors, say) pile up only while the client does not poll.
          if (!held && controlBytes > core.limits.maxBufferedBytes) return attachment.close({ code: 'slow_consumer', message: 'the client stopped polling' });
        }
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
        if (reason.code === 'slow_consumer') {
          control = [];
          controlBytes = 0;
          if (bound) core.detach(bound, attachment); // L3: its TTL runs from now
          return;
        }
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
      serve(res, cursor, asked) {
        if (held) {
          // Two polls at once for one session: the newer one takes over (S4), the older one is
          // answered with the reason, so that a second poll client does not go on polling beside it.
          const previous = held;
          held = undefined;
          clearTimeout(previous.timer);
          sendJson(previous.res, 200, framesBody([JSON.stringify(errorFrame('superseded', 'a newer poll request took over this session', bound ? { sessionId: bound.id } : {}))]));
        }
        held = { res, cursor, ...asked, timer: setTimeout(answer, options.holdMs) };
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
  const refused = (res: ServerResponse, outcome: Extract<OpenOutcome, { ok: false }>): void =>
    sendJson(res, outcome.status, JSON.stringify({ frames: [outcome.frame] }), outcome.retryAfterS ? { 'retry-after': String(outcome.retryAfterS) } : {});

  const serve = async (req: IncomingMessage, res: ServerResponse, url: URL, identity: Identity): Promise<void> => {
    const versions = parseVersionList(url.searchParams.get('versions'));
    const sessionId = url.searchParams.get('session_id');
    // L2: a client may take smaller answers than the server's caps (never larger).
    const maxBytes = askedBound(url, 'max_bytes', core.limits.maxPollBytes, 'bytes of data');
    if (typeof maxBytes === 'object') return refuse(res, 400, maxBytes);
    const maxFrames = askedBound(url, 'max', core.limits.maxPollFrames, 'data frames');
    if (typeof maxFrames === 'object') return refuse(res, 400, maxFrames);
    const bound: AnswerBound = { maxBytes, maxFrames };

    if (sessionId === null) {
      const attachment = createAttachment(undefined);
      const opened = await core.open(attachment, versions, identity);
      if (!opened.ok) return refused(res, opened);
      attachment.bind(opened.session, opened.attachmentId);
      attachments.set(opened.session, attachment);
      return attachment.serve(res, 0, bound);
    }

    const cursor = parseCursor(url.searchParams.get('cursor'));
    if (cursor === undefined || cursor === 'malformed') {
      return refuse(res, 400, errorFrame('invalid_message', 'cursor must be the last seq processed, a non-negative integer', { path: '/cursor' }));
    }
    const token = resumeToken(req, url);
    if (token === undefined) {
      return refuse(res, 401, errorFrame('unknown_session', `a poll for a session needs its token: ${RESUME_TOKEN_HEADER}: <resume_token>`));
    }
    // S4.10: the attachment the client's last answer named, if it names one.
    const named = url.searchParams.get('attachment');
    if (named !== null && !plausibleId(named)) {
      return refuse(res, 400, errorFrame('invalid_message', 'attachment must be the id the last poll answer named (base64url), or absent', { path: '/attachment' }));
    }
    const local = core.local(sessionId);
    const current = local ? attachments.get(local) : undefined;
    // `resume=1`: a client connecting again says so, and gets hello and resumed (R2) even while
    // the server still counts its previous poll attachment as live.
    const explicitResume = url.searchParams.get('resume') === '1';
    // A poll naming versions without the session's one is another client connecting: it negotiates (H2).
    const sameVersion = local !== undefined && (versions === undefined || versions.includes(local.protocolVersion));
    const sameAttachment = named === null || named === current?.attachmentId;
    if (local && current && sameVersion && sameAttachment && !explicitResume && current.live && local.attachment === current && plausibleId(token)) {
      const auth = await core.store.authenticate(sessionId, token, identity.owner);
      if (auth.ok) {
        // A continuation of this poll attachment: the cursor acknowledges (Q5).
        core.store.release(sessionId, cursor).catch(() => undefined);
        // S4.10: a process that served an earlier poll of it must not detach it (only a client that
        // names its attachment has polls served elsewhere).
        if (named !== null) core.renew(local, leaseMs);
        return current.serve(res, cursor, bound);
      }
    } else if (named !== null && !explicitResume && plausibleId(token)) {
      // S4.10: the attachment continues here although another process served its last poll.
      const auth = await core.store.authenticate(sessionId, token, identity.owner);
      if (auth.ok && (versions === undefined || versions.includes(auth.protocolVersion))) {
        const attachment = createAttachment(undefined);
        const continued = await core.proceed(attachment, { sessionId, protocolVersion: auth.protocolVersion, attachmentId: named, leaseMs, identity });
        if (continued && !continued.ok) return refused(res, continued);
        if (continued) {
          attachment.bind(continued.session, continued.attachmentId);
          attachments.set(continued.session, attachment);
          core.store.release(sessionId, cursor).catch(() => undefined);
          return attachment.serve(res, cursor, bound);
        }
      }
    }
    // Anything else is a (re)attachment: resume, answered with hello + resumed + the replay.
    // A cursor outside the window is refused here too (R3: 410 Gone / 400), never half-served.
    const attachment = createAttachment(undefined);
    const resumed = await core.resume(attachment, { sessionId, token, lastSeenSeq: cursor, versions, identity });
    if (!resumed.ok) return refused(res, resumed);
    attachment.bind(resumed.session, resumed.attachmentId);
    attachments.set(resumed.session, attachment);
    attachment.serve(res, cursor, bound);
  };

  return {
    path: options.path,
    get waiting() {
      return holding.size;
    },
    handle(req, res, url) {
      if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
      // A1: who it is, before anything else; A3: a refusal is 401 / 403 with its typed frame.
      gate
        .pass(req, url, 'poll')
        .then((outcome) => (outcome.ok ? serve(req, res, url, outcome.identity) : refuse(res, outcome.status, errorFrame(outcome.code, outcome.message))))
        .catch((error: unknown) => sendJson(res, 503, JSON.stringify({ frames: [errorFrame('handler_failed', `the poll could not be served: ${(error as Error).message}`)] })));
    },
    close() {
      for (const a of [...holding]) a.close({ code: 'server_closing', message: 'the server is shutting down; resume later' });
    },
  };
}
