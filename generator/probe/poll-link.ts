/**
 * Probe client for HTTP long-polling. A new session: GET `path?versions=…`, answered at once
 * with the hello. A resume (R1): GET `path?session_id=…&cursor=k&resume=1` with
 * `Authorization: Bearer <resume_token>`; refusals come with a status (R3: 410 / 400, S3: 404).
 * After that the link polls only when a check waits for a frame, with `cursor` = the highest seq
 * it has received (R4) — the cursor acknowledges (Q5), so a check that must not acknowledge
 * simply stops waiting. Client frames are POSTed to the messages path.
 */
import { FrameQueue, helloSession, postFrame, urlFor, type EndInfo, type Link, type LinkEnvironment, type Received } from './link.js';
import type { OpenOptions, ResumeOptions } from './websocket-link.js';

export interface PollLink extends Link {
  /** Status of every poll answer, in order. */
  readonly statuses: readonly number[];
  /** The highest cursor this link has sent (the server may release up to it, Q5). */
  readonly acked: number;
}

/** Frames that end a poll attachment: no poll follows them. */
function terminal(r: Received): boolean {
  const code = r.frame.payload.code;
  return r.frame.type === 'protocol.resume_failed' || (r.frame.type === 'protocol.error' && (code === 'superseded' || code === 'unsupported_version' || code === 'session_expired'));
}

export async function connectPoll(env: LinkEnvironment, options: OpenOptions & { readonly resume?: ResumeOptions }): Promise<PollLink> {
  const t = env.spec.model.transports.find((x) => x.kind === 'poll');
  if (!t?.messagesPath) throw new Error('the spec has no poll transport');
  const holdMs = t.holdMs ?? 0;
  const { resume } = options;
  const q = new FrameQueue();
  const statuses: number[] = [];
  let session = resume ? { id: resume.sessionId, token: resume.token } : undefined;
  let cursor = resume?.lastSeenSeq ?? 0;
  let acked = resume?.lastSeenSeq ?? 0;
  let ended: EndInfo | undefined;
  let stopped = false;
  let inflight: Promise<void> | undefined;
  const aborts = new Set<AbortController>();
  const end = (info: EndInfo): void => {
    ended ??= info;
    q.finish();
  };

  const poll = async (url: URL, token: string | undefined): Promise<void> => {
    const abort = new AbortController();
    aborts.add(abort);
    // A poll may be held for holdMs before an empty answer.
    const timer = setTimeout(() => abort.abort(), holdMs + env.timeoutMs);
    try {
      const res = await fetch(url, { headers: token !== undefined ? { authorization: `Bearer ${token}` } : {}, signal: abort.signal });
      const text = await res.text();
      statuses.push(res.status);
      const parsed = env.recorder.parse(text);
      const frames = (parsed?.value as { frames?: unknown } | undefined)?.frames;
      if (parsed && !Array.isArray(frames)) env.recorder.violation(`a poll answer (HTTP ${res.status}) that is not { "frames": [...] }`, text);
      let last = res.status !== 200;
      for (const f of Array.isArray(frames) ? frames : []) {
        session ??= helloSession(f);
        const r = env.recorder.value(f, session?.id);
        if (!r) continue;
        const seq = r.frame.header.seq;
        if (r.data && typeof seq === 'number' && seq > cursor) cursor = seq;
        if (terminal(r)) last = true;
        q.push(r);
      }
      if (last || !session) {
        stopped = true;
        end({ status: res.status });
      }
    } catch (err) {
      if (!stopped) {
        stopped = true;
        end({ reason: abort.signal.aborted ? 'the poll was aborted' : `the poll failed: ${(err as Error).message}` });
      }
    } finally {
      clearTimeout(timer);
      aborts.delete(abort);
    }
  };

  /** Polls again, on demand: only while a check waits for a frame. */
  const pull = (): void => {
    if (inflight || stopped || !session) return;
    acked = Math.max(acked, cursor);
    inflight = poll(urlFor(env.base, t.path, { session_id: session.id, cursor }), session.token).finally(() => (inflight = undefined));
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

  const first = resume
    ? poll(urlFor(env.base, t.path, { versions: options.versions, session_id: resume.sessionId, cursor: resume.lastSeenSeq, resume: 1 }), resume.token)
    : poll(urlFor(env.base, t.path, { versions: options.versions }), undefined);
  inflight = first.finally(() => (inflight = undefined));
  await inflight;
  return link;
}
