/**
 * Probe client for Server-Sent Events, over fetch streaming and the client runtime's SSE parser
 * (which also hands over each event's own `id:`, so R4 can be checked). A new session: GET
 * `path?versions=…`. A resume (R1, S5): `session_id`, `resume_token` and `last_seen_seq` in the
 * query string, as a browser EventSource has to. Client frames are POSTed to the messages path
 * with the bearer token.
 */
import { createSseParser } from '../../runtime/client/transports/sse.js';
import { clip, FrameQueue, framesOf, helloSession, postFrame, urlFor, type EndInfo, type Link, type LinkEnvironment } from './link.js';
import type { OpenOptions, ResumeOptions } from './websocket-link.js';

export async function connectSse(env: LinkEnvironment, options: OpenOptions & { readonly resume?: ResumeOptions }): Promise<Link> {
  const t = env.spec.model.transports.find((x) => x.kind === 'sse');
  if (!t?.messagesPath) throw new Error('the spec has no SSE transport');
  const { resume } = options;
  const url = urlFor(env.base, t.path, {
    versions: options.versions,
    session_id: resume?.sessionId,
    resume_token: resume?.token,
    last_seen_seq: resume?.lastSeenSeq,
    ...options.query,
  });
  const q = new FrameQueue();
  const abort = new AbortController();
  let session = resume ? { id: resume.sessionId, token: resume.token } : undefined;
  let status = 0;
  let ended: EndInfo | undefined;
  const end = (info: EndInfo): void => {
    ended ??= info;
    q.finish();
  };
  const take = (value: unknown, sseId?: string, bytes?: number): void => {
    session ??= helloSession(value);
    const r = env.recorder.value(value, session?.id, sseId, bytes);
    if (r) q.push(r);
  };

  const link: Link = {
    kind: 'sse',
    get status() {
      return status;
    },
    get session() {
      return session;
    },
    log: q.log,
    next: (timeoutMs) => q.next(timeoutMs),
    send(frame, o = {}) {
      const token = o.token === null ? undefined : (o.token ?? session?.token);
      return postFrame(env, t.messagesPath!, frame, token, session?.id);
    },
    close: () => abort.abort(),
    drop: () => abort.abort(),
    get ended() {
      return ended;
    },
  };
  env.track(link);

  const timer = setTimeout(() => abort.abort(), env.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { headers: { ...env.headers, accept: 'text/event-stream', ...options.headers }, signal: abort.signal });
  } catch (err) {
    end({ reason: `the event stream could not be opened: ${(err as Error).message}` });
    return link;
  } finally {
    clearTimeout(timer);
  }
  status = res.status;
  if (!(res.headers.get('content-type') ?? '').startsWith('text/event-stream') || !res.body) {
    // Not a stream: a refusal may still carry frames in a JSON body.
    const text = await res.text().catch(() => '');
    const parsed = text ? env.recorder.parse(text) : undefined;
    for (const f of framesOf(parsed?.value) ?? []) take(f);
    end({ status, body: clip(text) });
    return link;
  }
  const parse = createSseParser(
    (data, id, lines) => {
      if (lines > 1) env.recorder.framing.push(`an event with ${lines} data: lines`);
      const parsed = env.recorder.parse(data);
      if (parsed) take(parsed.value, id, Buffer.byteLength(data, 'utf8'));
    },
    (comment) => env.recorder.framing.push(`a comment ": ${clip(comment, 40)}"`),
    // retry: may come with an overloaded refusal (L2.2); id: is judged by R4.1.
    (field) => field !== 'retry' && env.recorder.framing.push(`a "${clip(field, 20)}:" field`),
  );
  void (async () => {
    try {
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parse(value);
      }
      end({ status, reason: 'the server ended the stream' });
    } catch {
      end({ status, reason: 'the stream was aborted' });
    }
  })();
  return link;
}
