/**
 * The session store on Redis, so that several server processes behind a load balancer serve one
 * protocol (DESIGN §2): a session created in one process resumes in another, and data emitted
 * anywhere reaches the process that holds the session's connection, in seq order.
 *
 * Keys and scripts are in redis-scripts.ts; the attachments this process holds (claims, the
 * session channels, TTL refresh) in redis-attachments.ts, and ordered delivery to them in
 * redis-delivery.ts.
 *
 * meta and log carry the TTL (S4): PEXPIRE ttlMs on create and detach, and while attached the
 * owning process refreshes it every `refreshMs` (< ttlMs) — so the sessions of a crashed process
 * still expire. Every mutation is one Lua script: append increments the counter, builds the frame
 * from prefix + seq + suffix, XADDs it, trims the window by count and bytes and PUBLISHes it, so
 * the publish order is the seq order whichever process appended.
 *
 * Connections: pass two (commands, and a subscriber: a subscribed connection cannot run commands),
 * created with `{ enableOfflineQueue: false, maxRetriesPerRequest: 0 }` so that a lost Redis rejects
 * operations at once, and the subscriber with `autoResubscribe: false` (the store subscribes again
 * itself); the store refuses connections that would queue, re-send or resubscribe unhandled (see
 * redis-connection.ts). Every failure rejects with StoreUnavailableError naming what failed;
 * append's rejection means the message was not stored and not sent, except for the
 * StoreOutcomeUnknownError subclass (the connection dropped while the append was in flight and
 * Redis could not be asked again within `verifyMs`).
 */
import { createIdSequence, ownerDigest, randomId, tokenDigest, tokenMatches } from './ids.js';
import { createAttachments } from './redis-attachments.js';
import { createRedisIndex } from './redis-index.js';
import { runAnswerOf, verifyAccept, verifyAppend } from './redis-outcome.js';
import {
  checkConnectionOptions,
  isNotSent,
  isReplyError,
  REQUIRED_COMMAND_OPTIONS,
  REQUIRED_SUBSCRIBER_OPTIONS,
  runScript,
  unavailable,
  type RedisArg,
  type RedisLike,
  type RedisScript,
  type RedisSubscriberLike,
} from './redis-connection.js';
import { ACCEPT_RUN, APPEND, asArray, asNumber, AUTHENTICATE, CREATE, END, framesOf, RELEASE, REPLAY, sessionKeys, STATUS } from './redis-scripts.js';
import { ANONYMOUS, StoreUnavailableError, UnknownSessionError, type Continued, type FrameParts, type ReplayAnswer, type RunAnswer, type SessionListener, type SessionStore, type Subscription } from './store.js';

export type { RedisLike, RedisSubscriberLike } from './redis-connection.js';

export { StoreOutcomeUnknownError } from './redis-outcome.js';

export interface RedisStoreOptions {
  /** The commands connection (an ioredis instance). */
  readonly redis: RedisLike;
  /** A second connection, used only to SUBSCRIBE. */
  readonly subscriber: RedisSubscriberLike;
  /** The contract's session and replay-window parameters: pass the generated `contract`. */
  readonly contract: {
    readonly session: { readonly ttlMs: number; readonly idBits: number; readonly tokenBits: number };
    readonly replayWindow: { readonly maxMessages: number; readonly maxBytes: number };
  };
  /** Prefix of every key and channel (default `contractgen:`). */
  readonly prefix?: string | undefined;
  /** How often the owner of an attachment refreshes its session's TTL (default ttlMs / 4, at most 30 s). */
  readonly refreshMs?: number | undefined;
  /** How long after a session is gone a resume with its token still hears session_expired (default 24 h). */
  readonly tombstoneMs?: number | undefined;
  /** How long an append whose connection dropped in flight keeps asking Redis whether it landed (default 2 s). */
  readonly verifyMs?: number | undefined;
  /** Told about failures of background work (TTL refresh, catching up after a lost subscription). */
  readonly onError?: ((error: StoreUnavailableError) => void) | undefined;
  readonly now?: (() => number) | undefined;
}

export interface RedisSessionStore extends SessionStore {
  readonly kind: 'redis';
  /** Always a promise: the seq comes from Redis. */
  append(id: string, parts: FrameParts): Promise<number>;
  /** Always a promise: the decision is Redis's. */
  acceptRun(id: string, first: number, count: number): Promise<RunAnswer>;
  proceed(id: string, attachmentId: string, leaseMs: number, listener: SessionListener): Promise<Continued | undefined>;
  renew(subscription: Subscription, leaseMs: number): Promise<boolean>;
  /** Keys and channel of a session (for tests and operations). */
  keysOf(id: string): { readonly meta: string; readonly log: string; readonly tomb: string; readonly channel: string };
  /** Sessions whose attachment this process holds. */
  readonly attachedHere: number;
}

