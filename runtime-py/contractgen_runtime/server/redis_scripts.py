"""The Lua scripts of the Redis stores, word for word those of runtime/server/redis-store.ts and
history-redis.ts: the same key layout and the same atomic steps, so a Python and a TypeScript
process keep sessions in Redis the same way. KEYS are always meta, log, tomb of one session.
Lua numbers are doubles: seqs go through string.format('%d') so they never print as exponents."""

from __future__ import annotations

from typing import Final

CREATE: Final = """
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'digest', ARGV[1], 'v', ARGV[2], 'latest', 0, 'earliest', 1, 'bytes', 0, 'epoch', 0, 'o', ARGV[5], 'p', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[4])
return 1
"""

AUTHENTICATE: Final = """
local m = redis.call('HMGET', KEYS[1], 'digest', 'v')
return {m[1] or '', m[2] or '', redis.call('GET', KEYS[3]) or ''}
"""

#: ARGV: prefix, suffix, bytes without the seq digits, maxMessages, maxBytes, channel, append id.
APPEND: Final = """
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
"""

#: ARGV: afterSeq. {status, earliest, latest, entries, acked}; status 1 = invalid_cursor,
#: 2 = window_exceeded (without entries and acked).
REPLAY: Final = """
local m = redis.call('HMGET', KEYS[1], 'latest', 'earliest', 'acked')
if not m[1] then return {-1, 0, 0} end
local latest, earliest = tonumber(m[1]), tonumber(m[2])
local after = tonumber(ARGV[1])
if after > latest then return {1, earliest, latest} end
if after < earliest - 1 then return {2, earliest, latest} end
local acked = tonumber(m[3] or '0')
if after == latest then return {0, earliest, latest, {}, acked} end
return {0, earliest, latest, redis.call('XRANGE', KEYS[2], string.format('%d', after + 1) .. '-0', '+'), acked}
"""

#: ARGV: first cseq, count, hand-off id. C2, the hand-off of a run of consecutive client frames
#: (store.py decide_run, the same steps): {before, after} = the highest cseq accepted before and
#: after it. When the run reaches past acked and starts at most at acked + 1, acked becomes its last
#: cseq (those above the old acked are accepted), recorded with the hand-off id and the first cseq it
#: accepted (to tell after a lost answer); otherwise nothing changes. {-1, 0}: the session is gone.
ACCEPT_RUN: Final = """
local m = redis.call('HMGET', KEYS[1], 'latest', 'acked')
if not m[1] then return {-1, 0} end
local acked = tonumber(m[2] or '0')
local first = tonumber(ARGV[1])
local last = first + tonumber(ARGV[2]) - 1
if last <= acked or first > acked + 1 then return {acked, acked} end
redis.call('HSET', KEYS[1], 'acked', string.format('%d', last), 'ackby', ARGV[3], 'ackfrom', string.format('%d', acked + 1))
return {acked, last}
"""

#: After an accept_run lost its answer: {acked, ackby, ackfrom} ({-1, '', 0} when the session is gone).
ACCEPTED: Final = """
local m = redis.call('HMGET', KEYS[1], 'latest', 'acked', 'ackby', 'ackfrom')
if not m[1] then return {-1, '', 0} end
return {tonumber(m[2] or '0'), m[3] or '', tonumber(m[4] or '0')}
"""

#: ARGV: seq. Q5: drops the window through seq.
RELEASE: Final = """
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
"""

