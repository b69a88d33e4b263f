/**
 * The Lua scripts of the Redis session store (redis-store.ts), and how their answers are read.
 * Every mutation of a session is one script, so it is atomic wherever the store runs.
 *
 * Key layout (P = `prefix`, default `contractgen:`; `{id}` is a hash tag, so one session's keys
 * share a Redis Cluster slot and every script touches one slot):
 *
 *   P{id}:meta  HASH    digest (hex SHA-256 of the resume token bound to its owner, S3/A2), v (protocol version),
 *                       latest (the seq counter, Q2), earliest (oldest seq in the window, latest+1
 *                       when empty), bytes (running byte total of the window, R3), epoch (claim
 *                       counter), owner (attachment id of the live attachment; absent when detached),
 *                       acked (C2: the highest client cseq handed to a handler; absent means 0),
 *                       ackby (the id of the hand-off that set acked, to tell after a lost answer),
 *                       ackfrom (the first cseq that hand-off accepted)
 *                       lease (S4.10: ms since the epoch, Redis's clock, until which a poll of the
 *                       live attachment served by some process keeps it live; absent after a claim)
 *                       o (hex SHA-256 of the principal's owner key, '' when anonymous, A2), p (the
 *                       principal as JSON, '' when anonymous)
 *   P{id}:log   STREAM  the replay window: entry id `<seq>-0`, fields b (bytes), a (append id), f (frame)
 *   P{id}:tomb  STRING  the token digest again; outlives the session by `tombstoneMs` so that a
 *                       resume with the right token hears session_expired and any other token
 *                       unknown_session (S3: no oracle)
 *   P{id}:ch    channel data frames `d<seq>:<frame>`, claims `c<epoch>:<attachment id>`, end `e`
 *
 * Indexes for fan-out (redis-index.ts), each a SET of session ids, one key per script:
 *
 *   Pindex:all        every session
 *   Pindex:o:<hex>    the sessions of one owner (hex SHA-256 of its key)
 */
import { defineScript } from './redis-connection.js';
import { StoreUnavailableError, type StoredFrame } from './store.js';

/** The keys and channel of one session. */
export function sessionKeys(prefix: string, id: string): { readonly meta: string; readonly log: string; readonly tomb: string; readonly channel: string } {
  const base = `${prefix}{${id}}`;
  return { meta: `${base}:meta`, log: `${base}:log`, tomb: `${base}:tomb`, channel: `${base}:ch` };
}

// ---------------------------------------------------------------------------------------------
// Scripts. KEYS are always meta, log, tomb of one session. Lua numbers are doubles: seqs go
// through string.format('%d') so that they never print in exponent notation.

/** ARGV: token digest, protocol version, ttlMs, tombstone ttl, owner digest, principal JSON. */
export const CREATE = defineScript(
  'create',
  `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'digest', ARGV[1], 'v', ARGV[2], 'latest', 0, 'earliest', 1, 'bytes', 0, 'epoch', 0, 'o', ARGV[5], 'p', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[4])
return 1
`,
);

export const AUTHENTICATE = defineScript(
  'authenticate',
  `
local m = redis.call('HMGET', KEYS[1], 'digest', 'v')
return {m[1] or '', m[2] or '', redis.call('GET', KEYS[3]) or ''}
`,
);

/** ARGV: prefix, suffix, bytes without the seq digits, maxMessages, maxBytes, channel, append id. */
export const APPEND = defineScript(
  'append',
  `
local meta, log = KEYS[1], KEYS[2]
local m = redis.call('HMGET', meta, 'latest', 'earliest', 'bytes')
if not m[1] then return -1 end
local seq = tonumber(m[1]) + 1
local earliest = tonumber(m[2])
local total = tonumber(m[3])
local digits = string.format('%d', seq)
local frame = ARGV[1] .. digits .. ARGV[2]
local size = tonumber(ARGV[3]) + #digits
redis.call('XADD', log, digits .. '-0', 'b', size, 'a', ARGV[7], 'f', frame)
total = total + size
local maxN, maxB = tonumber(ARGV[4]), tonumber(ARGV[5])
local count = seq - earliest + 1
if count > maxN or total > maxB then
  local drop = 0
  while count - drop > 1 and (count - drop > maxN or total > maxB) do
    local e = redis.call('XRANGE', log, string.format('%d', earliest + drop) .. '-0', '+', 'COUNT', 1)
    total = total - tonumber(e[1][2][2])
    drop = drop + 1
  end
  earliest = earliest + drop
  redis.call('XTRIM', log, 'MINID', string.format('%d', earliest) .. '-0')
end
redis.call('HSET', meta, 'latest', digits, 'earliest', string.format('%d', earliest), 'bytes', total)
if redis.call('PTTL', log) == -1 then
  local ttl = redis.call('PTTL', meta)
  if ttl > 0 then redis.call('PEXPIRE', log, ttl) end
end
redis.call('PUBLISH', ARGV[6], 'd' .. digits .. ':' .. frame)
return seq
`,
);

