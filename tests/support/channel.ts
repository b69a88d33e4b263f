/**
 * The shape every raw client of the suites has (`Channel`: one attachment of one client over one
 * transport), and the queue of frames it reads from with typed waits.
 */
import type { TransportKind } from '../../runtime/contract.js';
import { sleep } from './lifecycle.js';

export type Kind = TransportKind;
export const KINDS: readonly Kind[] = ['websocket', 'sse', 'poll'];

/** A frame as the client sees it (parsed JSON). */
export interface Frame {
  readonly type: string;
  readonly header: Record<string, any>;
  readonly payload: Record<string, any>;
}

export const isData = (f: Frame): boolean => typeof f.header.seq === 'number';

// ---------------------------------------------------------------------------------------------
// A frame queue with typed waits, shared by the three clients

export interface EndInfo {
  /** WebSocket close code. */
  readonly code?: number;
  readonly reason?: string;
  /** HTTP status of the last poll answer. */
  readonly status?: number;
}

export class FrameQueue {
  readonly log: Frame[] = [];
  private readonly queue: Frame[] = [];
  private waiter: (() => void) | undefined;
  private finished = false;

  push(frame: Frame): void {
    this.log.push(frame);
    this.queue.push(frame);
    this.wake();
  }

  finish(): void {
    this.finished = true;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Frames that arrived and were not taken yet (heartbeats excluded). */
  pending(): Frame[] {
    return this.queue.filter((f) => f.type !== 'protocol.heartbeat');
  }

  /**
   * The next frame; heartbeats are skipped unless `type` is protocol.heartbeat. With `type`, a
   * different frame is an error that shows what came instead.
   */
  async next(kind: string, type?: string, timeoutMs = 3000): Promise<Frame> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const wantHeartbeat = type === 'protocol.heartbeat';
      while (this.queue.length > 0) {
        const f = this.queue.shift()!;
        if (f.type === 'protocol.heartbeat' && !wantHeartbeat) continue;
        if (type !== undefined && f.type !== type) throw new Error(`${kind}: expected ${type}, got ${JSON.stringify(f)}`);
        return f;
      }
      if (this.finished) throw new Error(`${kind}: the connection ended while waiting for ${type ?? 'a frame'}; received ${JSON.stringify(this.log.map((f) => f.type))}`);
      const left = until - Date.now();
      if (left <= 0) throw new Error(`${kind}: no ${type ?? 'frame'} within ${timeoutMs} ms; received ${JSON.stringify(this.log.map((f) => f.type))}`);
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

// ---------------------------------------------------------------------------------------------
// Channels: one attachment of one client over one transport

export interface SendResult {
  /** HTTP status of the POST (202 accepted); 0 over WebSocket. */
  readonly status: number;
  /** The answer body of the POST. */
  readonly body?: { accepted: number; frames: Frame[] };
}

export interface Channel {
  readonly kind: Kind;
  /** HTTP status of the first answer (101 for a WebSocket upgrade; poll: 0 until it came). */
  readonly status: number;
  /** Every frame received, in order (heartbeats included). */
  readonly log: readonly Frame[];
  /** The next frame (see FrameQueue.next). */
  next(type?: string, timeoutMs?: number): Promise<Frame>;
  /** The next `n` frames, each of which must be a data frame. */
  data(n: number): Promise<Frame[]>;
  /** Asserts that no frame (heartbeats aside) arrives within `ms`. */
  idle(ms?: number): Promise<void>;
  /** Sends a client frame: over the socket (WebSocket) or by POST with the bearer token. */
  send(frame: object | string, token?: string): Promise<SendResult>;
  /** Forced disconnect: destroy the socket / abort the request, no goodbye. */
  drop(): void;
  /** Resolves when the server ended the attachment (close, end of stream, poll refused/superseded). */
  readonly ended: Promise<EndInfo>;
  /** SSE only: the `id:` of an event, by frame. */
  idOf(frame: Frame): string | undefined;
  /** SSE only: comment lines received (heartbeats). */
  readonly comments: readonly string[];
}


export async function takeData(ch: Channel, n: number): Promise<Frame[]> {
  const out: Frame[] = [];
  while (out.length < n) {
    const f = await ch.next();
    if (!isData(f)) throw new Error(`${ch.kind}: expected data frame #${out.length + 1} of ${n}, got ${JSON.stringify(f)}`);
    out.push(f);
  }
  return out;
}

export async function idle(q: FrameQueue, kind: string, ms = 200): Promise<void> {
  await sleep(ms);
  const extra = q.pending();
  if (extra.length > 0) throw new Error(`${kind}: expected nothing more, got ${JSON.stringify(extra)}`);
}

/** [from, …, to] */
export const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
