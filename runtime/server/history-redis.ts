/**
 * Windowed history (W1–W6) on Redis: one STREAM per conversation whose entry ids are `<seq>-0`,
 * so seq = index + 1 (W4) and a window is index arithmetic plus one XRANGE between two ids —
 * O(log n + k) in the stream's radix tree (W6), where an LRANGE in the middle of a long list would
 * walk from one end. Append and read are each one Lua script (atomic, one round trip).
 *
 *   P<conversationId>  STREAM  entry `<seq>-0` with field i = the item as JSON, without seq
 *
 * Items are stored without `seq` (the entry id carries it) and come back as frozen copies with
 * `seq` as their first key, like the in-memory store's. A conversation exists once it has an item
 * or was created with `create()`.
 */
import { readWindow, type HistoryItem, type HistoryStore, type HistoryWindow, type HistoryWindowQuery } from './history.js';
import { defineScript, runScript, unavailable, type RedisLike } from './redis-connection.js';

export interface RedisHistoryStoreOptions {
  /** The commands connection (an ioredis instance; see redis-store.ts for its options). */
  readonly redis: RedisLike;
  /** Prefix of every conversation key (default `contractgen:history:`). */
  readonly prefix?: string | undefined;
}

export interface RedisHistoryStore<T extends HistoryItem> extends HistoryStore<T> {
  append(conversationId: string, item: Omit<T, 'seq'>): Promise<T>;
  read(conversationId: string, query: HistoryWindowQuery): Promise<HistoryWindow<T> | undefined>;
  /** Number of items in a conversation (0 when it does not exist). */
  size(conversationId: string): Promise<number>;
  /** Creates an empty conversation (no-op when it exists), so reads answer 200 instead of 404. */
  create(conversationId: string): Promise<void>;
}

/** seq = XLEN + 1: nothing is ever removed from a history stream (XADD refuses an id out of order). */
export const APPEND = defineScript(
  'history-append',
  `
local seq = redis.call('XLEN', KEYS[1]) + 1
redis.call('XADD', KEYS[1], string.format('%d', seq) .. '-0', 'i', ARGV[1])
return seq
`,
);

/** ARGV: sinceSeq, beforeSeq (0 = none), limit (0 = none). W1 by index arithmetic: {n} or {n, entries}; -1 when missing. */
export const READ = defineScript(
  'history-read',
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = redis.call('XLEN', KEYS[1])
local since, before, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local from = math.min(since, n)
local to = n
if before > 0 then to = math.min(before - 1, n) end
if to <= from then return {n} end
if limit > 0 and to - from > limit then from = to - limit end
return {n, redis.call('XRANGE', KEYS[1], string.format('%d', from + 1) .. '-0', string.format('%d', to) .. '-0')}
`,
);

/** An empty stream: add entry 0-1 and trim it away (later ids `<seq>-0` are all above it). */
export const CREATE = defineScript(
  'history-create',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', 0, '0-1', 'i', '')
return 1
`,
);

export const SIZE = defineScript('history-size', `return redis.call('XLEN', KEYS[1])`);

export function createRedisHistoryStore<T extends HistoryItem>(options: RedisHistoryStoreOptions): RedisHistoryStore<T> {
  const { redis } = options;
  const prefix = options.prefix ?? 'contractgen:history:';
  const keyOf = (conversationId: string): string => prefix + conversationId;
  const run = async (what: string, script: Parameters<typeof runScript>[1], conversationId: string, args: readonly (string | number)[]): Promise<unknown> => {
    try {
      return await runScript(redis, script, [keyOf(conversationId)], args);
    } catch (error) {
      throw unavailable(`history ${what} (conversation ${JSON.stringify(conversationId)})`, error);
    }
  };
  const stamp = (seq: number, item: object): T => Object.freeze(Object.assign({ seq }, item, { seq })) as unknown as T;

  return {
    async append(conversationId, item) {
      const stored: Record<string, unknown> = { ...item };
      delete stored.seq; // the entry id carries it
      const seq = Number(await run('append', APPEND, conversationId, [JSON.stringify(stored)]));
      return stamp(seq, stored);
    },
    async read(conversationId, query) {
      // readWindow over an empty log checks the query exactly as the in-memory store does (RangeError).
      readWindow([], query);
      const answer = await run('read', READ, conversationId, [query.sinceSeq, query.beforeSeq ?? 0, query.limit ?? 0]);
      if (answer === -1) return undefined;
      const [, entries] = answer as [number, [string, string[]][] | undefined];
      if (!entries || entries.length === 0) return { chunks: [], latestSeq: query.sinceSeq };
      const chunks = entries.map(([id, fields]) => stamp(Number(id.slice(0, id.indexOf('-'))), JSON.parse(fields[1] ?? 'null') as object));
      const first = chunks[0]!;
      const last = chunks[chunks.length - 1]!;
      if (last.seq - first.seq + 1 !== chunks.length) {
        throw new Error(`redis history: conversation ${JSON.stringify(conversationId)} is not gap-free (seqs ${first.seq}..${last.seq} in ${chunks.length} entries)`);
      }
      return { chunks, latestSeq: last.seq };
    },
    async size(conversationId) {
      return Number(await run('size', SIZE, conversationId, []));
    },
    async create(conversationId) {
      await run('create', CREATE, conversationId, []);
    },
  };
}
