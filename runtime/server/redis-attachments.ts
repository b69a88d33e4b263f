/**
 * The attachments a Redis session store (redis-store.ts) holds in this process (S4): the claim in
 * Redis that makes one attachment the session's live one, the session's channel this process
 * subscribes to while it holds one (data frames handed on in seq order by redis-delivery.ts, claims
 * by other attachments, the end), the TTL refreshed while attached, and (S4.10) a poll attachment
 * continued here from another process.
 */
import { randomId } from './ids.js';
import { runScript, unavailable, type RedisArg, type RedisLike, type RedisScript, type RedisSubscriberLike } from './redis-connection.js';
import { createDelivery, type Held } from './redis-delivery.js';
import type { RedisIndex } from './redis-index.js';
import { asArray, asNumber, ATTACH, DETACH, PROCEED, REFRESH, type sessionKeys } from './redis-scripts.js';
import { UnknownSessionError, type Continued, type ReplayAnswer, type SessionStore } from './store.js';

export interface AttachmentsOptions {
  readonly redis: RedisLike;
  readonly subscriber: RedisSubscriberLike;
  readonly prefix: string;
  readonly ttlMs: number;
  readonly tombTtl: number;
  readonly refreshMs: number;
  readonly index: RedisIndex;
  keysOf(id: string): ReturnType<typeof sessionKeys>;
  keyList(id: string): string[];
  /** Runs a script on one session's keys (a failure names the operation and the session). */
  run(what: string, script: RedisScript, id: string, args: readonly RedisArg[]): Promise<unknown>;
  replay(id: string, afterSeq: number): Promise<ReplayAnswer>;
  /** The newest seq this process knows of a session. */
  remember(id: string, seq: number): void;
  /** Sessions this process detached (or created), and when (the store's sweep looks at these). */
  readonly detached: Map<string, number>;
  report(error: unknown, what: string): void;
  now(): number;
  closed(): boolean;
}

export interface Attachments extends Pick<Required<SessionStore>, 'attach' | 'proceed' | 'renew' | 'detach'> {
  /** Whether this process holds an attachment of the session. */
  holds(id: string): boolean;
  /** The session ended: the attachment held here, if any, is told at once. */
  ended(id: string): void;
  /** How many attachments this process holds. */
  readonly size: number;
  /** Stops the refresh timer and listening (the store closes). */
  stop(): void;
}

export function createAttachments(options: AttachmentsOptions): Attachments {
  const { redis, subscriber, prefix, ttlMs, tombTtl, refreshMs, index, keysOf, keyList, run, replay, remember, detached, report, now, closed } = options;
  /** Attachments this process holds, by session id. */
  const held = new Map<string, Held>();
  /** Operations that subscribe or unsubscribe a session's channel run one after another. */
  const locks = new Map<string, Promise<unknown>>();
  const idOfChannel = (channel: string): string | undefined =>
    channel.startsWith(`${prefix}{`) && channel.endsWith('}:ch') ? channel.slice(prefix.length + 1, -4) : undefined;

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

  // In seq order, once, to each attachment this process holds (redis-delivery.ts).
  const { deliver, drain, fill } = createDelivery({ isCurrent: (h) => held.get(h.id) === h, replay, report, closed });

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

  return {
    get size() {
      return held.size;
    },
    holds: (id) => held.has(id),
    ended(id) {
      const h = held.get(id);
      if (h) drop(h, 'ended'); // do not wait for our own message
    },
    stop() {
      clearInterval(timer);
      subscriber.removeListener('message', onMessage);
      subscriber.removeListener('ready', onReady);
      held.clear();
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

  };
}
