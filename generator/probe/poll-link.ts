/**
 * Probe client for HTTP long-polling. A new session: GET `path?versions=…`, answered at once
 * with the hello. A resume (R1): GET `path?session_id=…&cursor=k&resume=1` with
 * `Resume-Token: <resume_token>`; refusals come with a status (R3: 410 / 400, S3: 404).
 * After that the link polls only when a check waits for a frame, with `cursor` = the highest seq
 * it has received (R4) — the cursor acknowledges (Q5), so a check that must not acknowledge
 * simply stops waiting. Client frames are POSTed to the messages path. The link never polls more
 * than MAX_POLLS times, and waits before polling again after an answer that brought nothing, so
 * a server that answers at once forever cannot make the probe spin.
 */
import { clip, FrameQueue, framesOf, helloSession, postFrame, urlFor, type EndInfo, type Link, type LinkEnvironment, type Received } from './link.js';
import type { OpenOptions, ResumeOptions } from './websocket-link.js';

export interface PollLink extends Link {
  /** Status of every poll answer, in order. */
  readonly statuses: readonly number[];
  /** The highest cursor this link has sent (the server may release up to it, Q5). */
  readonly acked: number;
  /** How many polls the link has made. */
  readonly polls: number;
  /** S4.10: the attachment the last 200 answer named, if any. */
  readonly attachment: string | undefined;
}

/** Polls one link may make: far more than any check needs, few enough that a loop ends. */
export const MAX_POLLS = 60;
/** Pause after an answer with nothing in it that came before the hold ran out. */
const EMPTY_BACKOFF_MS = 100;

/** Frames that end a poll attachment: no poll follows them. */
function terminal(r: Received): boolean {
  const code = r.frame.payload.code;
  return r.frame.type === 'protocol.resume_failed' || (r.frame.type === 'protocol.error' && (code === 'superseded' || code === 'unsupported_version' || code === 'session_expired'));
}

export async function connectPoll(env: LinkEnvironment, options: OpenOptions & { readonly resume?: ResumeOptions & { readonly flag?: boolean } }): Promise<PollLink> {
  const t = env.spec.model.transports.find((x) => x.kind === 'poll');
  if (!t?.messagesPath) throw new Error('the spec has no poll transport');
  const holdMs = env.holdMs ?? t.holdMs ?? 0;
  const { resume } = options;
  const q = new FrameQueue();
  const statuses: number[] = [];
  let session = resume ? { id: resume.sessionId, token: resume.token } : undefined;
  let cursor = resume?.lastSeenSeq ?? 0;
  let acked = resume?.lastSeenSeq ?? 0;
  let ended: EndInfo | undefined;
  let stopped = false;
  let polls = 0;
  let attachment: string | undefined;
  let quietUntil = 0;
  // A poll is asked for or under way. Cleared by the poll itself before its frames wake a waiting
  // check: a check that takes the only frame of an answer asks for the next poll at once, and
  // must not find this one still marked (it would then wait out its timeout for nothing).
  let inflight = false;
  const aborts = new Set<AbortController>();
  const end = (info: EndInfo): void => {
    ended ??= info;
    q.finish();
  };

  const poll = async (url: URL, token: string | undefined): Promise<void> => {
    polls++;
    const abort = new AbortController();
    aborts.add(abort);
    const started = Date.now();
    // A poll may be held for holdMs before an empty answer.
    const timer = setTimeout(() => abort.abort(), holdMs + env.timeoutMs);
    try {
      const res = await fetch(url, { headers: { ...env.headers, ...(token !== undefined ? { 'resume-token': token } : {}) }, signal: abort.signal });
      const text = await res.text();
      inflight = false;
      statuses.push(res.status);
      const parsed = env.recorder.parse(text);
      const frames = framesOf(parsed?.value);
      const named = (parsed?.value as { attachment?: unknown } | undefined)?.attachment;
      if (res.status === 200 && typeof named === 'string') attachment = named;
      if (parsed && !frames) env.recorder.violation(`a poll answer (HTTP ${res.status}) that is not { "frames": [...] }`, text);
      let last = res.status !== 200;
      for (const f of frames ?? []) {
        session ??= helloSession(f);
        const r = env.recorder.value(f, session?.id);
        if (!r) continue;
        const seq = r.frame.header.seq;
        if (r.data && typeof seq === 'number' && seq > cursor) cursor = seq;
        if (terminal(r)) last = true;
        q.push(r);
      }
      if (!frames?.length && Date.now() - started < holdMs) quietUntil = Date.now() + EMPTY_BACKOFF_MS;
      if (last || !session) {
        stopped = true;
        end({ status: res.status, body: clip(text) });
      }
    } catch (err) {
      if (!stopped) {
        stopped = true;
        end({ reason: abort.signal.aborted ? 'the poll was aborted' : `the poll failed: ${(err as Error).message}` });
      }
    } finally {
      inflight = false;
      clearTimeout(timer);
      aborts.delete(abort);
    }
  };

  /** Polls again, on demand: only while a check waits for a frame, and at most MAX_POLLS times. */
  const pull = (): void => {
    if (inflight || stopped || !session) return;
    if (polls >= MAX_POLLS) {
      stopped = true;
      end({ reason: `the probe stopped polling after ${MAX_POLLS} polls` });
      return;
    }
    const wait = Math.max(0, quietUntil - Date.now());
    acked = Math.max(acked, cursor);
    const url = urlFor(env.base, t.path, { session_id: session.id, cursor });
    const token = session.token;
    inflight = true;
    void (wait > 0 ? new Promise((r) => setTimeout(r, wait)) : Promise.resolve()).then(() => (stopped ? void (inflight = false) : poll(url, token)));
  };

  const link: PollLink = {
    kind: 'poll',
    get status() {
      return statuses[0] ?? 0;
    },
    statuses,
    get acked() {
      return acked;
    },
    get polls() {
      return polls;
    },
    get attachment() {
      return attachment;
    },
    get session() {
      return session;
    },
    log: q.log,
    next: (timeoutMs) => q.next(timeoutMs, pull),
    send(frame, o = {}) {
      const token = o.token === null ? undefined : (o.token ?? session?.token);
      return postFrame(env, t.messagesPath!, frame, token, session?.id);
    },
    close() {
      link.drop();
    },
    drop() {
      stopped = true;
      for (const a of aborts) a.abort();
      end({ reason: 'dropped by the probe' });
    },
    get ended() {
      return ended;
    },
  };
  env.track(link);

  inflight = true;
  const first = resume
    ? poll(urlFor(env.base, t.path, { versions: options.versions, session_id: resume.sessionId, cursor: resume.lastSeenSeq, resume: resume.flag === false ? undefined : 1 }), resume.token)
    : poll(urlFor(env.base, t.path, { versions: options.versions, ...options.query }), undefined);
  await first;
  return link;
}
