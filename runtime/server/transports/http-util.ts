/**
 * Small HTTP helpers shared by the SSE, poll and messages endpoints: bounded body reading,
 * JSON answers, bearer tokens and strict integer query parameters.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * L1: the request target as a URL, or undefined when it is not one. `new URL(req.url, base)`
 * throws on targets such as `//[` (read as a host); here the origin is fixed and the target is
 * only ever a path and query (or an absolute URL, the proxy form). Never throws.
 */
export function requestUrl(req: IncomingMessage): URL | undefined {
  const raw = req.url ?? '/';
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

const STATUS_TEXT: Readonly<Record<number, string>> = { 400: 'Bad Request', 404: 'Not Found', 503: 'Service Unavailable' };

export class BodyTooLargeError extends Error {}

/** Reads a request body as UTF-8, refusing more than `limit` bytes without buffering them. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
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

/** The token of `Authorization: Bearer <token>`, or a `resume_token` query parameter (S5). */
export function bearerToken(req: IncomingMessage, url?: URL): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+([A-Za-z0-9_-]+)\s*$/i.exec(header);
    if (m) return m[1];
  }
  return url?.searchParams.get('resume_token') ?? undefined;
}

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
