/**
 * Outcome verification for the Redis store's append and accept (C2): when the connection drops
 * while one is in flight, it may or may not have landed. Redis is asked (by the append's random id)
 * until it answers or `verifyMs` runs out: found, it is the seq; searched every seq it could have
 * had, it was not stored; otherwise StoreOutcomeUnknownError says it may have been stored and sent.
 */
import { runScript, unavailable, type RedisLike } from './redis-connection.js';
import { ACCEPT_RUN, ACCEPTED, asArray, asNumber, VERIFY } from './redis-scripts.js';
import { StoreUnavailableError, UnknownSessionError, type RunAnswer } from './store.js';

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

/**
 * Asks Redis `question` until it answers or `verifyMs` runs out (then `timedOut` says what is not
 * known). A StoreUnavailableError or UnknownSessionError `question` throws is its answer.
 */
async function askUntilAnswered<T>(v: { readonly verifyMs: number; readonly now: () => number; readonly closed: () => boolean }, question: () => Promise<T>, timedOut: () => Error): Promise<T> {
  const deadline = v.now() + v.verifyMs;
  for (;;) {
    try {
      return await question();
    } catch (error) {
      if (error instanceof StoreUnavailableError || error instanceof UnknownSessionError) throw error;
      if (v.closed() || v.now() >= deadline) throw timedOut();
      await sleep(50);
    }
  }
}

/** After an append's connection dropped in flight: did it land? Resolves to its seq, or rejects saying what is known. */
export function verifyAppend(v: VerifyAppend): Promise<number> {
  const { id, cause } = v;
  return askUntilAnswered(
    v,
    async () => {
      const [seq, earliest] = asArray(await runScript(v.redis, VERIFY, v.keys, [v.appendId, v.firstPossible]), 'verify') as [unknown, unknown];
      const found = asNumber(seq, 'verify');
      if (found > 0) return found;
      const e = asNumber(earliest, 'verify');
      if (e === -1) throw new UnknownSessionError(id);
      if (e <= v.firstPossible) throw unavailable(`append (session ${id})`, cause); // searched every seq it could have: not stored
      throw new StoreOutcomeUnknownError(`redis store: append (session ${id}) lost its connection in flight and has left the replay window since; it may have been stored and sent`, { cause });
    },
    () =>
      new StoreOutcomeUnknownError(
        `redis store: append (session ${id}) lost its connection in flight (${(cause as Error).message}) and Redis could not be asked within ${v.verifyMs} ms whether it was stored; it may have been stored and sent`,
        { cause },
      ),
  );
}

export interface VerifyAccept {
  readonly redis: RedisLike;
  readonly keys: readonly string[];
  readonly id: string;
  /** The run the lost accept_run asked about: cseqs first … first + count - 1. */
  readonly first: number;
  readonly count: number;
  /** The id the lost accept_run carried (it records it beside acked). */
  readonly handoff: string;
  readonly cause: unknown;
  readonly verifyMs: number;
  readonly now: () => number;
  readonly closed: () => boolean;
}

/** Reads accept_run's answer {before, after} ({-1, …}: the session is gone). */
export function runAnswerOf(answer: unknown, id: string): RunAnswer {
  const [before, after] = asArray(answer, 'accept_run') as [unknown, unknown];
  const b = asNumber(before, 'accept_run');
  if (b === -1) throw new UnknownSessionError(id);
  return { before: b, acked: asNumber(after, 'accept_run') };
}

/**
 * C2, after an accept_run's connection dropped in flight: did it land? Asked by the hand-off id
 * until Redis answers or `verifyMs` runs out. A run that landed and accepted set acked to its last
 * cseq, and acked only grows: acked below it means it accepted nothing, and the run is asked
 * again. Acked at its last cseq set by this hand-off: accepted from `ackfrom`. By another
 * hand-off: duplicates. Anything it cannot tell (acked moved past the run meanwhile) rejects with
 * StoreOutcomeUnknownError, and no frame of the run is handed to its handler: at most once.
 */
export function verifyAccept(v: VerifyAccept): Promise<RunAnswer> {
  const { id, first, count, cause } = v;
  const last = first + count - 1;
  const run = count === 1 ? `cseq ${first}` : `cseqs ${first}–${last}`;
  return askUntilAnswered(
    v,
    async (): Promise<RunAnswer> => {
      const [ackedRaw, by, from] = asArray(await runScript(v.redis, ACCEPTED, v.keys, []), 'accepted') as [unknown, unknown, unknown];
      const acked = asNumber(ackedRaw, 'accepted');
      if (acked === -1) throw new UnknownSessionError(id);
      if (acked < last) return runAnswerOf(await runScript(v.redis, ACCEPT_RUN, v.keys, [first, count, v.handoff]), id);
      if (acked === last) return String(by) === v.handoff ? { before: asNumber(from, 'accepted') - 1, acked } : { before: acked, acked };
      throw new StoreOutcomeUnknownError(`redis store: accept of ${run} (session ${id}) lost its connection in flight and acked has moved past it since; it was not handed to its handler`, { cause });
    },
    () => new StoreOutcomeUnknownError(`redis store: accept of ${run} (session ${id}) lost its connection in flight and Redis could not be asked within ${v.verifyMs} ms; it was not handed to its handler`, { cause }),
  );
}
