/**
 * WebSocket transport (the `ws` package). Every upgrade is authenticated first (A1): a refused
 * one is accepted, told why in a `protocol.error unauthorized|forbidden` frame and closed with
 * 4401 / 4403 (A3) — a browser learns nothing from a refused upgrade's HTTP status, but it reads a
 * close code. A connection without `session_id` in its URL gets a
 * new session and its hello at once; a connection with one must send `protocol.resume` as its
 * first frame (R1: the token travels in a frame, never in a URL). Frames queued in one tick are
 * written with the socket corked, so a burst becomes one syscall.
 *
 * Limits (L1–L3): an upgrade whose URL does not parse is answered 400; `ws` closes a connection
 * that breaks the framing (1002), sends invalid UTF-8 (1007) or a frame far over the limit
 * (1009); a session whose handlers fall `maxInboundBytes` behind stops being read until they
 * catch up; a client `maxBufferedBytes` behind is closed (4005) and, if it does not take the
 * close, its socket is destroyed after `closeTimeoutMs`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { CLOSE_CODES, errorFrame, heartbeatFrame, KERNEL, parseVersionList, type Frame } from '../../frames.js';
import { createGate, type Gate, type GateRefusal, type Identity } from '../auth.js';
import type { Attachment, CloseReason, OpenOutcome, ServerCore, Session } from '../server-core.js';
import type { ClientKey } from '../session-limiter.js';
import { refuseUpgrade, requestUrl } from './http-util.js';

export interface WebSocketTransportOptions {
  readonly core: ServerCore;
  readonly path: string;
  /** How long a resuming connection may take to send protocol.resume (default 10 s). */
  readonly resumeTimeoutMs?: number;
  /** Close a client this far behind (bytes buffered in the socket); it resumes from the window (default: the core's limit). */
  readonly maxBufferedBytes?: number;
  /** How long a closed connection may take to answer the close before its socket is destroyed (L3, default 5 s). */
  readonly closeTimeoutMs?: number;
  /** Who a connection counts against when anonymous (L2, default its address). */
  readonly clientKey?: ClientKey;
  /** A1: authenticates each upgrade before anything else (default: every connection anonymous). */
  readonly gate?: Gate;
}

/** A close reason is at most 123 bytes of UTF-8 (RFC 6455); `ws` throws on more. */
export function closeReason(text: string): string {
  let out = text.slice(0, 123);
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}

export interface WebSocketTransport {
  readonly path: string;
  /** Handles an HTTP upgrade for this transport's path; false when the path is not ours. */
  /** `at`: the URL as the server should route it (a mount prefix taken off); default the request's own. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, at?: URL): boolean;
  readonly connections: number;
  close(): void;
}

const CLOSE_FOR: Record<CloseReason['code'], number> = {
  superseded: CLOSE_CODES.superseded,
  session_expired: CLOSE_CODES.sessionExpired,
  protocol_error: CLOSE_CODES.protocolError,
  slow_consumer: CLOSE_CODES.slowConsumer,
  server_closing: CLOSE_CODES.goingAway,
};

export function createWebSocketTransport(options: WebSocketTransportOptions): WebSocketTransport {
  const { core } = options;
  const maxFrameBytes = core.contract.maxFrameBytes;
  // Frames a little over the contract limit get a typed frame_too_large; far over it, ws closes (1009).
  // closeTimeout (ws 8.23, which package.json requires; not in @types/ws yet): how long a closing peer has to answer.
  const serverOptions: ServerOptions & { closeTimeout: number } = { noServer: true, maxPayload: maxFrameBytes * 4, perMessageDeflate: false, clientTracking: true, closeTimeout: options.closeTimeoutMs ?? 5_000 };
  const wss = new WebSocketServer(serverOptions);
  const maxBuffered = options.maxBufferedBytes ?? core.limits.maxBufferedBytes;
  const maxInbound = core.limits.maxInboundBytes;
  const gate = options.gate ?? createGate({ clientKey: options.clientKey });

  /** A3: the upgrade was not authenticated: the refusal as a frame, then the close code that names it. */
  const refused = (ws: WebSocket, refusal: GateRefusal): void => {
    ws.on('error', () => undefined);
    ws.send(JSON.stringify(errorFrame(refusal.code, refusal.message)));
    ws.close(refusal.close, closeReason(refusal.message));
  };