/**
 * ARGV: afterSeq. One consistent snapshot: {status, earliest, latest, entries, acked}; status 1 =
 * invalid_cursor, 2 = window_exceeded (without entries and acked).
 */
export const REPLAY = defineScript(
  'replay',
  `
local m = redis.call('HMGET', KEYS[1], 'latest', 'earliest', 'acked')
if not m[1] then return {-1, 0, 0} end
local latest, earliest = tonumber(m[1]), tonumber(m[2])
local after = tonumber(ARGV[1])
if after > latest then return {1, earliest, latest} end
if after < earliest - 1 then return {2, earliest, latest} end
local acked = tonumber(m[3] or '0')
if after == latest then return {0, earliest, latest, {}, acked} end
return {0, earliest, latest, redis.call('XRANGE', KEYS[2], string.format('%d', after + 1) .. '-0', '+'), acked}
`,
);

/**
 * ARGV: first cseq, count, hand-off id. C2, the hand-off of a run of consecutive client frames
 * (store.ts decideRun, the same steps): {before, after} = the highest cseq accepted before and
 * after it. When the run reaches past acked and starts at most at acked + 1, acked becomes its
 * last cseq (those above the old acked are accepted: hand them to their handlers), recorded with
 * the hand-off id and the first cseq it accepted (to tell after a lost answer); otherwise nothing
 * changes (duplicates, or a gap). {-1, 0}: the session is gone.
 */
export const ACCEPT_RUN = defineScript(
  'accept_run',
  `
local m = redis.call('HMGET', KEYS[1], 'latest', 'acked')
if not m[1] then return {-1, 0} end
local acked = tonumber(m[2] or '0')
local first = tonumber(ARGV[1])
local last = first + tonumber(ARGV[2]) - 1
if last <= acked or first > acked + 1 then return {acked, acked} end
redis.call('HSET', KEYS[1], 'acked', string.format('%d', last), 'ackby', ARGV[3], 'ackfrom', string.format('%d', acked + 1))
return {acked, last}
`,
);

/** After an accept_run lost its answer: {acked, ackby, ackfrom} ({-1, '', 0} when the session is gone). */
export const ACCEPTED = defineScript(
  'accepted',
  `
local m = redis.call('HMGET', KEYS[1], 'latest', 'acked', 'ackby', 'ackfrom')
if not m[1] then return {-1, '', 0} end
return {tonumber(m[2] or '0'), m[3] or '', tonumber(m[4] or '0')}
`,
);

/** ARGV: seq. Q5: drops the window through seq. */
export const RELEASE = defineScript(
  'release',
  `
local m = redis.call('HMGET', KEYS[1], 'latest', 'earliest', 'bytes')
if not m[1] then return 0 end
local upto = math.min(tonumber(ARGV[1]), tonumber(m[1]))
local earliest = tonumber(m[2])
if upto < earliest then return 0 end
local entries = redis.call('XRANGE', KEYS[2], string.format('%d', earliest) .. '-0', string.format('%d', upto) .. '-0')
local total = tonumber(m[3])
for _, e in ipairs(entries) do total = total - tonumber(e[2][2]) end
redis.call('XTRIM', KEYS[2], 'MINID', string.format('%d', upto + 1) .. '-0')
redis.call('HSET', KEYS[1], 'earliest', string.format('%d', upto + 1), 'bytes', total)
return #entries
`,
);

/** ARGV: attachment id, protocol version, ttlMs, tombstone ttl, channel. Claims the session and tells every process. {epoch, latest, owner digest}. */
export const ATTACH = defineScript(
  'attach',
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0, ''} end
local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'v', ARGV[2])
redis.call('HDEL', KEYS[1], 'lease')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
redis.call('PUBLISH', ARGV[5], 'c' .. string.format('%d', epoch) .. ':' .. ARGV[1])
return {epoch, tonumber(redis.call('HGET', KEYS[1], 'latest')), redis.call('HGET', KEYS[1], 'o') or ''}
`,
);

/**
 * ARGV: attachment id, ttlMs, tombstone ttl. The TTL starts, unless another attachment took over
 * or (S4.10) a poll of this one served by another process keeps it live (its lease runs later).
 */
export const DETACH = defineScript(
  'detach',
  `
