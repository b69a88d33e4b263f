/**
 * L2: how many sessions this process holds — in total, per client key, and how fast new ones
 * are made. The key is whatever identifies a client: its address today; a principal once the
 * application authenticates requests (the limiter only ever sees an opaque string). Counts are
 * taken when a session is admitted and given back when it ends, so memory stays bounded by
 * `maxSessions` whatever a client does.
 */
import type { IncomingMessage } from 'node:http';
import type { ContractLimits } from '../limits.js';

/**
 * Who a request counts against (L2). The default is the peer address: behind a reverse proxy
 * that is the proxy's, so give the server a function that reads the client's address from the
 * proxy's header — or, once requests are authenticated, the principal.
 */
export type ClientKey = (req: IncomingMessage) => string;

export const addressKey: ClientKey = (req) => req.socket?.remoteAddress ?? 'unknown';

/** Why a new session was refused: always `overloaded`, with the HTTP status and a retry hint. */
export interface Refusal {
  readonly status: 429 | 503;
  readonly message: string;
  /** Seconds a client should wait before trying again (the Retry-After header). */
  readonly retryAfterS: number;
}

export interface SessionLimiter {
  /**
   * Counts a session for `key`, or says why not. `fresh` sessions (a hello, not a resume of a
   * session held elsewhere) also spend a token of the per-second budget.
   */
  admit(key: string, fresh: boolean): Refusal | undefined;
  /** A session admitted for `key` ended or left this process. */
  release(key: string): void;
  /** Sessions counted now. */
  readonly size: number;
  /** Distinct client keys holding sessions now. */
  readonly clients: number;
}

export type SessionLimits = Pick<ContractLimits, 'maxSessions' | 'maxSessionsPerClient' | 'maxSessionsPerSecond'>;

export function createSessionLimiter(limits: SessionLimits, now: () => number = Date.now): SessionLimiter {
  const perKey = new Map<string, number>();
  let size = 0;
  // Token bucket: up to one second's worth of sessions at once, refilled continuously.
  let tokens = limits.maxSessionsPerSecond;
  let refilledAt = now();

  const refill = (): void => {
    const t = now();
    tokens = Math.min(limits.maxSessionsPerSecond, tokens + ((t - refilledAt) / 1000) * limits.maxSessionsPerSecond);
    refilledAt = t;
  };

  return {
    admit(key, fresh) {
      if (size >= limits.maxSessions) {
        return { status: 503, retryAfterS: 5, message: `the server holds its limit of ${limits.maxSessions} sessions; try again later` };
      }
      const held = perKey.get(key) ?? 0;
      if (held >= limits.maxSessionsPerClient) {
        return { status: 429, retryAfterS: 5, message: `this client holds its limit of ${limits.maxSessionsPerClient} sessions; resume one of them or let one expire` };
      }
      if (fresh) {
        refill();
        if (tokens < 1) return { status: 429, retryAfterS: 1, message: `the server creates at most ${limits.maxSessionsPerSecond} sessions a second; try again in a moment` };
        tokens -= 1;
      }
      perKey.set(key, held + 1);
      size++;
      return undefined;
    },
    release(key) {
      const held = perKey.get(key);
      if (held === undefined) return;
      if (held <= 1) perKey.delete(key);
      else perKey.set(key, held - 1);
      size--;
    },
    get size() {
      return size;
    },
    get clients() {
      return perKey.size;
    },
  };
}
