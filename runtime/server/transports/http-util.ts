/**
 * Small HTTP helpers shared by the SSE, poll and messages endpoints: bounded body reading,
 * JSON answers, resume tokens and strict integer query parameters.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RESUME_TOKEN_HEADER } from '../../frames.js';
import { originalTarget } from '../auth.js';
import type { Duplex } from 'node:stream';

/**
 * L1: the request target as a URL, or undefined when it is not one. `new URL(req.url, base)`
 * throws on targets such as `//[` (read as a host); here the origin is fixed and the target is
 * only ever a path and query (or an absolute URL, the proxy form). Never throws. The target is
 * the whole one a framework saw first (Express strips its mount path from `url`, not from
 * `originalUrl`), so the contract's paths match wherever the server is mounted.
 */
export function requestUrl(req: IncomingMessage, raw: string = originalTarget(req)): URL | undefined {
  try {
    return raw.startsWith('/') ? new URL(`http://localhost${raw}`) : new URL(raw);
  } catch {
    return undefined;
  }
}

/** L1: answers a request whose target is not a URL. */
export function badTarget(res: ServerResponse): void {
  sendJson(res, 400, JSON.stringify({ error: 'the request target is not a valid URL path' }), { connection: 'close' });
}

/** L1: answers an HTTP upgrade on a raw socket and closes it (what ws does for a handshake it refuses). */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  socket.on('error', () => undefined); // the peer may be gone already
  if (socket.writable) {
    const body = JSON.stringify({ error: message });
    socket.write(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  }
  socket.destroy();
}

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 500: 'Internal Server Error', 503: 'Service Unavailable' };

export class BodyTooLargeError extends Error {}

/**
 * A body a framework's parser read before the server saw the request (Express's `express.json()`,
 * `text()`, `raw()` mounted first): the stream is over and the body is on `req.body` — text,
 * bytes, or parsed JSON, which is written back as JSON. Undefined when the stream is unread.
 */
export function parsedBody(req: IncomingMessage): string | undefined {
  if (!req.readableEnded && !(req.complete && !req.readable)) return undefined;
  const body = (req as { body?: unknown }).body;
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  return body === undefined ? '' : (JSON.stringify(body) ?? '');
}

/**
 * Reads a request body as UTF-8, refusing more than `limit` bytes without buffering them; a body a
 * framework already read is taken from `req.body` (a stream read twice would never end).
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const parsed = parsedBody(req);
  if (parsed !== undefined) return Buffer.byteLength(parsed) > limit ? Promise.reject(new BodyTooLargeError(`the request body exceeds ${limit} bytes`)) : Promise.resolve(parsed);
  return new Promise((resolve, reject) => {
    let chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError(`the request body exceeds ${limit} bytes`));
        chunks = []; // drop what was kept; the rest is drained and dropped
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
    // A client that goes away mid-body: settle, so nothing waits on it.
    req.on('close', () => reject(new Error('the client closed the request before its body ended')));
  });
}

export function sendJson(res: ServerResponse, status: number, body: string, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...extraHeaders });
  res.end(body);
}

/** `{"frames":[…]}` from already-serialized frames, without parsing them again. */
export function framesBody(frames: readonly string[]): string {
  return `{"frames":[${frames.join(',')}]}`;
}

/**
 * The resume token of a poll or POST: the `Resume-Token` header, or a `resume_token` query
 * parameter where a client cannot set headers (S5). A4: never `Authorization`, which carries the
 * application's own credentials.
 */
export function resumeToken(req: IncomingMessage, url?: URL): string | undefined {
  const header = req.headers[TOKEN_HEADER];
  if (typeof header === 'string') return header.trim();
  return url?.searchParams.get('resume_token') ?? undefined;
}

const TOKEN_HEADER = RESUME_TOKEN_HEADER.toLowerCase();

/** A canonical non-negative integer (`0`, `17`), or undefined; anything else is malformed. */
export function parseCursor(value: string | null | undefined): number | undefined | 'malformed' {
  if (value === null || value === undefined) return undefined;
  if (!/^(0|[1-9][0-9]*)$/.test(value)) return 'malformed';
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : 'malformed';
}

export function methodNotAllowed(res: ServerResponse, allow: string): void {
  sendJson(res, 405, JSON.stringify({ error: `method not allowed; use ${allow}` }), { allow });
}
