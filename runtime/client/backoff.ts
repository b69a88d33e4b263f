/**
 * Reconnect delays: exponential with full jitter (a random delay between 0 and the exponential
 * cap), so a server restart is not followed by every client reconnecting in the same instant.
 */

export interface BackoffOptions {
  /** First cap in ms (default 250). */
  readonly initialMs?: number;
  /** Largest cap in ms (default 10 000). */
  readonly maxMs?: number;
  readonly factor?: number;
  /** A source of numbers in [0, 1); injectable so tests can replay a run. */
  readonly random?: () => number;
}

export interface Backoff {
  /** The delay before the next attempt; each call raises the cap. */
  next(): number;
  /** Back to the first cap, after a connection succeeded. */
  reset(): void;
  readonly attempts: number;
}

export function createBackoff(options: BackoffOptions = {}): Backoff {
  const initial = options.initialMs ?? 250;
  const max = options.maxMs ?? 10_000;
  const factor = options.factor ?? 2;
  const random = options.random ?? Math.random;
  let attempts = 0;
  return {
    next() {
      const cap = Math.min(max, initial * factor ** attempts);
      attempts++;
      return Math.floor(random() * cap);
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}

/** A small seeded PRNG (mulberry32) for reproducible jitter and chaos tests. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
