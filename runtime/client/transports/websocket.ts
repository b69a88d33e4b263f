/**
 * Client WebSocket transport. A new session connects with `versions` only; a resume connects
 * with `session_id` in the URL and sends protocol.resume as its first frame (R1: the token goes
 * in the frame, never in a URL).
 */
import type { ContractDescriptor } from '../../contract.js';
import { KERNEL } from '../../frames.js';
import { endpoint, messageText, type ClientTransport, type TransportEnvironment, type TransportEvents } from '../transport.js';

export function createWebSocketClientTransport(contract: ContractDescriptor, env: TransportEnvironment, events: TransportEvents): ClientTransport {
  const path = contract.transports.websocket?.path;
  let socket: import('../transport.js').WebSocketLike | undefined;
  let opened = false;
  let ended = false;

  const end = (code: number | undefined, reason: string): void => {
    if (ended) return;
    ended = true;
    events.close({ opened, ...(code !== undefined ? { code } : {}), reason });
  };

  return {
    kind: 'websocket',
    connect(params) {
      const Ctor = env.WebSocket ?? (globalThis as { WebSocket?: import('../transport.js').WebSocketConstructor }).WebSocket;
      if (!path || !Ctor) return end(undefined, !path ? 'the contract has no WebSocket transport' : 'no WebSocket implementation: pass one (e.g. the `ws` package) in options.WebSocket');
      const url = endpoint(env.baseUrl, path, { versions: params.versions.join(','), session_id: params.resume?.sessionId }).replace(/^http/, 'ws');
      try {
        // A1: request headers reach a WebSocket upgrade only where the implementation takes them (`ws`); a browser sends its cookies.
        const headers = env.headers ?? {};
        socket = Object.keys(headers).length > 0 ? new Ctor(url, undefined, { headers }) : new Ctor(url);
      } catch (err) {
        return end(undefined, `could not open ${url}: ${(err as Error).message}`);
      }
      socket.onopen = () => {
        opened = true;
        if (params.resume) {
          socket!.send(JSON.stringify({ type: KERNEL.resume, header: { session_id: params.resume.sessionId }, payload: { resume_token: params.resume.token, last_seen_seq: params.resume.lastSeenSeq } }));
        }
        events.open();
      };
      socket.onmessage = (event: { readonly data: unknown }) => {
        const text = messageText(event.data);
        if (text !== undefined) events.frame(text);
      };
      socket.onerror = () => {
        /* onclose follows with the code */
      };
      socket.onclose = (event: { readonly code: number; readonly reason: string }) => end(event.code, event.reason || `closed with code ${event.code}`);
    },
    async send(frames) {
      if (!socket || socket.readyState !== 1) return { ok: false, status: 0, frames: [], message: 'the WebSocket is not open' };
      // `ws` (Node) writes each message with a syscall of its own unless its socket is corked; a
      // browser buffers on its own.
      const raw = (socket as { _socket?: { cork?(): void; uncork?(): void } })._socket;
      raw?.cork?.();
      try {
        for (const f of frames) socket.send(f);
      } finally {
        raw?.uncork?.();
      }
      return { ok: true };
    },
    close() {
      if (socket && socket.readyState <= 1) socket.close(1000, 'client closed');
      end(1000, 'client closed');
    },
  };
}
