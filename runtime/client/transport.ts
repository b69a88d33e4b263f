/**
 * What the client core needs from a transport, and the environment transports run in. A
 * transport object lives for one connection attempt; the core makes a new one to reconnect.
 * Nothing here imports node: modules — the client runs in browsers as it is.
 */
import type { TransportKind } from '../contract.js';
import { RESUME_TOKEN_HEADER } from '../frames.js';

/*
 * The handler slots take `any` events on purpose: the browser's WebSocket and EventSource and
 * the `ws` package each declare their own event classes, and a narrower parameter type here
 * would make none of them assignable under strictFunctionTypes. The runtime reads only `data`,
 * `code` and `reason`.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */

/** A WebSocket constructor: the browser's, or `ws` in Node 20. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
/** The third argument is the `ws` package's options (request headers, A1); browsers take two and cannot send headers. */
export type WebSocketConstructor = new (url: string, protocols?: undefined, options?: { readonly headers?: Readonly<Record<string, string>> }) => WebSocketLike;

export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  close(): void;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
export type EventSourceConstructor = new (url: string, init?: { readonly withCredentials?: boolean }) => EventSourceLike;

export interface TransportEnvironment {
  /** http(s) origin and optional prefix of the server, e.g. `https://api.example.com/app`. */
  readonly baseUrl: string;
  readonly fetch: typeof fetch;
  readonly WebSocket?: WebSocketConstructor | undefined;
  /** Used for SSE when given (browsers) and no auth headers are to be sent; otherwise SSE is read with fetch streaming. */
  readonly EventSource?: EventSourceConstructor | undefined;
  /** A1: the application's request headers for this connection attempt (the client's `auth`). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** A1: send cookies cross-origin (fetch `credentials: 'include'`, EventSource `withCredentials`). */
  readonly withCredentials?: boolean | undefined;
}

/** A1: what every fetch of a transport carries: the application's headers and credentials mode. */
export function requestInit(env: TransportEnvironment, headers: Readonly<Record<string, string>>): { headers: Record<string, string>; credentials?: RequestCredentials } {
  return { headers: { ...env.headers, ...headers }, ...(env.withCredentials ? { credentials: 'include' as const } : {}) };
}

/** A4: the resume token's own header (never `Authorization`, which is the application's). */
export function tokenHeader(token: string | undefined): Record<string, string> {
  return token ? { [RESUME_TOKEN_HEADER]: token } : {};
}

export interface ResumeParams {
  readonly sessionId: string;
  readonly token: string;
  readonly lastSeenSeq: number;
}

export interface ConnectParams {
  /** H2: protocol versions the client speaks. */
  readonly versions: readonly string[];
  /** R1: resume this session instead of opening a new one. */
  readonly resume?: ResumeParams | undefined;
  /** The cursor now (poll asks again before every request). */
  readonly cursor: () => number;
  /** The session's credentials once known (poll and POST need them). */
  readonly credentials: () => { readonly sessionId: string; readonly token: string } | undefined;
  /** Poll: how large an answer to ask for (it outlives one connection attempt). */
  readonly pollSize?: PollSize | undefined;
}

/**
 * L2/R2 on long-polling: the size of answer to ask for (`max_bytes`). A poll answer cut short
 * (the link dropped mid-answer) makes the client ask for a quarter as much, down to one frame;
 * each answer that arrives whole lets it ask for twice as much again, up to the server's cap.
 * So a backlog always makes progress on a link that cuts after a few kilobytes.
 */
export interface PollSize {
  /** The max_bytes to ask for, or undefined for the server's cap. */
  readonly maxBytes: number | undefined;
  /** An answer was cut short. */
  cut(): void;
  /** An answer arrived whole. */
  whole(): void;
}

