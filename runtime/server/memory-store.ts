/**
 * The default session store: everything in this process. Ids and tokens from the CSPRNG (S1),
 * token digests compared in constant time (S3), one replay ring per session (R3), the TTL
 * counted from the moment the last attachment went away (S4), and a bounded memory of expired
 * ids so a resume can say session_expired. Its promises resolve at once; delivery is synchronous
 * inside append, so frames reach the attachment in seq order.
 */
import { randomId, tokenDigest, tokenMatches } from './ids.js';
import { createReplayRing, type ReplayRing } from './replay-ring.js';
import { ANONYMOUS, decideRun, stamp, UnknownSessionError, type ReplayAnswer, type SessionListener, type SessionStore, type StoreBounds, type Subscription } from './store.js';

interface Entry {
  readonly id: string;
  /** The token's digest, bound to the owner (A2). */
  readonly digest: Buffer;
  /** A2: the owner key ('' anonymous) and the principal's JSON. */
  readonly owner: string;
  readonly principal: string;
  readonly ring: ReplayRing;
  /** C2: the highest client cseq handed to a handler. */
  acked: number;
  protocolVersion: string;
  listener: SessionListener | undefined;
  subscription: Subscription | undefined;
  /** When the last attachment went away (undefined while attached). */
  detachedAt: number | undefined;
}

/** Synchronous views of the store, for tests, benchmarks and introspection. */
export interface MemorySessionStore extends SessionStore {
  readonly size: number;
  /** The live session's window, or undefined. */
  peek(id: string): { readonly latestSeq: number; readonly earliestSeq: number; readonly windowSize: number; readonly windowBytes: number; readonly protocolVersion: string; readonly attached: boolean; readonly principal: string; readonly acked: number } | undefined;
}

export interface MemoryStoreOptions extends StoreBounds {
  readonly now?: () => number;
  /** How many expired ids to remember so a resume can say session_expired (default 10 000). */
  readonly tombstones?: number;
}

export function createMemoryStore(options: MemoryStoreOptions): MemorySessionStore {
  const now = options.now ?? Date.now;
  const live = new Map<string, Entry>();
  const tombstones = new Map<string, Buffer>(); // insertion order = age
  const maxTombstones = options.tombstones ?? 10_000;
  const expired: string[] = [];
  /** Fan-out: the live sessions of each owner (anonymous ones are not indexed). */
  const owned = new Map<string, Set<string>>();

  const bury = (entry: Entry): void => {
    live.delete(entry.id);
    const ids = owned.get(entry.owner);
    ids?.delete(entry.id);
    if (ids?.size === 0) owned.delete(entry.owner);
    tombstones.set(entry.id, entry.digest);
    if (tombstones.size > maxTombstones) tombstones.delete(tombstones.keys().next().value as string);
  };
  const entryOf = (id: string): Entry => {
    const entry = live.get(id);
    if (!entry) throw new UnknownSessionError(id);
    return entry;
  };

  const store: MemorySessionStore = {
    kind: 'memory',
    get size() {
      return live.size;
    },
    peek(id) {
      const e = live.get(id);
      return e && { latestSeq: e.ring.latestSeq, earliestSeq: e.ring.earliestSeq, windowSize: e.ring.size, windowBytes: e.ring.bytes, protocolVersion: e.protocolVersion, attached: e.listener !== undefined, principal: e.principal, acked: e.acked };
    },
    async create(protocolVersion, owner = ANONYMOUS) {
      let id = randomId(options.idBits);
      while (live.has(id) || tombstones.has(id)) id = randomId(options.idBits); // 2^-128, but never reuse
      const token = randomId(options.tokenBits);
      live.set(id, { id, digest: tokenDigest(token, owner.key), owner: owner.key, principal: owner.principal, ring: createReplayRing(options.replayWindow), acked: 0, protocolVersion, listener: undefined, subscription: undefined, detachedAt: now() });
      if (owner.key !== '') {
        let ids = owned.get(owner.key);
        if (!ids) owned.set(owner.key, (ids = new Set()));
        ids.add(id);
      }
      return { id, token };
    },
    async authenticate(id, token, owner = '') {
      const entry = live.get(id);
      if (entry) return tokenMatches(token, entry.digest, owner) ? { ok: true, protocolVersion: entry.protocolVersion } : { ok: false, reason: 'unknown_session' };
      const digest = tombstones.get(id);
      // Only the holder of the right token, presented by its owner, learns that the session expired (S3, A2: no oracle).
      if (digest && tokenMatches(token, digest, owner)) return { ok: false, reason: 'session_expired' };
      tokenMatches(token, tokenDigest(''), owner); // the same work on every path
      return { ok: false, reason: 'unknown_session' };
    },
    async sessionsOf(owner) {
      return owner === undefined ? [...live.keys()] : [...(owned.get(owner) ?? [])];
    },
    append(id, parts) {
      // Synchronous: stamped, kept and delivered before this returns (throws UnknownSessionError).
      const entry = entryOf(id);
      const seq = entry.ring.latestSeq + 1;
      const { frame, bytes } = stamp(parts, seq);
      entry.ring.push(seq, frame, bytes);
      entry.listener?.frame(frame, seq);
      return seq;
    },
    async replay(id, afterSeq): Promise<ReplayAnswer> {
      const { ring, acked } = entryOf(id);
      const latestSeq = ring.latestSeq;
      if (afterSeq > latestSeq) return { ok: false, reason: 'invalid_cursor', earliestSeq: ring.earliestSeq, latestSeq };
      if (afterSeq < ring.earliestSeq - 1) return { ok: false, reason: 'window_exceeded', earliestSeq: ring.earliestSeq, latestSeq };
      return { ok: true, fromSeq: afterSeq + 1, latestSeq, frames: ring.framesAfter(afterSeq).map((frame, i) => ({ seq: afterSeq + 1 + i, frame })), acked };
    },
    acceptRun(id, first, count) {
      // Synchronous: decided and recorded before this returns (throws UnknownSessionError).
      const entry = entryOf(id);
      const answer = decideRun(entry.acked, first, count);
      entry.acked = answer.acked;
      return answer;
    },
    async release(id, seq) {
      const entry = live.get(id);
      if (entry) entry.ring.release(Math.min(seq, entry.ring.latestSeq));
    },
    async attach(id, protocolVersion, listener) {
      const entry = entryOf(id);
      const previous = entry.listener;
      const subscription: Subscription = { sessionId: id, attachmentId: randomId(96) };
      entry.listener = listener;
      entry.subscription = subscription;
      entry.protocolVersion = protocolVersion;
      entry.detachedAt = undefined;
      if (previous && previous !== listener) previous.superseded();
      return subscription;
    },
    async detach(subscription) {
      const entry = live.get(subscription.sessionId);
      if (!entry || entry.subscription !== subscription) return; // superseded meanwhile
      entry.listener = undefined;
      entry.subscription = undefined;
      entry.detachedAt = now();
    },
    async end(id) {
      const entry = live.get(id);
      if (!entry) return;
      const listener = entry.listener;
      bury(entry);
      listener?.ended();
    },
    async sweep(at) {
      for (const entry of live.values()) {
        if (entry.listener === undefined && entry.detachedAt !== undefined && at - entry.detachedAt >= options.ttlMs) {
          bury(entry);
          expired.push(entry.id);
        }
      }
      return expired.splice(0);
    },
    async close() {
      live.clear();
      owned.clear();
    },
  };
  return store;
}
