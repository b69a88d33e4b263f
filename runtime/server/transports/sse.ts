/**
 * Server-Sent Events transport. The stream is GET `path`; data frames carry `id: <seq>` so that
 * EventSource's Last-Event-ID is the resume cursor (R4); control frames carry no id. Heartbeats
 * are `protocol.heartbeat` events like any other control frame (Q4): a comment would be invisible
 * to a browser EventSource, which could then never read their latest_seq. EventSource cannot send headers, so a resume puts `session_id`, `resume_token`
 * and `last_seen_seq` in the query string (S5); `Last-Event-ID`, when sent, wins over
 * `last_seen_seq` because the browser keeps it current. Client frames go by POST (messages.ts).
 *
 * L3: a client `maxBufferedBytes` behind gets its socket destroyed at once — a reader that is
 * stuck would never take an orderly end — and its session waits for a resume from the window.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorFrame, heartbeatFrame, parseVersionList, type Frame } from '../../frames.js';
import { createGate, type Gate, type Identity } from '../auth.js';
import type { Attachment, ServerCore, Session } from '../server-core.js';
import type { ClientKey } from '../session-limiter.js';
import { methodNotAllowed, parseCursor } from './http-util.js';

export interface SseTransportOptions {
  readonly core: ServerCore;
  readonly path: string;
  /** Drop a client this far behind (bytes buffered in the response); it resumes from the window (default: the core's limit). */
  readonly maxBufferedBytes?: number;
  /** Who a request counts against when anonymous (L2, default its address). */
  readonly clientKey?: ClientKey;
  /** A1: authenticates each request before anything else (default: every request anonymous). */
  readonly gate?: Gate;
}

export interface SseTransport {
  readonly path: string;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void;
  readonly connections: number;
  close(): void;
}

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  connection: 'keep-alive',
  'x-accel-buffering': 'no', // nginx: do not buffer the stream
};

/**
 * A refusal on SSE: 200 with the typed frame as the only event, then the end (R1.4, A3):
 * `EventSource` hides the body of any other status, and the client must learn the reason.
 */
export function refuseStream(res: ServerResponse, frame: Frame): void {
  if (res.headersSent) return;
  res.writeHead(200, STREAM_HEADERS);
  res.end(`data: ${JSON.stringify(frame)}\n\n`);
}

export function createSseTransport(options: SseTransportOptions): SseTransport {
  const { core } = options;
  const open = new Set<ServerResponse>();
  const maxBuffered = options.maxBufferedBytes ?? core.limits.maxBufferedBytes;
  const gate = options.gate ?? createGate({ clientKey: options.clientKey });

  /** One stream of `identity`: opens or resumes its session. */
  const serve = (req: IncomingMessage, res: ServerResponse, url: URL, identity: Identity): void => {
    const versions = parseVersionList(url.searchParams.get('versions'));
    const sessionId = url.searchParams.get('session_id');
    const token = url.searchParams.get('resume_token');
    const lastEventId = req.headers['last-event-id'];
    const cursor = parseCursor(typeof lastEventId === 'string' && lastEventId !== '' ? lastEventId : url.searchParams.get('last_seen_seq'));
    const resuming = sessionId !== null || token !== null;
    // A bad request is refused like a refused resume (below): 200 and the typed frame as the
    // only event, because EventSource hides the body of any other status.
    const refuse = (frame: Frame): void => refuseStream(res, frame);
    // L2: an overloaded server asks EventSource to wait before it reconnects (it would in 3 s).
    const retryHint = (frame: Frame | undefined, retryAfterS: number | undefined): string => (frame?.payload.code === 'overloaded' && retryAfterS ? `retry: ${retryAfterS * 1000}\n` : '');
    if (resuming && (sessionId === null || token === null || cursor === undefined)) {
      return refuse(errorFrame('session_required', 'an SSE resume needs session_id, resume_token and last_seen_seq (or Last-Event-ID) in the query string'));
    }
    if (cursor === 'malformed') {
      return refuse(errorFrame('invalid_message', 'last_seen_seq / Last-Event-ID must be a non-negative integer', { path: '/last_seen_seq' }));
    }

    res.writeHead(200, STREAM_HEADERS);
    res.flushHeaders();
    open.add(res);
    let session: Session | undefined;
    let closed = false;
    let pending = '';
    let scheduled = false;

    const flush = (): void => {
      scheduled = false;
      if (closed || pending === '') return;
      const chunk = pending;
      pending = '';
      res.write(chunk);
      if (res.writableLength > maxBuffered) attachment.close({ code: 'slow_consumer', message: 'the client fell behind; resume to catch up from the replay window' });
    };
    const write = (text: string): void => {
      pending += text;
      if (!scheduled) {
        scheduled = true;
        process.nextTick(flush);
      }
    };
    const end = (frame?: Frame, retryAfterS?: number): void => {
      if (closed) return;
      if (frame) pending += `${retryHint(frame, retryAfterS)}data: ${JSON.stringify(frame)}\n\n`;
      flush();
      closed = true;
      open.delete(res);
      res.end();
    };
    /** L3: the client is not taking what is written: free its buffers now and let its session's TTL run. */
    const drop = (): void => {
      if (closed) return;
      closed = true;
      pending = '';
      open.delete(res);
      res.destroy();
      if (session) core.detach(session, attachment);
    };

    const attachment: Attachment = {
      kind: 'sse',
      send(frame, seq) {
        if (!closed) write(seq === undefined ? `data: ${frame}\n\n` : `id: ${seq}\ndata: ${frame}\n\n`);
      },
      heartbeat(latestSeq, acked) {
        if (!closed && session) core.sendControl(attachment, heartbeatFrame(session.id, latestSeq, acked));
      },
      close(reason) {
        // A client this far behind would not read a goodbye either.
        if (reason.code === 'slow_consumer') return drop();
        end(reason.code === 'superseded' ? errorFrame('superseded', reason.message, session ? { sessionId: session.id } : {}) : reason.frame);
      },
    };

    res.on('close', () => {
      closed = true;
      open.delete(res);
      if (session) core.detach(session, attachment);
    });

    const outcome =
      resuming && sessionId !== null && token !== null && typeof cursor === 'number'
        ? core.resume(attachment, { sessionId, token, lastSeenSeq: cursor, versions, identity })
        : core.open(attachment, versions, identity);
    outcome.then(
      (result) => {
        // A refused open or resume still answers 200 with the typed frame: EventSource hides the
        // body of any other status, and the client must learn the reason.
        if (!result.ok) return end(result.frame, result.retryAfterS);
        session = result.session;
        if (closed) core.detach(session, attachment); // the client left while the store answered
      },
      (error: unknown) => end(errorFrame('handler_failed', `the server could not open the stream: ${(error as Error).message}`)),
    );
  };

  return {
    path: options.path,
    get connections() {
      return open.size;
    },
    handle(req, res, url) {
      if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
      // A1: who it is, before anything else; A3: a refusal is the stream's only event.
      void gate.pass(req, url, 'sse').then((outcome) => {
        if (res.destroyed) return;
        if (outcome.ok) serve(req, res, url, outcome.identity);
        else refuseStream(res, errorFrame(outcome.code, outcome.message));
      });
    },
    close() {
      for (const res of open) {
        res.end();
        // A reader that stopped reading would hold the end forever (L3).
        if (!res.writableFinished) setTimeout(() => res.destroy(), 1000).unref();
      }
      open.clear();
    },
  };
}
