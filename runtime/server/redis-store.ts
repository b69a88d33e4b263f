/**
 * The session store on Redis, so that several server processes behind a load balancer serve one
 * protocol (DESIGN §2): a session created in one process resumes in another, and data emitted
 * anywhere reaches the process that holds the session's connection, in seq order.
 *
 * Key layout (P = `prefix`, default `contractgen:`; `{id}` is a hash tag, so one session's keys
 * share a Redis Cluster slot and every script touches one slot):
 *
 *   P{id}:meta  HASH    digest (hex SHA-256 of the resume token, S3), v (protocol version),
 *                       latest (the seq counter, Q2), earliest (oldest seq in the window, latest+1
 *                       when empty), bytes (running byte total of the window, R3), epoch (claim
 *                       counter), owner (attachment id of the live attachment; absent when detached)
 *   P{id}:log   STREAM  the replay window: entry id `<seq>-0`, fields b (bytes), a (append id), f (frame)
 *   P{id}:tomb  STRING  the token digest again; outlives the session by `tombstoneMs` so that a
 *                       resume with the right token hears session_expired and any other token
 *                       unknown_session (S3: no oracle)
 *   P{id}:ch    channel data frames `d<seq>:<frame>`, claims `c<epoch>:<attachment id>`, end `e`
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
import { randomId, tokenDigest, tokenMatches } from './ids.js';
import {
  checkConnectionOptions,
  defineScript,
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
import { StoreUnavailableError, UnknownSessionError, type FrameParts, type ReplayAnswer, type SessionListener, type SessionStore, type StoredFrame, type Subscription } from './store.js';

export type { RedisLike, RedisSubscriberLike } from './redis-connection.js';

/** An append whose connection dropped in flight, and Redis could not be asked whether it landed. */
export class StoreOutcomeUnknownError extends StoreUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreOutcomeUnknownError';
  }
}

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
  /** Keys and channel of a session (for tests and operations). */
  keysOf(id: string): { readonly meta: string; readonly log: string; readonly tomb: string; readonly channel: string };
  /** Sessions whose attachment this process holds. */
  readonly attachedHere: number;
}

// ---------------------------------------------------------------------------------------------
// Scripts. KEYS are always meta, log, tomb of one session. Lua numbers are doubles: seqs go
// through string.format('%d') so that they never print in exponent notation.

const CREATE = defineScript(
  'create',
  `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'digest', ARGV[1], 'v', ARGV[2], 'latest', 0, 'earliest', 1, 'bytes', 0, 'epoch', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[4])
return 1
`,
);

const AUTHENTICATE = defineScript(
  'authenticate',
  `
local m = redis.call('HMGET', KEYS[1], 'digest', 'v')
return {m[1] or '', m[2] or '', redis.call('GET', KEYS[3]) or ''}
`,
);

/** ARGV: prefix, suffix, bytes without the seq digits, maxMessages, maxBytes, channel, append id. */
const APPEND = defineScript(
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

/** ARGV: afterSeq. One consistent snapshot: {status, earliest, latest, entries}; status 1 = invalid_cursor, 2 = window_exceeded. */
const REPLAY = defineScript(
  'replay',
  `
local m = redis.call('HMGET', KEYS[1], 'latest', 'earliest')
if not m[1] then return {-1, 0, 0} end
local latest, earliest = tonumber(m[1]), tonumber(m[2])
local after = tonumber(ARGV[1])
if after > latest then return {1, earliest, latest} end
if after < earliest - 1 then return {2, earliest, latest} end
if after == latest then return {0, earliest, latest, {}} end
return {0, earliest, latest, redis.call('XRANGE', KEYS[2], string.format('%d', after + 1) .. '-0', '+')}
`,
);

/** ARGV: seq. Q5: drops the window through seq. */
const RELEASE = defineScript(
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

/** ARGV: attachment id, protocol version, ttlMs, tombstone ttl, channel. Claims the session and tells every process. */
const ATTACH = defineScript(
  'attach',
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local epoch = redis.call('HINCRBY', KEYS[1], 'epoch', 1)
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'v', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[4])
redis.call('PUBLISH', ARGV[5], 'c' .. string.format('%d', epoch) .. ':' .. ARGV[1])
return {epoch, tonumber(redis.call('HGET', KEYS[1], 'latest'))}
`,
);

/** ARGV: attachment id, ttlMs, tombstone ttl. The TTL starts, unless another attachment took over. */
const DETACH = defineScript(
  'detach',
  `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], 'owner')
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return 1
`,
);

/** ARGV: attachment id, ttlMs, tombstone ttl. {1, latest} refreshed; {-1, latest} another owner; {-2, 0} gone. */
const REFRESH = defineScript(
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
const END = defineScript(
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
const STATUS = defineScript(
  'status',
  `