local m = redis.call('HMGET', KEYS[1], 'owner', 'lease')
if m[1] ~= ARGV[1] then return 0 end
if m[2] then
  local t = redis.call('TIME')
  if tonumber(m[2]) > tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) then return 0 end
end
redis.call('HDEL', KEYS[1], 'owner', 'lease')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return 1
`,
);

/**
 * ARGV: attachment id, leaseMs, ttlMs, tombstone ttl. S4.10, a poll of the attachment continues
 * (here or in another process): no claim. {1, latest, epoch, acked, owner digest} while it is the
 * live attachment — it stays live leaseMs from now (Redis's clock), wherever served; {0, latest,
 * 0, 0, ''} when another attachment took over or it was detached; {-1, 0, 0, 0, ''} gone.
 */
export const PROCEED = defineScript(
  'proceed',
  `
local m = redis.call('HMGET', KEYS[1], 'owner', 'latest', 'epoch', 'acked', 'o', 'lease')
if not m[2] then return {-1, 0, 0, 0, ''} end
if m[1] ~= ARGV[1] then return {0, tonumber(m[2]), 0, 0, ''} end
local t = redis.call('TIME')
local lease = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[2])
if lease > tonumber(m[6] or '0') then redis.call('HSET', KEYS[1], 'lease', string.format('%d', lease)) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return {1, tonumber(m[2]), tonumber(m[3]), tonumber(m[4] or '0'), m[5] or ''}
`,
);

/** ARGV: attachment id, ttlMs, tombstone ttl. {1, latest} refreshed; {-1, latest} another owner; {-2, 0} gone. */
export const REFRESH = defineScript(
  'refresh',
  `
local m = redis.call('HMGET', KEYS[1], 'owner', 'latest')
if not m[2] then return {-2, 0} end
if m[1] ~= ARGV[1] then return {-1, tonumber(m[2])} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return {1, tonumber(m[2])}
`,
);

/** ARGV: tombstone ttl, channel. */
export const END = defineScript(
  'end',
  `
local existed = redis.call('DEL', KEYS[1], KEYS[2])
if existed == 0 then return 0 end
redis.call('PEXPIRE', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[2], 'e')
return 1
`,
);

/** 0 gone, 1 detached, 2 attached (somewhere). */
export const STATUS = defineScript(
  'status',
  `
local m = redis.call('HMGET', KEYS[1], 'latest', 'owner')
if not m[1] then return 0 end
if m[2] then return 2 end
return 1
`,
);

/** ARGV: append id, first seq it can have. {seq or 0, earliest (-1 when the session is gone)}. */
export const VERIFY = defineScript(
  'verify',
  `
local earliest = redis.call('HGET', KEYS[1], 'earliest')
if not earliest then return {0, -1} end
local from = math.max(tonumber(ARGV[2]), tonumber(earliest))
for _, e in ipairs(redis.call('XRANGE', KEYS[2], string.format('%d', from) .. '-0', '+')) do
  if e[2][4] == ARGV[1] then return {tonumber(string.match(e[1], '^(%d+)')), tonumber(earliest)} end
end
return {0, tonumber(earliest)}
`,
);

// ---------------------------------------------------------------------------------------------
// Fan-out indexes (redis-index.ts). KEYS is one index set.

/** ARGV: session id, ttl of the index. Adds the id; the index lives at least the ttl from now. Returns its size. */
export const INDEX_ADD = defineScript(
  'index-add',
  `
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('SCARD', KEYS[1])
`,
);

/** ARGV: ttl of the index. Keeps an index whose sessions are still attached from expiring. */
export const INDEX_TOUCH = defineScript(
  'index-touch',
  `
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1
`,
);

/** The ids in an index. */
export const INDEX_LIST = defineScript(
  'index-list',
  `
return redis.call('SMEMBERS', KEYS[1])
`,
);

/** ARGV: session ids that are gone. */
export const INDEX_REMOVE = defineScript(
  'index-remove',
  `
return redis.call('SREM', KEYS[1], unpack(ARGV))
`,
);

export function asNumber(value: unknown, what: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new StoreUnavailableError(`redis store: ${what} answered ${JSON.stringify(value)}, not an integer`);
  return n;
}

export function asArray(value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new StoreUnavailableError(`redis store: ${what} answered ${JSON.stringify(value)}, not an array`);
  return value;
}

/** XRANGE entries `[id, [b, bytes, a, aid, f, frame]]` → stored frames. */
export function framesOf(entries: readonly unknown[], what: string): StoredFrame[] {
  return entries.map((entry) => {
    const [id, fields] = asArray(entry, what) as [unknown, unknown];
    const f = asArray(fields, what);
    return { seq: asNumber(String(id).split('-')[0], what), frame: String(f[5]) };
  });
}