// ---------------------------------------------------------------------------------------------

const MAX_KNOWN = 10_000;

/**
 * A SessionStore on Redis (see the file comment for keys, scripts and failure semantics). Close
 * it with `close()`, which also QUITs both connections.
 */
export function createRedisStore(options: RedisStoreOptions): RedisSessionStore {
  const { redis, subscriber } = options;
  checkConnectionOptions(redis, 'commands', REQUIRED_COMMAND_OPTIONS);
  checkConnectionOptions(subscriber, 'subscriber', REQUIRED_SUBSCRIBER_OPTIONS);
  if (redis === (subscriber as unknown)) throw new TypeError('redis store: pass two connections: a subscribed connection cannot run commands');
  const { ttlMs, idBits, tokenBits } = options.contract.session;
  const { maxMessages, maxBytes } = options.contract.replayWindow;
  const prefix = options.prefix ?? 'contractgen:';
  const refreshMs = options.refreshMs ?? Math.min(30_000, Math.max(50, Math.floor(ttlMs / 4)));
  if (!(refreshMs > 0 && refreshMs < ttlMs)) throw new RangeError(`redis store: refreshMs (${refreshMs}) must be above 0 and below the session TTL (${ttlMs} ms), or sessions expire while attached`);
  const tombTtl = ttlMs + (options.tombstoneMs ?? 24 * 60 * 60 * 1000);
  const verifyMs = options.verifyMs ?? 2000;
  const now = options.now ?? Date.now;

  /** Sessions this process detached (or created), and when: sweep() looks at these. */
  const detached = new Map<string, number>();
  /** The newest seq this process knows per session (bounds the search after an ambiguous append). */
  const known = new Map<string, number>();
  let closed = false;
  /** C2: the id each accept_run records beside acked, to tell after a lost answer whether it landed. */
  const handoffId = createIdSequence(96);

  const keysOf = (id: string) => sessionKeys(prefix, id);
  const keyList = (id: string): string[] => {
    const k = keysOf(id);
    return [k.meta, k.log, k.tomb];
  };
  const report = (error: unknown, what: string): void => {
    try {
      options.onError?.(unavailable(what, error));
    } catch {
      /* a failing error hook must not break a timer or the subscriber */
    }
  };

  /** Runs a script on one session's keys; a failure names the operation (and the session, unless it is being created). */
  const run = async (what: string, script: RedisScript, id: string, args: readonly RedisArg[]): Promise<unknown> => {
    const label = script === CREATE ? what : `${what} (session ${id})`;
    if (closed) throw new StoreUnavailableError(`redis store: ${label} after close()`);
    try {
      return await runScript(redis, script, keyList(id), args);
    } catch (error) {
      throw unavailable(label, error);
    }
  };

  const remember = (id: string, seq: number): void => {
    if ((known.get(id) ?? 0) >= seq) return;
    known.delete(id); // re-insert: the map's order is recency, the oldest goes first
    known.set(id, seq);
    if (known.size > MAX_KNOWN) known.delete(known.keys().next().value as string);
  };

  // Fan-out: every session, and each owner's (redis-index.ts).
  const index = createRedisIndex({ redis, prefix, ttlMs: tombTtl, now, report });

  const replay = async (id: string, afterSeq: number): Promise<ReplayAnswer> => {
    const answer = asArray(await run('replay', REPLAY, id, [afterSeq]), 'replay');
    const status = asNumber(answer[0], 'replay');
    if (status === -1) throw new UnknownSessionError(id);
    const earliestSeq = asNumber(answer[1], 'replay');
    const latestSeq = asNumber(answer[2], 'replay');
    if (status === 1) return { ok: false, reason: 'invalid_cursor', earliestSeq, latestSeq };
    if (status === 2) return { ok: false, reason: 'window_exceeded', earliestSeq, latestSeq };
    const frames = framesOf(asArray(answer[3], 'replay'), 'replay');
    // Never a silent partial replay (R3): the window is contiguous, or this is an error.
    if (frames.length !== latestSeq - afterSeq || (frames.length > 0 && frames[0]!.seq !== afterSeq + 1)) {
      throw new StoreUnavailableError(`redis store: the window of session ${id} is not contiguous (${frames.length} frames after ${afterSeq}, latest ${latestSeq})`);
    }
    return { ok: true, fromSeq: afterSeq + 1, latestSeq, frames, acked: asNumber(answer[4] ?? 0, 'replay') };
  };

  // The attachments this process holds: claims, the session channels, TTL refresh (redis-attachments.ts).
  const attachments = createAttachments({ redis, subscriber, prefix, ttlMs, tombTtl, refreshMs, index, keysOf, keyList, run, replay, remember, detached, report, now, closed: () => closed });

  const store: RedisSessionStore = {
    kind: 'redis',
    keysOf,
    get attachedHere() {
      return attachments.size;
    },

    async create(protocolVersion, owner = ANONYMOUS) {
      const digest = owner.key === '' ? '' : ownerDigest(owner.key);
      for (let attempt = 0; attempt < 3; attempt++) {
        const id = randomId(idBits);
        const token = randomId(tokenBits);
        const created = await run('create', CREATE, id, [tokenDigest(token, owner.key).toString('hex'), protocolVersion, ttlMs, tombTtl, digest, owner.principal]);
        if (created === 1) {
          detached.set(id, now());
          await index.add(id, digest);
          return { id, token };
        }
      }
      throw new StoreUnavailableError('redis store: create found three fresh session ids taken; the CSPRNG or the key prefix is broken');
    },

    async authenticate(id, token, owner = '') {
      const [digest, version, tomb] = asArray(await run('authenticate', AUTHENTICATE, id, []), 'authenticate').map(String) as [string, string, string];
      const matches = (hex: string): boolean => hex.length === 64 && tokenMatches(token, Buffer.from(hex, 'hex'), owner);
      if (digest !== '') return matches(digest) ? { ok: true, protocolVersion: version } : { ok: false, reason: 'unknown_session' };
      // Only the holder of the right token, presented by its owner, learns that the session expired (S3, A2: no oracle).
      if (tomb !== '' && matches(tomb)) return { ok: false, reason: 'session_expired' };
      tokenMatches(token, tokenDigest(''), owner); // the same work on every path
      return { ok: false, reason: 'unknown_session' };
    },

    sessionsOf(owner) {
      return index.list(owner === undefined ? undefined : ownerDigest(owner));
    },

    async append(id, parts) {
      const appendId = randomId(64);
      const firstPossible = (known.get(id) ?? 0) + 1;
      const { channel } = keysOf(id);
      let answer: unknown;
      try {
        if (closed) throw new StoreUnavailableError(`redis store: append (session ${id}) after close()`);
        answer = await runScript(redis, APPEND, keyList(id), [parts.prefix, parts.suffix, parts.bytes, maxMessages, maxBytes, channel, appendId]);
      } catch (error) {
        // Refused by Redis or never sent: certainly not stored. Lost in flight: ask again.
        if (closed || error instanceof StoreUnavailableError || isReplyError(error) || isNotSent(error)) throw unavailable(`append (session ${id})`, error);
        const found = await verifyAppend({ redis, keys: keyList(id), id, appendId, firstPossible, cause: error, verifyMs, now, closed: () => closed });
        remember(id, found);
        return found;
      }
      const seq = asNumber(answer, 'append');
      if (seq === -1) throw new UnknownSessionError(id);
      remember(id, seq);
      return seq;
    },

    replay,

    async release(id, seq) {
      await run('release', RELEASE, id, [seq]);
    },

    async acceptRun(id, first, count) {
      const handoff = handoffId();
      let answer: unknown;
      try {
        if (closed) throw new StoreUnavailableError(`redis store: accept (session ${id}) after close()`);
        answer = await runScript(redis, ACCEPT_RUN, keyList(id), [first, count, handoff]);
      } catch (error) {
        // Refused by Redis or never sent: certainly not accepted (the client sends the frames again). Lost in flight: ask.
        if (closed || error instanceof StoreUnavailableError || isReplyError(error) || isNotSent(error)) throw unavailable(`accept (session ${id})`, error);
        return verifyAccept({ redis, keys: keyList(id), id, first, count, handoff, cause: error, verifyMs, now, closed: () => closed });
      }
      return runAnswerOf(answer, id);
    },

    attach: attachments.attach,
    proceed: attachments.proceed,
    renew: attachments.renew,
    detach: attachments.detach,

    async end(id) {
      detached.delete(id);
      known.delete(id);
      await run('end', END, id, [tombTtl, keysOf(id).channel]);
      attachments.ended(id);
    },

    async sweep(at) {
      const gone: string[] = [];
      for (const [id, since] of [...detached]) {
        if (at - since < ttlMs || attachments.holds(id)) continue;
        const status = asNumber(await run('sweep', STATUS, id, []), 'sweep');
        if (status === 1) continue; // still there: another process detached it later
        detached.delete(id);
        known.delete(id);
        if (status === 0) gone.push(id); // status 2: attached elsewhere, not ours to report
      }
      return gone;
    },

    async close() {
      if (closed) return;
      closed = true;
      attachments.stop();
      await Promise.allSettled([redis.quit(), subscriber.quit()]);
    },
  };
  return store;
}
