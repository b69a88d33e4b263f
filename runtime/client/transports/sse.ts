/**
 * Client SSE transport. Reads the stream with the given EventSource (browsers) or with fetch
 * streaming (Node 20, and anywhere EventSource is absent). EventSource cannot send headers, so a
 * resume puts session_id, resume_token and last_seen_seq in the query string (S5). EventSource's
 * own reconnect is never used: the client core reconnects with the current cursor itself.
 */
import type { ContractDescriptor } from '../../contract.js';
import { endpoint, postFrames, requestInit, type ClientTransport, type ConnectParams, type TransportEnvironment, type TransportEvents } from '../transport.js';

/**
 * Splits an SSE byte stream into events (data lines joined) and comments. `id` is the event's own
 * `id:` field, if it had one (not EventSource's sticky last event id): the client reads the seq
 * from the frame, but a conformance probe checks that only data events carry an id (R4). `lines`
 * (how many `data:` lines the event had) and `onField` (any other field, `event:` say) are for
 * the probe too: the wire puts one frame on one `data:` line and no `event:` (R4.4).
 */
export function createSseParser(
  onData: (data: string, id: string | undefined, lines: number) => void,
  onComment: (text: string) => void,
  onField?: (name: string) => void,
): (chunk: string) => void {
  let buffer = '';
  let data: string[] = [];
  let id: string | undefined;
  // A chunk that ended on CR: a LF at the start of the next one belongs to the same line end
  // (CRLF split across chunks), not to a blank line that would dispatch the event early.
  let skipLf = false;
  return (chunk) => {
    if (chunk === '') return;
    if (skipLf && chunk.startsWith('\n')) chunk = chunk.slice(1);
    skipLf = false;
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, newline);
      const crAtEnd = buffer[newline] === '\r' && newline + 1 === buffer.length;
      buffer = buffer.slice(newline + (buffer[newline] === '\r' && buffer[newline + 1] === '\n' ? 2 : 1));
      if (crAtEnd) skipLf = true;
      if (line === '') {
        if (data.length > 0) onData(data.join('\n'), id, data.length);
        data = [];
        id = undefined;
      } else if (line.startsWith(':')) onComment(line.slice(1).trim());
      else if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
      else if (line.startsWith('id:')) id = line.slice(line[3] === ' ' ? 4 : 3);
      // event: and retry: carry nothing the client needs: the seq is in the frame header.
      else onField?.(line.split(':', 1)[0]!);
    }
  };
}

export function createSseClientTransport(contract: ContractDescriptor, env: TransportEnvironment, events: TransportEvents): ClientTransport {
  const sse = contract.transports.sse;
  let opened = false;
  let credentials: ConnectParams['credentials'] | undefined;
  let ended = false;
  let abort: AbortController | undefined;
  let source: import('../transport.js').EventSourceLike | undefined;

  const end = (reason: string): void => {
    if (ended) return;
    ended = true;
    source?.close();
    abort?.abort();
    events.close({ opened, reason });
  };

  return {
    kind: 'sse',
    connect(params) {
      credentials = params.credentials;
      if (!sse) return end('the contract has no SSE transport');
      const r = params.resume;
      const url = endpoint(env.baseUrl, sse.path, { versions: params.versions.join(','), session_id: r?.sessionId, resume_token: r?.token, last_seen_seq: r?.lastSeenSeq });
      // EventSource cannot send headers: with auth headers the stream is read with fetch.
      if (env.EventSource && Object.keys(env.headers ?? {}).length === 0) {
        source = env.withCredentials ? new env.EventSource(url, { withCredentials: true }) : new env.EventSource(url);
        source.onopen = () => {
          opened = true;
          events.open();
        };
        source.onmessage = (e: { readonly data: string }) => events.frame(e.data);
        source.onerror = () => end('the event stream ended');
        return;
      }
      abort = new AbortController();
      const parse = createSseParser(
        (data) => events.frame(data),
        () => events.activity(),
      );
      void (async () => {
        try {
          const res = await env.fetch(url, { ...requestInit(env, { accept: 'text/event-stream' }), signal: abort!.signal });
          if (!res.ok || !res.body) return end(`the event stream answered HTTP ${res.status}`);
          opened = true;
          events.open();
          const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            parse(value);
          }
          end('the event stream ended');
        } catch (err) {
          end(`the event stream failed: ${(err as Error).message}`);
        }
      })();
    },
    send(frames, token) {
      return postFrames(env, sse!.messagesPath, frames, token, { sessionId: credentials?.()?.sessionId, maxFrames: contract.limits?.maxFramesPerPost });
    },
    close() {
      end('client closed');
    },
  };
}
