/**
 * The session store on Redis, so that several server processes behind a load balancer serve one
 * protocol (DESIGN §2): a session created in one process resumes in another, and data emitted
 * anywhere reaches the process that holds the session's connection, in seq order.
 *
 * Keys and scripts are in redis-scripts.ts; ordered delivery to the attachments this process
 * holds in redis-delivery.ts.
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
import { createDelivery, type Held } from './redis-delivery.js';
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
import { ACCEPT_RUN, APPEND, asArray, asNumber, ATTACH, AUTHENTICATE, CREATE, DETACH, END, framesOf, PROCEED, REFRESH, RELEASE, REPLAY, sessionKeys, STATUS } from './redis-scripts.js';
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

  /** Attachments this process holds, by session id. */
  const held = new Map<string, Held>();
  /** Sessions this process detached (or created), and when: sweep() looks at these. */
  const detached = new Map<string, number>();
  /** The newest seq this process knows per session (bounds the search after an ambiguous append). */
  const known = new Map<string, number>();
  /** Operations that subscribe or unsubscribe a session's channel run one after another. */
  const locks = new Map<string, Promise<unknown>>();
  let closed = false;
  /** C2: the id each accept_run records beside acked, to tell after a lost answer whether it landed. */
  const handoffId = createIdSequence(96);

  const keysOf = (id: string) => sessionKeys(prefix, id);
  const keyList = (id: string): string[] => {
    const k = keysOf(id);
    return [k.meta, k.log, k.tomb];
  };
  const idOfChannel = (channel: string): string | undefined =>
    channel.startsWith(`${prefix}{`) && channel.endsWith('}:ch') ? channel.slice(prefix.length + 1, -4) : undefined;

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

  const lock = <T>(id: string, fn: () => Promise<T>): Promise<T> => {
    const previous = locks.get(id) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => undefined);
    locks.set(id, tail);
    void tail.then(() => {
      if (locks.get(id) === tail) locks.delete(id);
    });
    return next;
  };

  const remember = (id: string, seq: number): void => {
    if ((known.get(id) ?? 0) >= seq) return;
    known.delete(id); // re-insert: the map's order is recency, the oldest goes first
    known.set(id, seq);
    if (known.size > MAX_KNOWN) known.delete(known.keys().next().value as string);
  };

  // Fan-out: every session, and each owner's (redis-index.ts).
  const index = createRedisIndex({ redis, prefix, ttlMs: tombTtl, now, report });

  // In seq order, once, to each attachment this process holds (redis-delivery.ts).
  const { deliver, drain, fill } = createDelivery({ isCurrent: (h) => held.get(h.id) === h, replay: (id, afterSeq) => replay(id, afterSeq), report, closed: () => closed });

  const unlisten = (h: Held): Promise<void> =>
    lock(h.id, async () => {
      if (held.has(h.id)) return;
      await subscriber.unsubscribe(keysOf(h.id).channel);
    }).catch((error: unknown) => report(error, `unsubscribing session ${h.id}`));

  const drop = (h: Held, why: 'superseded' | 'ended'): void => {
    if (held.get(h.id) !== h) return;
    held.delete(h.id);
    void unlisten(h);
    try {
      if (why === 'superseded') h.listener.superseded();
      else h.listener.ended();
    } catch (error) {
      report(error, `telling session ${h.id} it was ${why}`);
    }
  };

  const onMessage = (channel: string, message: string): void => {
    const id = idOfChannel(channel);
    const h = id === undefined ? undefined : held.get(id);
    if (!h) return;
    const kind = message.charCodeAt(0);
    if (kind === 100 /* d */) {
      const colon = message.indexOf(':');
      deliver(h, Number(message.slice(1, colon)), message.slice(colon + 1));
    } else if (kind === 99 /* c */) {
      const colon = message.indexOf(':');
      const epoch = Number(message.slice(1, colon));
      if (message.slice(colon + 1) === h.attId) return;
      if (h.epoch === undefined) h.newestClaim = Math.max(h.newestClaim, epoch);
      else if (epoch > h.epoch) drop(h, 'superseded');
    } else if (kind === 101 /* e */) {
      drop(h, 'ended');
    }
  };

  /** After the subscriber reconnected: subscribe again (no-op if ioredis did), then catch up. */
  const onReady = (): void => {
    const ids = [...held.keys()];
    if (ids.length === 0) return;
    subscriber.subscribe(...ids.map((id) => keysOf(id).channel)).then(
      () => {
        for (const id of ids) {
          const h = held.get(id);
          if (h && h.epoch !== undefined && !h.pending) {
            h.pending = [];
            void fill(h);
          }
        }
      },
      (error: unknown) => report(error, 'subscribing again after a reconnect'),
    );
  };
  subscriber.on('message', onMessage);
  subscriber.on('ready', onReady);

  // --- TTL refresh (S4) ---------------------------------------------------------------------------

  const refresh = async (h: Held): Promise<void> => {
    try {
      const [status, latest] = asArray(await runScript(redis, REFRESH, keyList(h.id), [h.attId, ttlMs, tombTtl]), 'refresh') as [unknown, unknown];
      if (held.get(h.id) !== h) return;
      const s = asNumber(status, 'refresh');
      if (s === -2) return drop(h, 'ended'); // gone from Redis (a restart without persistence)
      if (s === -1) return drop(h, 'superseded'); // a claim we did not hear (the subscription was down)
      if (asNumber(latest, 'refresh') > h.delivered && !h.pending) {
        h.pending = [];
        void fill(h);
      }
    } catch (error) {
      report(error, `refreshing the TTL of session ${h.id}`);
    }
  };
  const timer = setInterval(() => {
    for (const h of held.values()) {
      if (h.epoch === undefined) continue;
      void refresh(h);
      index.touch(h.owner);
    }
  }, refreshMs);
  timer.unref?.();

  // --- the store ----------------------------------------------------------------------------------

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

  const store: RedisSessionStore = {
    kind: 'redis',
    keysOf,
    get attachedHere() {
      return held.size;
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

    attach(id, protocolVersion, listener) {
      const previous = held.get(id);
      const attId = randomId(96);
      const h: Held = { id, attId, listener, subscription: { sessionId: id, attachmentId: attId }, epoch: undefined, newestClaim: 0, delivered: 0, pending: [], owner: '' };
      held.set(id, h);
      detached.delete(id);
      if (previous) {
        // One live attachment (S4): the one in this process is told at once.
        try {
          previous.listener.superseded();
        } catch (error) {
          report(error, `telling session ${id} it was superseded`);
        }
      }
      return lock(id, async () => {
        try {
          // Subscribe first (again, if an earlier attachment here did: that is a no-op for Redis):
          // every frame appended after the claim below is then heard here.
          await subscriber.subscribe(keysOf(id).channel).catch((error: unknown) => Promise.reject(unavailable(`subscribe (session ${id})`, error)));
          const [epoch, latest, owner] = asArray(await run('attach', ATTACH, id, [h.attId, protocolVersion, ttlMs, tombTtl, keysOf(id).channel]), 'attach') as [unknown, unknown, unknown];
          if (asNumber(epoch, 'attach') === -1) throw new UnknownSessionError(id);
          h.owner = String(owner ?? '');
          h.epoch = asNumber(epoch, 'attach');
          h.delivered = asNumber(latest, 'attach');
          remember(id, h.delivered);
        } catch (error) {
          if (held.get(id) === h) {
            held.delete(id);
            detached.set(id, now()); // its TTL runs: sweep reports it when it is gone
            await subscriber.unsubscribe(keysOf(id).channel).catch(() => undefined);
          }
          throw error;
        }
        if (held.get(id) !== h) return h.subscription; // superseded meanwhile
        if (h.newestClaim > h.epoch) {
          queueMicrotask(() => drop(h, 'superseded')); // another process claimed it after us
          return h.subscription;
        }
        drain(h);
        return h.subscription;
      });
    },

    proceed(id, attachmentId, leaseMs, listener) {
      // Held here already: by another attachment (then this one is not the live one, or the claim
      // that says so is on its way), or by this one through a poll object the transport let go of.
      if (held.has(id)) return Promise.resolve(undefined);
      const h: Held = { id, attId: attachmentId, listener, subscription: { sessionId: id, attachmentId }, epoch: undefined, newestClaim: 0, delivered: 0, pending: [], owner: '' };
      held.set(id, h);
      const letGo = async (): Promise<void> => {
        if (held.get(id) !== h) return;
        held.delete(id);
        await subscriber.unsubscribe(keysOf(id).channel).catch(() => undefined);
      };
      return lock(id, async (): Promise<Continued | undefined> => {
        let latestSeq: number;
        let acked: number;
        try {
          // Subscribe first, as attach does: every frame appended after the script is heard here.
          await subscriber.subscribe(keysOf(id).channel).catch((error: unknown) => Promise.reject(unavailable(`subscribe (session ${id})`, error)));
          const [status, latest, epoch, ack, owner] = asArray(await run('proceed', PROCEED, id, [attachmentId, leaseMs, ttlMs, tombTtl]), 'proceed') as [unknown, unknown, unknown, unknown, unknown];
          const s = asNumber(status, 'proceed');
          if (s === -1) throw new UnknownSessionError(id);
          if (s === 0) {
            await letGo(); // not the live attachment any more: the poll is a resume
            return undefined;
          }
          h.owner = String(owner ?? '');
          h.epoch = asNumber(epoch, 'proceed');
          latestSeq = asNumber(latest, 'proceed');
          acked = asNumber(ack, 'proceed');
          h.delivered = latestSeq;
          remember(id, latestSeq);
        } catch (error) {
          await letGo();
          throw error;
        }
        if (held.get(id) === h) {
          if (h.newestClaim > h.epoch) queueMicrotask(() => drop(h, 'superseded')); // claimed after the script
          else drain(h);
        }
        return { subscription: h.subscription, latestSeq, acked };
      });
    },

    async renew(subscription, leaseMs) {
      const h = held.get(subscription.sessionId);
      if (!h || h.subscription !== subscription) return false;
      const [status] = asArray(await run('renew', PROCEED, h.id, [h.attId, leaseMs, ttlMs, tombTtl]), 'renew') as [unknown];
      const s = asNumber(status, 'renew');
      if (s === 1) return true;
      drop(h, s === -1 ? 'ended' : 'superseded');
      return false;
    },

    detach(subscription) {
      const id = subscription.sessionId;
      const h = held.get(id);
      if (!h || h.subscription !== subscription) return Promise.resolve(); // superseded meanwhile
      held.delete(id);
      detached.set(id, now());
      return lock(id, async () => {
        if (!held.has(id)) await subscriber.unsubscribe(keysOf(id).channel).catch((error: unknown) => report(error, `unsubscribing session ${id}`));
        // If this fails the keys are not refreshed any more: they expire ttlMs after the last refresh all the same.
        await run('detach', DETACH, id, [h.attId, ttlMs, tombTtl]);
      });
    },

    async end(id) {
      detached.delete(id);
      known.delete(id);
      await run('end', END, id, [tombTtl, keysOf(id).channel]);
      const h = held.get(id);
      if (h) drop(h, 'ended'); // do not wait for our own message
    },

    async sweep(at) {
      const gone: string[] = [];
      for (const [id, since] of [...detached]) {
        if (at - since < ttlMs || held.has(id)) continue;
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
      clearInterval(timer);
      subscriber.removeListener('message', onMessage);
      subscriber.removeListener('ready', onReady);
      held.clear();
      await Promise.allSettled([redis.quit(), subscriber.quit()]);
    },
  };
  return store;
}
