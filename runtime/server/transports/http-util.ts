/**
 * Small HTTP helpers shared by the SSE, poll and messages endpoints: bounded body reading,
 * JSON answers, bearer tokens and strict integer query parameters.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export class BodyTooLargeError extends Error {}

/** Reads a request body as UTF-8, refusing more than `limit` bytes without buffering them. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError(`the request body exceeds ${limit} bytes`));
        req.resume(); // drain and drop the rest
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
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
