/**
 * C3 on the wire: how the frames the outbound keeps (outbound.ts) reach the server over the
 * connection of the moment. Sends of one turn go out together — one socket write on a WebSocket,
 * one POST over HTTP — once the promise jobs queued now have run. On a WebSocket it writes what
 * this connection has not carried yet; over HTTP one POST at a time (so frames arrive in cseq
 * order: C2 refuses a gap), whose answer acknowledges (`acked`); a POST cut, refused as a gap or
 * answered 429/503 goes again after a pause (the server acknowledges duplicates), and one
 * refused by the application stops the client (A3).
 */
import type { TransportKind } from '../contract.js';
import type { Outbound } from './outbound.js';
import type { ClientTransport } from './transport.js';

/** The session frames are sent in: its id goes in each frame, its token with each POST. */
export interface PumpSession {
  readonly id: string;
  readonly token: string;
}

export interface SendPumpOptions {
  readonly outbound: Outbound;
  /** L4: frames per POST at most. */
  readonly maxPerPost: number;
  /** The connection to write on, when its session is open (hello, and resumed when resuming, received). */
  connection(): { readonly transport: ClientTransport; readonly session: PumpSession } | undefined;
  /** The client's session now, open or not (an answer for a session since replaced is dropped). */
  session(): PumpSession | undefined;
  /** A3: the application refused a POST's credentials or caller. */
  refused(why: 'unauthorized' | 'forbidden', message: string, transport: TransportKind): void;
  /** A POST was refused for another reason: its frames go again after the next reconnect. */
  error(message: string): void;
}

export interface SendPump {
  /** Writes what is queued once the promise jobs queued now have run (the sends of this turn together). */
  soon(): void;
  /** Writes now what the open connection has not carried (WebSocket), or the next POST (HTTP) unless one is under way. */
  now(): void;
  /** The client stops: a POST waiting to be sent again is not. */
  stop(): void;
  /** The session is lost: nothing in flight or waiting concerns the next one. */
  reset(): void;
}

/**
 * Runs `fn` once the promise jobs queued now have run (Node: process.nextTick, which waits for the
 * microtask queue to drain, however long its chains; elsewhere a microtask), so that every send
 * an acknowledgement lets go on is written in one batch.
 */
const afterMicrotasks: (fn: () => void) => void = ((node) => (node?.nextTick ? (fn) => node.nextTick!(fn) : (fn) => queueMicrotask(fn)))(
  (globalThis as { process?: { nextTick?: (fn: () => void) => void } }).process,
);

export function createSendPump(options: SendPumpOptions): SendPump {
  const { outbound, maxPerPost } = options;
  // HTTP transports: one POST at a time, so frames arrive in cseq order (C2 refuses a gap).
  let posting = false;
  let postRetry: ReturnType<typeof setTimeout> | undefined;
  let postFailures = 0;
  let due = false;

  const soon = (): void => {
    if (due) return;
    due = true;
    afterMicrotasks(() => {
      due = false;
      now();
    });
  };

  const now = (): void => {
    const link = options.connection();
    if (!link || outbound.size === 0) return;
    const { transport: t, session: s } = link;
    if (t.kind === 'websocket') {
      const frames = outbound.unsent();
      if (frames.length > 0) void t.send(frames.map((f) => f.text(s.id)), s.token);
      return;
    }
    if (posting || postRetry) return;
    const frames = outbound.unacknowledged(maxPerPost);
    if (frames.length === 0) return;
    posting = true;
    void t.send(frames.map((f) => f.text(s.id)), s.token).then((result) => {
      posting = false;
      if (options.session() !== s) return; // the session was lost meanwhile: its frames were rejected
      if (result.acked !== undefined) outbound.acknowledge(result.acked);
      if (result.ok && result.acked !== undefined) {
        postFailures = 0;
        return soon(); // with what the sends this answer resolved queue next
      }
      // Refused as a gap: acked says where to go on. Anything else (a cut, 429, 503, an answer
      // cut short): the same frames go again after a pause; the server acknowledges duplicates.
      const gap = !result.ok && result.status === 409;
      if (!result.ok && !gap && result.status >= 400 && result.status < 500 && result.status !== 429 && result.status !== 408) {
        // A3: a POST refused by the application stops the client like a refused connection.
        const code = (result.frames[0] as { payload?: { code?: unknown; message?: unknown } } | undefined)?.payload;
        if ((result.status === 401 || result.status === 403) && (code?.code === 'unauthorized' || code?.code === 'forbidden')) {
          return options.refused(code.code, typeof code.message === 'string' ? code.message : result.message, t.kind);
        }
        options.error(`${result.message}; the frames are sent again after the next reconnect`);
        return;
      }
      const delay = gap ? 0 : Math.min(2000, 50 * 2 ** Math.min(postFailures++, 6));
      postRetry = setTimeout(() => {
        postRetry = undefined;
        now();
      }, delay);
      (postRetry as { unref?: () => void }).unref?.();
    });
  };

  const stop = (): void => {
    if (postRetry) clearTimeout(postRetry);
    postRetry = undefined;
  };

  return {
    soon,
    now,
    stop,
    reset() {
      stop();
      posting = false;
    },
  };
}