/** A PollSize between `floor` bytes and the server's `cap`. */
export function createPollSize(cap: number, floor = 1024): PollSize {
  let size = cap;
  return {
    get maxBytes() {
      return size >= cap ? undefined : size;
    },
    cut() {
      size = Math.max(floor, Math.floor(size / 4));
    },
    whole() {
      size = Math.min(cap, size * 2);
    },
  };
}

export interface CloseInfo {
  /** Whether the connection ever opened (auto mode falls back only from one that never did). */
  readonly opened: boolean;
  readonly code?: number;
  readonly reason: string;
}

export interface TransportEvents {
  open(): void;
  /** One server frame, as text, in order. */
  frame(text: string): void;
  /** Bytes arrived that are not a frame (an SSE comment): the connection is alive. */
  activity(): void;
  close(info: CloseInfo): void;
}

/** What became of sent frames; `acked` (C2) is the highest cseq the server accepted, as a POST answer says. */
export type SendResult = { readonly ok: true; readonly acked?: number } | { readonly ok: false; readonly status: number; readonly frames: readonly unknown[]; readonly message: string; readonly acked?: number };

export interface ClientTransport {
  readonly kind: TransportKind;
  connect(params: ConnectParams): void;
  /** Sends serialized client frames: on the socket (WebSocket) or by POST (SSE, poll). */
  send(frames: readonly string[], token: string | undefined): Promise<SendResult>;
  close(): void;
}

/** Joins the base URL and a contract path. */
export function endpoint(baseUrl: string, path: string, query: Record<string, string | number | undefined> = {}): string {
  const url = new URL(baseUrl.replace(/\/$/, '') + path);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

/** How the messages endpoint wants its POSTs (L2, L4). */
export interface PostOptions {
  /** Named in the query, so the server checks the session before it reads the body (L4). */
  readonly sessionId?: string | undefined;
  /** The contract's limits.maxFramesPerPost: a longer batch goes as several POSTs, in order. */
  readonly maxFrames?: number | undefined;
}

/** POSTs frames to the messages endpoint with the session token (SSE and poll upstream); stops at the first refusal. */
export async function postFrames(env: TransportEnvironment, path: string, frames: readonly string[], token: string | undefined, options: PostOptions = {}): Promise<SendResult> {
  const size = Math.max(1, options.maxFrames ?? frames.length);
  let acked: number | undefined;
  for (let i = 0; i < frames.length; i += size) {
    const result = await postBatch(env, endpoint(env.baseUrl, path, { session_id: options.sessionId }), frames.slice(i, i + size), token);
    if (!result.ok) return result.acked === undefined && acked !== undefined ? { ...result, acked } : result;
    if (result.acked !== undefined) acked = result.acked;
  }
  return acked !== undefined ? { ok: true, acked } : { ok: true };
}

async function postBatch(env: TransportEnvironment, url: string, frames: readonly string[], token: string | undefined): Promise<SendResult> {
  const body = frames.length === 1 ? frames[0]! : `[${frames.join(',')}]`;
  let res: Response;
  try {
    res = await env.fetch(url, {
      method: 'POST',
      ...requestInit(env, { 'content-type': 'application/json', ...tokenHeader(token) }),
      body,
    });
  } catch (err) {
    return { ok: false, status: 0, frames: [], message: `could not reach the server: ${(err as Error).message}` };
  }
  let answer: { frames?: unknown[]; acked?: unknown } = {};
  try {
    answer = (await res.json()) as typeof answer;
  } catch {
    /* not JSON (or cut short): the status says enough */
  }
  // C2: the answer names the highest cseq the server accepted.
  const acked = typeof answer.acked === 'number' ? { acked: answer.acked } : {};
  if (res.ok) return { ok: true, ...acked };
  return { ok: false, status: res.status, frames: answer.frames ?? [], message: `the server refused the frame (HTTP ${res.status})`, ...acked };
}

/** Text of a WebSocket message in browsers (string) and in `ws` (string, Buffer or ArrayBuffer). */
export function messageText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(new Uint8Array(data));
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data as Uint8Array);
  return undefined;
}
