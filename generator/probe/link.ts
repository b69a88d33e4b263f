/**
 * Probe stage 2 — links: what the probe's clients have in common. A `Link` is one attachment of
 * the probe to the server over one transport (websocket-link.ts, sse-link.ts, poll-link.ts); it
 * hands out the frames it receives one by one, and every frame also goes to the transport's
 * `Recorder`, which validates it against the spec and keeps it for the checks that look at
 * everything a transport sent (Q1, R4, frame validity).
 */
import type { TransportKind } from '../model.js';
import type { ProbeSpec } from './spec.js';

/** A server frame as parsed from the wire. */
export interface WireFrame {
  readonly type: string;
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface Received {
  readonly frame: WireFrame;
  /** Q1: a data message by the spec's roles (not by whether it carries seq). */
  readonly data: boolean;
  /** SSE only: the event's own `id:` field, if it had one. */
  readonly sseId?: string | undefined;
  /** UTF-8 bytes of the frame's text as it came (WebSocket and SSE, where one frame is one text). */
  readonly bytes?: number | undefined;
  /** The session of the link it arrived on (known once a hello arrived, or from the resume). */
  readonly sessionId: string | undefined;
}

/** How the server ended a link. */
export interface EndInfo {
  /** WebSocket close code. */
  readonly code?: number;
  readonly reason?: string;
  /** HTTP status of the last answer (SSE, poll). */
  readonly status?: number;
  /** The body of an answer that was not a stream (a refusal), cut short, for evidence. */
  readonly body?: string;
}

/** The answer to a POSTed client frame. */
export interface PostAnswer {
  readonly status: number;
  /** The parsed JSON body, or the text when it is not JSON. */
  readonly body: unknown;
  /** Frames in the body (`{ frames: [...] }`), if any. */
  readonly frames: readonly WireFrame[];
}

export interface Link {
  readonly kind: TransportKind;
  /** HTTP status of the answer that opened the link (101 for an accepted WebSocket upgrade; 0 when none came). */
  readonly status: number;
  /** The session of this link: from the resume request, or from the first hello. */
  readonly session: { readonly id: string; readonly token: string } | undefined;
  /** Every frame received on this link, in order, heartbeats included. */
  readonly log: readonly Received[];
  /** The next frame that is not a heartbeat, or undefined when none arrives within `timeoutMs` or the link ended. */
  next(timeoutMs: number): Promise<Received | undefined>;
  /**
   * Sends a client frame: on the socket (WebSocket), or POSTed with `Resume-Token: <token>`
   * (SSE, poll). A string is sent as it is (malformed frames); `binary` sends it as a binary message.
   */
  send(frame: unknown, options?: { readonly token?: string | null; readonly binary?: boolean }): Promise<PostAnswer | undefined>;
  /** Ends the attachment politely: WebSocket sends what is queued, then closes; HTTP links abort. */
  close(): void;
  /** Ends the attachment at once, without a goodbye. */
  drop(): void;
  /** Set once the server ended the link. */
  readonly ended: EndInfo | undefined;
}

/** What a transport client needs to know. */
export interface LinkEnvironment {
  readonly spec: ProbeSpec;
  readonly base: URL;
  readonly recorder: Recorder;
  /** Bound on every single request (connect, POST); waits for frames have their own timeouts. */
  readonly timeoutMs: number;
  /** Registers a link so the runner can drop whatever a check left open. */
  track(link: Link): void;
  /** The poll hold the server runs with, when the probe was told (--timers); else the spec's. */
  readonly holdMs?: number | undefined;
  /** A1: the application's credentials (`--header`), sent with every request and upgrade. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** A URL under the base URL (which may carry a path prefix such as /api). */
export function urlFor(base: URL, path: string, query: Readonly<Record<string, string | number | undefined>> = {}): URL {
  const url = new URL(base.href);
  url.pathname = base.pathname.replace(/\/$/, '') + path;
  url.search = '';
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url;
}

/** The frames of a `{ "frames": [...] }` body, or undefined when the body is not one. */
export function framesOf(body: unknown): readonly unknown[] | undefined {
  const frames = typeof body === 'object' && body !== null ? (body as { frames?: unknown }).frames : undefined;
  return Array.isArray(frames) ? frames : undefined;
}

/**
 * Everything one transport delivered during a probe run. Each frame is validated against the
 * spec on arrival; what fails is kept as a violation with its evidence.
 */
export class Recorder {
  readonly received: Received[] = [];
  /** What was wrong with a frame, and the first frame it was wrong with. */
  readonly violations: { readonly reason: string; readonly sample: string }[] = [];
  /** SSE: what broke the framing of R4.4 (more than one data: line, an event: field, a comment). */
  readonly framing: string[] = [];
  constructor(private readonly spec: ProbeSpec) {}