#: ARGV: attachment id, protocol version, ttlMs, tombstone ttl, channel.
ATTACH: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0, ''} end
local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'v', ARGV[2])
redis.call('HDEL', KEYS[1], 'lease')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
redis.call('PUBLISH', ARGV[5], 'c' .. string.format('%d', epoch) .. ':' .. ARGV[1])
return {epoch, tonumber(redis.call('HGET', KEYS[1], 'latest')), redis.call('HGET', KEYS[1], 'o') or ''}
"""

#: ARGV: attachment id, ttlMs, tombstone ttl. The TTL starts, unless another attachment took over
#: or (S4.10) a poll of this one served by another process keeps it live (its lease runs later).
DETACH: Final = """
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
"""

#: ARGV: attachment id, leaseMs, ttlMs, tombstone ttl. S4.10, a poll of the attachment continues
#: (here or in another process): no claim. {1, latest, epoch, acked, owner digest} while it is the
#: live attachment (it stays live leaseMs from now, Redis's clock); {0, latest, 0, 0, ''} when
#: another attachment took over or it was detached; {-1, 0, 0, 0, ''} gone.
PROCEED: Final = """
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
"""

#: ARGV: attachment id, ttlMs, tombstone ttl. {1, latest} refreshed; {-1, latest} another owner; {-2, 0} gone.
REFRESH: Final = """
local m = redis.call('HMGET', KEYS[1], 'owner', 'latest')
if not m[2] then return {-2, 0} end
if m[1] ~= ARGV[1] then return {-1, tonumber(m[2])} end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return {1, tonumber(m[2])}
"""

#: ARGV: tombstone ttl, channel.
END: Final = """
local existed = redis.call('DEL', KEYS[1], KEYS[2])
if existed == 0 then return 0 end
redis.call('PEXPIRE', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[2], 'e')
return 1
"""

#: 0 gone, 1 detached, 2 attached (somewhere).
STATUS: Final = """
local m = redis.call('HMGET', KEYS[1], 'latest', 'owner')
if not m[1] then return 0 end
if m[2] then return 2 end
return 1
"""

#: ARGV: append id, first seq it can have. {seq or 0, earliest (-1 when the session is gone)}.
VERIFY: Final = """
local earliest = redis.call('HGET', KEYS[1], 'earliest')
if not earliest then return {0, -1} end
local from = math.max(tonumber(ARGV[2]), tonumber(earliest))
for _, e in ipairs(redis.call('XRANGE', KEYS[2], string.format('%d', from) .. '-0', '+')) do
  if e[2][4] == ARGV[1] then return {tonumber(string.match(e[1], '^(%d+)')), tonumber(earliest)} end
end
return {0, tonumber(earliest)}
"""

# Fan-out indexes (redis_index.py), keys as runtime/server/redis-index.ts: P``index:all`` every
# session, P``index:o:<hex>`` the sessions of one owner (hex SHA-256 of its key); each a SET of
# session ids. KEYS is one index set.

#: ARGV: session id, ttl of the index. Adds the id; the index lives at least the ttl from now. Returns its size.
INDEX_ADD: Final = """
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('SCARD', KEYS[1])
"""

#: ARGV: ttl of the index. Keeps an index whose sessions are still attached from expiring.
INDEX_TOUCH: Final = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1
"""

#: The ids in an index.
INDEX_LIST: Final = """
return redis.call('SMEMBERS', KEYS[1])
"""

#: ARGV: session ids that are gone.
INDEX_REMOVE: Final = """
return redis.call('SREM', KEYS[1], unpack(ARGV))
"""

HISTORY_APPEND: Final = """
local seq = redis.call('XLEN', KEYS[1]) + 1
redis.call('XADD', KEYS[1], string.format('%d', seq) .. '-0', 'i', ARGV[1])
return seq
"""

#: ARGV: sinceSeq, beforeSeq (0 = none), limit (0 = none). {n} or {n, entries}; -1 when missing.
HISTORY_READ: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local n = redis.call('XLEN', KEYS[1])
local since, before, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local from = math.min(since, n)
local to = n
if before > 0 then to = math.min(before - 1, n) end
if to <= from then return {n} end
if limit > 0 and to - from > limit then from = to - limit end
return {n, redis.call('XRANGE', KEYS[1], string.format('%d', from + 1) .. '-0', string.format('%d', to) .. '-0')}
"""

HISTORY_CREATE: Final = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('XADD', KEYS[1], 'MAXLEN', 0, '0-1', 'i', '')
return 1
"""

HISTORY_SIZE: Final = """return redis.call('XLEN', KEYS[1])"""
