/**
 * The order of application work and its bound (L2): a session's handlers — its messages, its start
 * and resume hooks — run one after another, in arrival order. A handler that throws is reported
 * and answered with `handler_failed` (naming the frame's cseq and request_id, C4); the queue goes on. The bytes of each queued client frame
 * count against the session until it has run; when they fall to half of the limit, the
 * attachment is told it may read again.
 */
import { clip, errorFrame, type Frame } from '../frames.js';
import type { Attachment } from './server-core.js';

/** What the queue needs of a session: where to answer, and its inbound byte count (L2). */
export interface QueuedSession {
  readonly id: string;
  readonly attachment: Attachment | undefined;
  /** Bytes of client frames queued for, or running in, the handlers. */
  inbound: number;
}

/** Which client frame a handler runs for, as an error about it names it. */
export interface FrameRef {
  readonly cseq?: number | undefined;
  readonly requestId?: string | undefined;
}

export interface HandlerQueue {
  /**
   * Queues `fn` behind the session's earlier handlers; `bytes` of the client frame count against
   * its limit until it has run; `about` names the frame in a `handler_failed` answer.
   */
  run(session: QueuedSession, type: string, fn: () => void | Promise<void>, bytes?: number, about?: FrameRef): void;
  /** Bytes queued over every session. */
  readonly inboundBytes: number;
}

export function createHandlerQueue(options: {
  readonly maxInboundBytes: number;
  readonly reportError: (error: unknown, where: { sessionId?: string; type?: string }) => void;
  readonly sendControl: (attachment: Attachment, frame: Frame) => void;
}): HandlerQueue {
  const { reportError, sendControl } = options;
  const queues = new WeakMap<QueuedSession, Promise<void>>();
  let inboundTotal = 0;
  return {
    get inboundBytes() {
      return inboundTotal;
    },
    run(session, type, fn, bytes = 0, about = {}) {
      const previous = queues.get(session) ?? Promise.resolve();
      session.inbound += bytes;
      inboundTotal += bytes;
      const next = previous
        .then(fn)
        .catch((error: unknown) => {
          reportError(error, { sessionId: session.id, type });
          const a = session.attachment;
          const details = { sessionId: session.id, ...(about.cseq !== undefined ? { cseq: about.cseq } : {}), ...(about.requestId !== undefined ? { requestId: about.requestId } : {}) };
          if (a) sendControl(a, errorFrame('handler_failed', `the server failed to handle ${clip(type)}${about.cseq !== undefined ? ` (cseq ${about.cseq})` : ''}; it is not handled again, and the session is intact`, details));
        })
        .catch((error: unknown) => reportError(error, { sessionId: session.id, type })) // never a rejected queue
        .finally(() => {
          if (bytes === 0) return;
          session.inbound -= bytes;
          inboundTotal -= bytes;
          if (session.inbound > options.maxInboundBytes / 2) return;
          try {
            session.attachment?.inboundDrained?.();
          } catch (error) {
            reportError(error, { sessionId: session.id, type: 'inbound drained' });
          }
        });
      queues.set(session, next);
    },
  };
}
