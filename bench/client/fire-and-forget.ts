/**
 * The baseline of bench/client.ts section 3: the generated client's send path as it was before
 * C3, built from the generated pieces themselves — the contract's validator for the message,
 * the frame as the client frames it (unnumbered: no cseq, so the server hands it over as it
 * comes, unacknowledged), and the same generated transport (`ws` WebSocket, SSE read with fetch,
 * poll), on a session of its own. `send` resolves when the transport took the frame (WebSocket:
 * written to the socket; SSE and poll: the POST carrying it was answered) and awaits no
 * acknowledgement. Frames queue the way the client queues them today (client-core.ts), which
 * is kinder to this baseline than the client before C3 was (it wrote every send on its own):
 * the sends of one turn are written together once the microtasks queued now have run (one
 * socket write); over HTTP one POST in flight, and whatever is queued meanwhile goes in the next
 * POST (at most maxFramesPerPost frames).
 */
import WebSocket from 'ws';
import { contract } from '../../generated/contract.js';
import type { ClientTransport, TransportEvents } from '../../generated/runtime/client/transport.js';
import { createPollClientTransport } from '../../generated/runtime/client/transports/poll.js';
import { createSseClientTransport } from '../../generated/runtime/client/transports/sse.js';
import { createWebSocketClientTransport } from '../../generated/runtime/client/transports/websocket.js';
import { validators } from '../../generated/validators.js';
import type { SendMessage } from './sends.js';

export interface FireAndForget {
  /** Validates, frames and hands one message to the transport; resolves when the transport took it. */
  send(payload: Record<string, unknown>): Promise<void>;
  close(): void;
}

const FACTORY = { websocket: createWebSocketClientTransport, sse: createSseClientTransport, poll: createPollClientTransport } as const;

/** Opens a session on `transport` for sending `type` and resolves once its hello arrived. */
export function openFireAndForget(url: string, transport: keyof typeof FACTORY, type: SendMessage): Promise<FireAndForget> {
  const validate = validators.client.of(type)!;
  const maxPerPost = contract.limits?.maxFramesPerPost ?? 64;
  let session: { sessionId: string; token: string } | undefined;
  let queue: { text: string; resolve(): void; reject(e: Error): void }[] = [];
  let posting = false;

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${transport} hello within 10 s`)), 10_000);
    const events: TransportEvents = {
      open: () => undefined,
      activity: () => undefined,
      frame: (text) => {
        if (session) return;
        const hello = JSON.parse(text) as { type: string; payload: { session_id: string; resume_token: string } };
        if (hello.type !== 'protocol.hello') return;
        session = { sessionId: hello.payload.session_id, token: hello.payload.resume_token };
        clearTimeout(timer);
        resolve(sender);
      },
      close: (info) => {
        clearTimeout(timer);
        reject(new Error(`the ${transport} connection closed: ${info.reason}`));
      },
    };
    const t: ClientTransport = FACTORY[transport](contract, { baseUrl: url, fetch: globalThis.fetch.bind(globalThis), WebSocket }, events);
    t.connect({ versions: contract.protocolVersions, cursor: () => 0, credentials: () => session });

    let due = false;
    const flushSoon = (): void => {
      if (due) return;
      due = true;
      process.nextTick(() => {
        due = false;
        flush();
      });
    };
    const flush = (): void => {
      if (queue.length === 0 || posting) return;
      const batch = transport === 'websocket' ? queue : queue.slice(0, maxPerPost);
      queue = transport === 'websocket' ? [] : queue.slice(batch.length);
      posting = transport !== 'websocket';
      void t.send(batch.map((q) => q.text), session!.token).then((result) => {
        posting = false;
        const error = result.ok ? undefined : new Error(result.message);
        for (const q of batch) (error ? q.reject(error) : q.resolve());
        flushSoon();
      });
    };
    const sender: FireAndForget = {
      send(payload) {
        const frame = { type, header: { session_id: session!.sessionId }, payload };
        const result = validate(frame);
        if (!result.ok) return Promise.reject(new Error(`invalid ${type}`));
        return new Promise<void>((resolveSend, rejectSend) => {
          queue.push({ text: JSON.stringify(frame), resolve: resolveSend, reject: rejectSend });
          flushSoon();
        });
      },
      close: () => t.close(),
    };
  });
}
