/**
 * The reference server's long-polling transport, from wire.md §6: a new session answered at once
 * with its hello; continuations of the live poll attachment held up to the hold and answered
 * with the data after the cursor (which acknowledges) or a heartbeat; anything else a resume.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core, Session, Sink, Timers } from './sessions.js';

const LEASE_EXTRA = (t: Timers): number => t.holdMs + t.heartbeatMs;

export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(body);
}

export const framesBody = (texts: readonly string[]): string => `{"frames":[${texts.join(',')}]}`;
/** S4.10: an answer of a poll attachment names it. */
const namedBody = (texts: readonly string[], attachment: string): string => `{"frames":[${texts.join(',')}],"attachment":"${attachment}"}`;

/** Resume-Token: <token>, or the resume_token query parameter (S3.4). */
export function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['resume-token'];
  return (typeof header === 'string' ? header : undefined) ?? url.searchParams.get('resume_token') ?? undefined;
}

interface PollSink extends Sink {
  readonly id: string;
  hold(res: ServerResponse, cursor: number, bound: Bound): void;
}

/** L2.3: the most data frames and bytes of them an answer carries (one frame always goes). */
interface Bound {
  readonly frames: number;
  readonly bytes: number;
}

const bounded = (texts: readonly string[], bound: Bound): string[] => {
  const out: string[] = [];
  let bytes = 0;
  for (const t of texts.slice(0, bound.frames)) {
    bytes += Buffer.byteLength(t);
    if (bytes > bound.bytes && out.length > 0) break;
    out.push(t);
  }
  return out;
};

export function createPollTransport(core: Core, timers: Timers) {
  const sinks = new WeakMap<Session, PollSink>();

  const pollSink = (s: Session): PollSink => {
    let held: { res: ServerResponse; cursor: number; bound: Bound; timer: ReturnType<typeof setTimeout> } | undefined;
    let leaseUntil = Date.now() + LEASE_EXTRA(timers);
    let gone = false;
    const id = randomBytes(12).toString('base64url');
    const answer = (texts: readonly string[], status = 200): void => {
      if (!held) return;
      const { res, timer } = held;
      held = undefined;
      clearTimeout(timer);
      leaseUntil = Date.now() + LEASE_EXTRA(timers);
      sendJson(res, status, status === 200 && !gone ? namedBody(texts, id) : framesBody(texts));
    };
    const serve = (): void => {
      if (!held) return;
      const r = core.replay(s, held.cursor, false);
      if ('refusal' in r) return answer([r.refusal], r.status);
      if (r.frames.length > 0) answer(bounded(r.frames.map((f) => f.text), held.bound));
    };
    const sink: PollSink = {
      kind: 'poll',
      id,
      send: () => queueMicrotask(serve),
      heartbeat: () => undefined,
      superseded() {
        gone = true;
        answer([core.error('superseded', 'another attachment took over this session', {}, s.id)]);
      },
      live: () => !gone && (held !== undefined || Date.now() < leaseUntil),
      hold(res, cursor, bound) {
        if (held) answer([core.error('superseded', 'a newer poll took over this session', {}, s.id)]);
        const atOnce = core.has('poll-answers-at-once');
        held = { res, cursor, bound, timer: setTimeout(() => answer(atOnce ? [] : [core.heartbeat(s)]), atOnce ? 0 : timers.holdMs) };
        res.on('close', () => {
          if (held?.res === res) {
            clearTimeout(held.timer);
            held = undefined;
            leaseUntil = Date.now() + LEASE_EXTRA(timers);
          }
        });
        serve();
      },
    };
    sinks.set(s, sink);
    return sink;
  };

  return {
    handle(req: IncomingMessage, res: ServerResponse, url: URL): void {
      const sessionId = url.searchParams.get('session_id');
      if (sessionId === null) {
        const version = core.negotiate(url.searchParams.get('versions'));
        if (!version) return sendJson(res, 400, framesBody([core.unsupported()]));
        const s = core.create(version);
        const sink = pollSink(s);
        core.attach(s, sink);
        return sendJson(res, 200, namedBody([core.hello(s, false)], sink.id));
      }
      let cursor = core.cursorOf(url.searchParams.get('cursor'));
      if (cursor === undefined && core.has('missing-cursor-zero')) cursor = 0;
      if (cursor === undefined || cursor === 'malformed') return sendJson(res, 400, framesBody([core.error('invalid_message', 'cursor must be a non-negative integer', { path: '/cursor' })]));
      const bound = { frames: 1000, bytes: 256 * 1024 };
      for (const [name, key] of [['max', 'frames'], ['max_bytes', 'bytes']] as const) {
        const raw = url.searchParams.get(name);
        if (raw === null) continue;
        const n = core.cursorOf(raw);
        if (n === undefined || n === 'malformed' || n === 0) return sendJson(res, 400, framesBody([core.error('invalid_message', `${name} must be a positive integer`, { path: `/${name}` })]));
        bound[key] = Math.min(n, bound[key]);
      }
      const named = url.searchParams.get('attachment');
      if (named !== null && !/^[A-Za-z0-9_-]{1,512}$/.test(named)) return sendJson(res, 400, framesBody([core.error('invalid_message', 'attachment must be the id the last answer named', { path: '/attachment' })]));
      const token = tokenOf(req, url);
      if (token === undefined) return sendJson(res, core.has('no-token-404') ? 404 : 401, framesBody([core.error('unknown_session', 'send Resume-Token: <resume_token>')]));
      const auth = core.authenticate(sessionId, token);
      if (!('id' in auth)) {
        if (core.has('unreadable-refusal')) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('no such session');
        return sendJson(res, auth.reason === 'session_expired' ? 410 : 404, framesBody([core.refusal(auth.reason, auth.message)]));
      }
      const s = auth;
      const current = sinks.get(s);
      const version = core.negotiate(url.searchParams.get('versions'));
      const continues = url.searchParams.get('resume') !== '1' && current !== undefined && (named === null || named === current.id) && s.sink === current && current.live!() && (url.searchParams.get('versions') === null || version === s.version);
      if (continues) {
        core.release(s, cursor);
        return current.hold(res, cursor, bound);
      }
      if (!version) return sendJson(res, 400, framesBody([core.unsupported()]));
      const r = core.replay(s, cursor);
      if ('refusal' in r) return sendJson(res, r.status, framesBody([r.refusal]));
      s.version = version;
      const sink = pollSink(s);
      core.attach(s, sink);
      core.release(s, cursor);
      sendJson(res, 200, namedBody([core.hello(s, true), core.resumed(s, cursor), ...bounded(r.frames.map((f) => f.text), bound)], sink.id));
    },
  };
}
