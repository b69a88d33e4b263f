/**
 * Client long-poll transport: GET the poll path with the cursor (= last seq processed, R4) again
 * and again; each answer is `{ frames: [...] }`. The first request of a new session has no
 * session; a resume is a poll with session_id, cursor and the token. A refusal (404, 410, 400)
 * still carries frames — the typed reason — which are delivered before the transport closes.
 * S4.10: each answer names its attachment; the next poll names it back, so that another server
 * process (no sticky sessions) continues the attachment instead of resuming it.
 */
import type { ContractDescriptor } from '../../contract.js';
import { endpoint, postFrames, requestInit, tokenHeader, type ClientTransport, type ConnectParams, type TransportEnvironment, type TransportEvents } from '../transport.js';

export function createPollClientTransport(contract: ContractDescriptor, env: TransportEnvironment, events: TransportEvents): ClientTransport {
  const poll = contract.transports.poll;
  let opened = false;
  let credentials: ConnectParams['credentials'] | undefined;
  let ended = false;
  const abort = new AbortController();

  const markOpen = (): void => {
    if (opened || ended) return;
    opened = true;
    events.open();
  };

  const end = (reason: string, code?: number): void => {
    if (ended) return;
    ended = true;
    abort.abort();
    events.close({ opened, reason, ...(code !== undefined ? { code } : {}) });
  };

  return {
    kind: 'poll',
    connect(params) {
      credentials = params.credentials;
      if (!poll) return end('the contract has no poll transport');
      void (async () => {
        let resume = params.resume;
        /** S4.10: the attachment the last answer named (this connection's, never an earlier one's). */
        let attachment: string | undefined;
        for (;;) {
          if (ended) return;
          const credentials = resume ?? params.credentials();
          const query: Record<string, string | number | undefined> = { versions: params.versions.join(',') };
          let headers: Record<string, string> = { accept: 'application/json' };
          // A link that cut the last answers short gets smaller ones (it grows back as they arrive whole).
          const maxBytes = params.pollSize?.maxBytes;
          if (maxBytes !== undefined) query.max_bytes = maxBytes;
          if (credentials) {
            query.session_id = credentials.sessionId;
            query.cursor = resume ? resume.lastSeenSeq : params.cursor();
            // R2: a poll that connects again asks for hello and resumed, even if the server still
            // counts the previous poll attachment as live.
            if (resume) query.resume = 1;
            else if (attachment !== undefined) query.attachment = attachment;
            headers = { ...headers, ...tokenHeader(credentials.token) };
          }
          let res: Response;
          let body: { frames?: unknown[]; attachment?: unknown };
          try {
            res = await env.fetch(endpoint(env.baseUrl, poll.path, query), { ...requestInit(env, headers), signal: abort.signal });
            body = (await res.json()) as { frames?: unknown[]; attachment?: unknown };
          } catch (err) {
            if (!ended) params.pollSize?.cut();
            return end(`the poll failed: ${(err as Error).message}`);
          }
          params.pollSize?.whole();
          if (res.ok) markOpen();
          resume = undefined;
          if (typeof body.attachment === 'string') attachment = body.attachment;
          for (const frame of body.frames ?? []) {
            if (ended) return;
            events.frame(JSON.stringify(frame));
          }
          if (!res.ok) return end(`the poll was refused (HTTP ${res.status})`, res.status);
        }
      })();
    },
    send(frames, token) {
      return postFrames(env, poll!.messagesPath, frames, token, { sessionId: credentials?.()?.sessionId, maxFrames: contract.limits?.maxFramesPerPost });
    },
    close() {
      end('client closed');
    },
  };
}
