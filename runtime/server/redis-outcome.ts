/**
 * Outcome verification for the Redis store's append: when the connection drops while an append
 * is in flight, the append may or may not have landed. Redis is asked (by the append's random id)
 * until it answers or `verifyMs` runs out: found, it is the seq; searched every seq it could have
 * had, it was not stored; otherwise StoreOutcomeUnknownError says it may have been stored and sent.
 */
import { runScript, unavailable, type RedisLike } from './redis-connection.js';
import { asArray, asNumber, VERIFY } from './redis-scripts.js';
import { StoreUnavailableError, UnknownSessionError } from './store.js';

/** An append whose connection dropped in flight, and Redis could not be asked whether it landed. */
export class StoreOutcomeUnknownError extends StoreUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreOutcomeUnknownError';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface VerifyAppend {
  readonly redis: RedisLike;
  /** The session's meta, log and tomb keys. */
  readonly keys: readonly string[];
  readonly id: string;
  readonly appendId: string;
  /** The first seq the append can have been given (the newest this process knew, plus one). */
  readonly firstPossible: number;
  /** Why the append's answer was lost. */
  readonly cause: unknown;
  readonly verifyMs: number;
  readonly now: () => number;
  readonly closed: () => boolean;
}

/** After an append's connection dropped in flight: did it land? Resolves to its seq, or rejects saying what is known. */
export async function verifyAppend(v: VerifyAppend): Promise<number> {
  const { id, cause } = v;
  const deadline = v.now() + v.verifyMs;
  for (;;) {
    try {
      const [seq, earliest] = asArray(await runScript(v.redis, VERIFY, v.keys, [v.appendId, v.firstPossible]), 'verify') as [unknown, unknown];
      const found = asNumber(seq, 'verify');
      if (found > 0) return found;
      const e = asNumber(earliest, 'verify');
      if (e === -1) throw new UnknownSessionError(id);
      if (e <= v.firstPossible) throw unavailable(`append (session ${id})`, cause); // searched every seq it could have: not stored
      throw new StoreOutcomeUnknownError(`redis store: append (session ${id}) lost its connection in flight and has left the replay window since; it may have been stored and sent`, { cause });
    } catch (error) {
      if (error instanceof StoreUnavailableError || error instanceof UnknownSessionError) throw error;
      if (v.closed() || v.now() >= deadline) {
        throw new StoreOutcomeUnknownError(
          `redis store: append (session ${id}) lost its connection in flight (${(cause as Error).message}) and Redis could not be asked within ${v.verifyMs} ms whether it was stored; it may have been stored and sent`,
          { cause },
        );
      }
      await sleep(50);
    }
  }
}