  violation(reason: string, sample = ''): void {
    this.violations.push({ reason, sample: clip(sample) });
  }

  /** Parses one frame's text; undefined (and a violation) when it is not JSON. */
  parse(raw: string): { readonly value: unknown } | undefined {
    try {
      return { value: JSON.parse(raw) as unknown };
    } catch {
      this.violation('not JSON', raw);
      return undefined;
    }
  }

  /** Validates and keeps one parsed frame; undefined when it is not a frame at all. */
  value(value: unknown, sessionId: string | undefined, sseId?: string, bytes?: number): Received | undefined {
    const why = this.spec.invalidFrame(value);
    if (why) this.violation(why, JSON.stringify(value));
    if (typeof value !== 'object' || value === null || typeof (value as { type?: unknown }).type !== 'string') return undefined;
    const v = value as { type: string; header?: unknown; payload?: unknown };
    const frame: WireFrame = {
      type: v.type,
      header: typeof v.header === 'object' && v.header !== null ? (v.header as Record<string, unknown>) : {},
      payload: typeof v.payload === 'object' && v.payload !== null ? (v.payload as Record<string, unknown>) : {},
    };
    const received: Received = { frame, data: this.spec.isData(frame.type), sessionId, ...(sseId !== undefined ? { sseId } : {}), ...(bytes !== undefined ? { bytes } : {}) };
    this.received.push(received);
    return received;
  }
}

/** Text cut short for evidence. */
export function clip(text: string, max = 160): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export const HEARTBEAT = 'protocol.heartbeat';

/** The session a hello announces, if `value` is one. */
export function helloSession(value: unknown): { readonly id: string; readonly token: string } | undefined {
  const v = value as { type?: unknown; payload?: { session_id?: unknown; resume_token?: unknown } } | null;
  if (v?.type !== 'protocol.hello' || typeof v.payload?.session_id !== 'string' || typeof v.payload.resume_token !== 'string') return undefined;
  return { id: v.payload.session_id, token: v.payload.resume_token };
}

/** Frames of one link in arrival order, with a timed wait for the next one. */
export class FrameQueue {
  readonly log: Received[] = [];
  private readonly queue: Received[] = [];
  private waiter: (() => void) | undefined;
  private finished = false;

  push(r: Received): void {
    this.log.push(r);
    if (r.frame.type !== HEARTBEAT) this.queue.push(r);
    this.wake();
  }

  finish(): void {
    this.finished = true;
    this.wake();
  }

  get done(): boolean {
    return this.finished;
  }

  get pending(): number {
    return this.queue.length;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** The next frame that is not a heartbeat; `pull` is asked for more when none is queued. */
  async next(timeoutMs: number, pull?: () => void): Promise<Received | undefined> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = this.queue.shift();
      if (r) return r;
      if (this.finished) return undefined;
      const left = until - Date.now();
      if (left <= 0) return undefined;
      pull?.();
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
}

/** POSTs one client frame (or any body) to a messages path. */
export async function postFrame(env: LinkEnvironment, path: string, body: unknown, token: string | undefined, sessionId: string | undefined, query: Readonly<Record<string, string>> = {}): Promise<PostAnswer> {
  const res = await fetch(urlFor(env.base, path, query), {
    method: 'POST',
    headers: { ...env.headers, 'content-type': 'application/json', ...(token !== undefined ? { 'resume-token': token } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(env.timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: kept as text */
  }
  const frames = (framesOf(parsed) ?? []).map((f) => env.recorder.value(f, sessionId)?.frame).filter((f): f is WireFrame => f !== undefined);
  return { status: res.status, body: parsed, frames };
}