  /** A connection, who it is and its URL (not the request: a connection should not keep it alive). */
  const connected = (ws: WebSocket, identity: Identity, url: URL): void => {
    const versions = parseVersionList(url.searchParams.get('versions'));
    const resumeId = url.searchParams.get('session_id');
    let session: Session | undefined;
    let closed = false;
    let alive = true;
    let queue: string[] = [];
    let scheduled = false;
    let resumeTimer: ReturnType<typeof setTimeout> | undefined;
    // L2: bytes received and not yet handed to the core; with the core's count for the session,
    // what this connection has queued. Over the limit the socket is not read (TCP backpressure).
    let pendingBytes = 0;
    let paused = false;
    const behind = (): number => pendingBytes + (session ? core.inboundBytes(session) : 0);
    const throttle = (): void => {
      if (!paused && !closed && behind() > maxInbound) {
        paused = true;
        ws.pause();
      } else if (paused && behind() <= maxInbound / 2) {
        paused = false;
        ws.resume();
      }
    };

    const flush = (): void => {
      scheduled = false;
      if (closed || queue.length === 0) return;
      const frames = queue;
      queue = [];
      const socket = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
      socket?.cork();
      for (const f of frames) ws.send(f);
      socket?.uncork();
      if (ws.bufferedAmount > maxBuffered) {
        attachment.close({ code: 'slow_consumer', message: `the client fell ${ws.bufferedAmount} bytes behind; resume to catch up from the replay window` });
      }
    };

    const sendNow = (frame: Frame): void => {
      queue.push(JSON.stringify(frame));
      flush();
    };

    const attachment: Attachment = {
      kind: 'websocket',
      send(frame) {
        if (closed) return;
        queue.push(frame);
        if (!scheduled) {
          scheduled = true;
          process.nextTick(flush);
        }
      },
      heartbeat(latestSeq, acked) {
        if (closed || !session) return;
        // While the socket is not read (L2) its pongs are not read either: that is not a dead peer.
        if (!alive && !paused) {
          ws.terminate(); // no pong since the last heartbeat: the peer is gone
          return;
        }
        alive = false;
        ws.ping();
        core.sendControl(attachment, heartbeatFrame(session.id, latestSeq, acked));
      },
      close(reason) {
        if (closed) return;
        if (reason.code === 'superseded') queue.push(JSON.stringify(errorFrame('superseded', reason.message, session ? { sessionId: session.id } : {})));
        else if (reason.frame) queue.push(JSON.stringify(reason.frame));
        flush();
        closed = true;
        ws.close(CLOSE_FOR[reason.code], closeReason(reason.message));
        // L3: a client too slow to take its frames is let go of now, not when it answers the close.
        if (reason.code === 'slow_consumer' && session) core.detach(session, attachment);
      },
      inboundDrained: throttle,
    };

    const refuse = (frame: Frame, code: number): void => {
      sendNow(frame);
      closed = true;
      ws.close(code, closeReason(String(frame.payload.message ?? frame.type)));
    };

    ws.on('pong', () => (alive = true));
    ws.on('close', () => {
      closed = true;
      if (resumeTimer) clearTimeout(resumeTimer);
      if (session) core.detach(session, attachment);
    });
    ws.on('error', () => {
      /* 'close' follows; the session survives for its TTL */
    });

    /** The connection's session is known (or the connection refused); a late result is undone. */
    const settle = (outcome: OpenOutcome, refusal: number): void => {
      // L2: a bound was reached; 1013 says try again later.
      if (!outcome.ok) return refuse(outcome.frame, outcome.frame.payload.code === 'overloaded' ? CLOSE_CODES.tryAgainLater : refusal);
      session = outcome.session;
      if (closed) core.detach(session, attachment); // the socket went away while the store answered
    };
    // Frames of one connection are handled one after another, in arrival order, even when
    // handling one waits for the store.
    let inbound: Promise<void>;
    if (resumeId === null) {
      inbound = core.open(attachment, versions, identity).then(
        (opened) => settle(opened, CLOSE_CODES.unsupportedVersion),
        (error: unknown) => {
          // The store failed (e.g. Redis is down): say so and close; the client tries again later.
          if (!closed) refuse(errorFrame('handler_failed', `the server could not open a session: ${(error as Error).message}`), CLOSE_CODES.tryAgainLater);
        },
      );
    } else {
      inbound = Promise.resolve();
      resumeTimer = setTimeout(() => refuse(errorFrame('session_required', 'a connection with session_id must send protocol.resume first'), CLOSE_CODES.resumeTimeout), options.resumeTimeoutMs ?? 10_000);
    }

    const handle = async (text: string): Promise<void> => {
      if (closed) return;
      if (session) {
        const outcome = await core.receive(text, { kind: 'attachment', session, attachment });
        for (const e of outcome.errors) core.sendControl(attachment, e);
        return;
      }
      // Awaiting protocol.resume (R1 over WebSocket).
      const parsed = core.parse(text);
      if (!parsed.ok) return refuse(parsed.frame, CLOSE_CODES.protocolError);
      const frame = parsed.frame;
      if (frame.type !== KERNEL.resume || frame.header.session_id !== resumeId) {
        return refuse(errorFrame('session_required', `the first frame on a connection opened with session_id must be protocol.resume for that session`, { path: '/type' }), CLOSE_CODES.protocolError);
      }
      if (resumeTimer) clearTimeout(resumeTimer);
      const resumed = await core.resume(attachment, {
        sessionId: frame.header.session_id,
        token: frame.payload.resume_token as string,
        lastSeenSeq: frame.payload.last_seen_seq as number,
        versions,
        identity,
      });
      settle(resumed, !resumed.ok && resumed.frame.type === KERNEL.error ? CLOSE_CODES.unsupportedVersion : CLOSE_CODES.resumeFailed);
    };

    ws.on('message', (data, isBinary) => {
      if (closed) return;
      if (isBinary) {
        sendNow(errorFrame('malformed_frame', 'binary frames are not part of this protocol; send JSON text', session ? { sessionId: session.id } : {}));
        return;
      }
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      pendingBytes += text.length;
      throttle();
      inbound = inbound
        .then(() => handle(text))
        .catch((error: unknown) => {
          // The store failed (e.g. Redis is down): say so and close; the client resumes later.
          if (!closed) refuse(errorFrame('handler_failed', `the server could not handle the frame: ${(error as Error).message}`), CLOSE_CODES.tryAgainLater);
        })
        .catch(() => ws.terminate()) // L1: whatever failed above, nothing escapes the connection
        .finally(() => {
          pendingBytes -= text.length;
          throttle();
        });
    });
  };

  return {
    path: options.path,
    handleUpgrade(req, socket, head, at) {
      // L1: a target that is not a URL is answered here, whichever host mounted the server.
      const url = at ?? requestUrl(req);
      if (!url) {
        refuseUpgrade(socket, 400, 'the request target is not a valid URL path');
        return true;
      }
      if (url.pathname !== options.path) return false;
      // A1: who it is, before anything else; the socket may fail while the application decides.
      const swallow = (): void => undefined;
      socket.on('error', swallow);
      void gate.pass(req, url, 'websocket').then((outcome) => {
        socket.removeListener('error', swallow);
        if (socket.destroyed) return;
        try {
          wss.handleUpgrade(req, socket, head, (ws) => {
            try {
              if (outcome.ok) connected(ws, outcome.identity, url);
              else refused(ws, outcome);
            } catch {
              ws.terminate(); // a bug here ends this connection, never the process
            }
          });
        } catch {
          socket.destroy();
        }
      });
      return true;
    },
    get connections() {
      return wss.clients.size;
    },
    close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