local m = redis.call('HMGET', KEYS[1], 'latest', 'owner')
if not m[1] then return 0 end
if m[2] then return 2 end
return 1
`,
);

/** ARGV: append id, first seq it can have. {seq or 0, earliest (-1 when the session is gone)}. */
const VERIFY = defineScript(
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

/** What this process knows of an attachment it holds. */
interface Held {
  readonly id: string;
  readonly attId: string;
  readonly listener: SessionListener;
  readonly subscription: Subscription;
  /** The claim number Redis gave this attachment (undefined until the attach script answered). */
  epoch: number | undefined;
  /** The newest claim of another attachment seen before `epoch` was known. */
  newestClaim: number;
  /** The newest seq given to the listener. */
  delivered: number;
  /** Frames held back while attaching or while a gap is filled from the window. */
  pending: { seq: number; frame: string }[] | undefined;
}

const MAX_KNOWN = 10_000;

function asNumber(value: unknown, what: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new StoreUnavailableError(`redis store: ${what} answered ${JSON.stringify(value)}, not an integer`);
  return n;
}

function asArray(value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new StoreUnavailableError(`redis store: ${what} answered ${JSON.stringify(value)}, not an array`);
  return value;
}

/** XRANGE entries `[id, [b, bytes, a, aid, f, frame]]` → stored frames. */
function framesOf(entries: readonly unknown[], what: string): StoredFrame[] {
  return entries.map((entry) => {
    const [id, fields] = asArray(entry, what) as [unknown, unknown];
    const f = asArray(fields, what);
    return { seq: asNumber(String(id).split('-')[0], what), frame: String(f[5]) };
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

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

  const keysOf = (id: string) => {
    const base = `${prefix}{${id}}`;
    return { meta: `${base}:meta`, log: `${base}:log`, tomb: `${base}:tomb`, channel: `${base}:ch` };
  };
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

  // --- delivery ---------------------------------------------------------------------------------

  const hand = (h: Held, seq: number, frame: string): void => {
    h.delivered = seq;
    try {
      h.listener.frame(frame, seq);
    } catch (error) {
      report(error, `delivering seq ${seq} of session ${h.id}`);
    }
  };

  /** In seq order, once: older frames are dropped, a gap is filled from the window first. */
  const deliver = (h: Held, seq: number, frame: string): void => {
    if (h.pending) {
      h.pending.push({ seq, frame });
      return;
    }
    if (seq <= h.delivered) return;
    if (seq === h.delivered + 1) return hand(h, seq, frame);
    // A gap: the subscription missed frames (a reconnect). Read them from the window, then go on.
    h.pending = [{ seq, frame }];
    void fill(h);
  };

  const drain = (h: Held): void => {
    const pending = h.pending ?? [];
    h.pending = undefined;
    for (const p of pending) deliver(h, p.seq, p.frame);
  };

  /**
   * Catches up from the window. While Redis cannot be read the frames stay held back and the read
   * is tried again (the missed frames are still in the window: skipping them would cost the client
   * a resume). Only frames that have left the window are skipped: the client sees the gap and
   * resumes, and hears window_exceeded (Q4, R3).
   */
  const fill = async (h: Held, attempt = 0): Promise<void> => {
    try {
      let answer = await replay(h.id, h.delivered);
      // Frames that left the window are gone: hand on what it still holds (the client sees the jump and
      // resumes, hearing window_exceeded), rather than waiting for a newer frame to reveal the gap.
      for (let tries = 0; !answer.ok && answer.reason === 'window_exceeded' && tries < 3 && held.get(h.id) === h; tries++) {
        answer = await replay(h.id, answer.earliestSeq - 1);
      }
      if (held.get(h.id) !== h) return;
      if (answer.ok) for (const f of answer.frames) if (f.seq > h.delivered) hand(h, f.seq, f.frame);
    } catch (error) {
      if (attempt === 0) report(error, `catching up session ${h.id}`);
      if (held.get(h.id) === h && !closed && !(error instanceof UnknownSessionError)) {
        const retry = setTimeout(() => void fill(h, attempt + 1), Math.min(1000, 25 * 2 ** Math.min(attempt, 6)));
        retry.unref?.();
        return;
      }
    }
    if (held.get(h.id) !== h) return;
    const next = h.pending?.find((p) => p.seq > h.delivered);
    if (next && next.seq > h.delivered + 1) h.delivered = next.seq - 1;
    drain(h);
  };

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
    for (const h of held.values()) if (h.epoch !== undefined) void refresh(h);
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
    return { ok: true, fromSeq: afterSeq + 1, latestSeq, frames };
  };

  /** After an append's connection dropped in flight: did it land? */
  const verify = async (id: string, appendId: string, firstPossible: number, cause: unknown): Promise<number> => {
    const deadline = now() + verifyMs;
    for (;;) {
      try {
        const [seq, earliest] = asArray(await runScript(redis, VERIFY, keyList(id), [appendId, firstPossible]), 'verify') as [unknown, unknown];
        const found = asNumber(seq, 'verify');
        if (found > 0) {
          remember(id, found);
          return found;
        }
        const e = asNumber(earliest, 'verify');
        if (e === -1) throw new UnknownSessionError(id);
        if (e <= firstPossible) throw unavailable(`append (session ${id})`, cause); // searched every seq it could have: not stored
        throw new StoreOutcomeUnknownError(`redis store: append (session ${id}) lost its connection in flight and has left the replay window since; it may have been stored and sent`, { cause });
      } catch (error) {
        if (error instanceof StoreUnavailableError || error instanceof UnknownSessionError) throw error;
        if (closed || now() >= deadline) {
          throw new StoreOutcomeUnknownError(
            `redis store: append (session ${id}) lost its connection in flight (${(cause as Error).message}) and Redis could not be asked within ${verifyMs} ms whether it was stored; it may have been stored and sent`,
            { cause },
          );
        }
        await sleep(50);
      }
    }
  };

  const store: RedisSessionStore = {
    kind: 'redis',
    keysOf,
    get attachedHere() {
      return held.size;
    },

    async create(protocolVersion) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const id = randomId(idBits);
        const token = randomId(tokenBits);
        const created = await run('create', CREATE, id, [tokenDigest(token).toString('hex'), protocolVersion, ttlMs, tombTtl]);
        if (created === 1) {
          detached.set(id, now());
          return { id, token };
        }
      }
      throw new StoreUnavailableError('redis store: create found three fresh session ids taken; the CSPRNG or the key prefix is broken');
    },

    async authenticate(id, token) {
      const [digest, version, tomb] = asArray(await run('authenticate', AUTHENTICATE, id, []), 'authenticate').map(String) as [string, string, string];
      const matches = (hex: string): boolean => hex.length === 64 && tokenMatches(token, Buffer.from(hex, 'hex'));
      if (digest !== '') return matches(digest) ? { ok: true, protocolVersion: version } : { ok: false, reason: 'unknown_session' };
      // Only the holder of the right token learns that the session expired (S3: no oracle).
      if (tomb !== '' && matches(tomb)) return { ok: false, reason: 'session_expired' };
      tokenMatches(token, tokenDigest('')); // the same work on every path
      return { ok: false, reason: 'unknown_session' };
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
        return verify(id, appendId, firstPossible, error);
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

    attach(id, protocolVersion, listener) {
      const previous = held.get(id);
      const h: Held = { id, attId: randomId(96), listener, subscription: { sessionId: id }, epoch: undefined, newestClaim: 0, delivered: 0, pending: [] };
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
          const [epoch, latest] = asArray(await run('attach', ATTACH, id, [h.attId, protocolVersion, ttlMs, tombTtl, keysOf(id).channel]), 'attach') as [unknown, unknown];
          if (asNumber(epoch, 'attach') === -1) throw new UnknownSessionError(id);
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
