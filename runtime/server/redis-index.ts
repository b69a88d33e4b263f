/**
 * Fan-out on Redis: which sessions a principal has, and which sessions there are, across every
 * process (`emitToPrincipal`, `broadcast`). Two kinds of SET (keys in redis-scripts.ts): every
 * session, and the sessions of one owner. A session joins both when it is created. Members are
 * not removed when a session ends (that would take a script over two cluster slots); instead:
 *
 * - an index is pruned when its size reaches a power of two from 64 on (each member's status is
 *   asked, the gone ones removed), so it never holds more than about twice its live sessions
 *   (amortized O(1) work per session created);
 * - an index expires `ttlMs` after its last new session, and the owner of an attachment keeps the
 *   indexes of its sessions from expiring while they are attached (`touch`, from the TTL refresh);
 * - a listed session that is gone is skipped by the fan-out (its append rejects as unknown).
 */
import { runScript, unavailable, type RedisLike } from './redis-connection.js';
import { asArray, asNumber, INDEX_ADD, INDEX_LIST, INDEX_REMOVE, INDEX_TOUCH, sessionKeys, STATUS } from './redis-scripts.js';

export interface RedisIndexOptions {
  readonly redis: RedisLike;
  readonly prefix: string;
  /** How long an index outlives its last new session (the tombstone TTL: past the sessions' own). */
  readonly ttlMs: number;
  readonly now: () => number;
  readonly report: (error: unknown, what: string) => void;
}

/** Owners are named by the hex digest of their key (`ownerDigest`), '' for anonymous sessions. */
export interface RedisIndex {
  /** A new session of `owner` joins the indexes. */
  add(id: string, owner: string): Promise<void>;
  /** The ids of `owner`'s sessions (undefined: every session); may include a few that just ended. */
  list(owner: string | undefined): Promise<readonly string[]>;
  /** The owner of an attachment keeps its indexes from expiring (called from the TTL refresh). */
  touch(owner: string): void;
}

/** Sizes at which an index is pruned: 64, 128, 256, … */
const prunesAt = (size: number): boolean => size >= 64 && (size & (size - 1)) === 0;

/** Members asked about, or removed, per script call. */
const CHUNK = 500;

export function createRedisIndex(options: RedisIndexOptions): RedisIndex {
  const { redis, prefix, ttlMs, now, report } = options;
  const all = `${prefix}index:all`;
  const ofOwner = (digest: string): string => `${prefix}index:o:${digest}`;
  const keysOf = (id: string): string[] => {
    const k = sessionKeys(prefix, id);
    return [k.meta, k.log, k.tomb];
  };
  /** When each owner's index was last kept alive here (only owners of attachments held here). */
  const touched = new Map<string, number>();

  const prune = async (key: string): Promise<void> => {
    const ids = asArray(await runScript(redis, INDEX_LIST, [key], []), 'index list').map(String);
    const gone: string[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      const statuses = await Promise.all(chunk.map((id) => runScript(redis, STATUS, keysOf(id), [])));
      statuses.forEach((s, j) => asNumber(s, 'status') === 0 && gone.push(chunk[j]!));
    }
    for (let i = 0; i < gone.length; i += CHUNK) await runScript(redis, INDEX_REMOVE, [key], gone.slice(i, i + CHUNK));
  };

  const join = async (key: string, id: string): Promise<void> => {
    const size = asNumber(await runScript(redis, INDEX_ADD, [key], [id, ttlMs]), 'index add');
    if (prunesAt(size)) prune(key).catch((error: unknown) => report(error, `pruning ${key}`));
  };

  return {
    async add(id, owner) {
      try {
        await Promise.all([join(all, id), ...(owner === '' ? [] : [join(ofOwner(owner), id)])]);
      } catch (error) {
        throw unavailable(`indexing session ${id}`, error);
      }
    },
    async list(owner) {
      const key = owner === undefined ? all : ofOwner(owner);
      try {
        return asArray(await runScript(redis, INDEX_LIST, [key], []), 'index list').map(String);
      } catch (error) {
        throw unavailable(owner === undefined ? 'listing every session' : 'listing the sessions of a principal', error);
      }
    },
    touch(owner) {
      const at = now();
      const keys = [all, ...(owner === '' ? [] : [ofOwner(owner)])];
      for (const key of keys) {
        if (at - (touched.get(key) ?? 0) < ttlMs / 4) continue;
        touched.set(key, at);
        runScript(redis, INDEX_TOUCH, [key], [ttlMs]).catch((error: unknown) => report(error, `keeping ${key} alive`));
      }
      // Bounded: owners whose index was touched long ago are forgotten (touched again if still held).
      if (touched.size > 10_000) for (const [key, t] of touched) if (at - t >= ttlMs / 4) touched.delete(key);
    },
  };
}
