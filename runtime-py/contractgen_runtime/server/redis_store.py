"""The session store on Redis (``redis`` from PyPI, asyncio), so that several server processes
behind a load balancer serve one protocol: a session created in one process resumes in another,
and data emitted anywhere reaches the process that holds the session's connection, in seq order.
A port of runtime/server/redis-store.ts with the same key layout and the same Lua scripts
(redis_scripts.py), so the two runtimes keep sessions alike:

  P{id}:meta  HASH    digest, v, latest (Q2), earliest, bytes (R3), epoch, owner
  P{id}:log   STREAM  the replay window: entry `<seq>-0`, fields b (bytes), a (append id), f (frame)
  P{id}:tomb  STRING  the token digest; outlives the session so a resume hears session_expired (S3)
  P{id}:ch    channel data `d<seq>:<frame>`, claims `c<epoch>:<attachment id>`, end `e`
  Pindex:all, Pindex:o:<hex>  SETs of session ids, for fan-out (redis_index.py)

Connections: pass a commands client and a subscriber client (a subscribed connection cannot run
commands), both created with ``retry=Retry(NoBackoff(), 0)``: redis-py otherwise re-sends a
command whose connection dropped in flight, and an append could be stored twice. The store
refuses clients that would. Every failure raises StoreUnavailableError naming what failed; an
append that raises was not stored and not sent, except for StoreOutcomeUnknownError (the
connection dropped in flight and Redis could not be asked again within ``verify_ms``).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from . import redis_scripts as lua
from .ids import owner_digest, random_id, token_digest, token_matches
from .redis_index import RedisIndex
from .store import (
    Continued,
    FrameParts,
    ReplayAnswer,
    ReplayOk,
    ReplayRefused,
    RunAnswer,
    SessionFound,
    SessionListener,
    SessionLookup,
    SessionMissing,
    StoreBounds,
    StoredFrame,
    StoreUnavailableError,
    Subscription,
    UnknownSessionError,
)

MAX_KNOWN = 10_000


class StoreOutcomeUnknownError(StoreUnavailableError):
    """An append whose connection dropped in flight, and Redis could not be asked whether it landed."""


class RedisScript:
    """A Lua script run with EVALSHA, falling back to EVAL when Redis does not know it yet."""

    def __init__(self, name: str, source: str) -> None:
        import hashlib

        self.name = name
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def run(self, redis: Redis, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        try:
            return await redis.evalsha(self.sha, len(keys), *keys, *args)
        except NoScriptError:
            return await redis.eval(self.source, len(keys), *keys, *args)


SCRIPTS = {name: RedisScript(name, getattr(lua, name)) for name in ("CREATE", "AUTHENTICATE", "APPEND", "REPLAY", "RELEASE", "ATTACH", "DETACH", "REFRESH", "END", "STATUS", "VERIFY", "ACCEPT_RUN", "ACCEPTED", "PROCEED", "INDEX_ADD", "INDEX_LIST", "INDEX_REMOVE", "INDEX_TOUCH")}


def unavailable(what: str, error: BaseException) -> StoreUnavailableError:
    if isinstance(error, StoreUnavailableError):
        return error
    result = StoreUnavailableError(f"redis store: {what} failed: {error}")
    result.__cause__ = error
    return result


def check_no_retries(client: Redis, role: str) -> None:
    """A client that would re-send a command after a dropped connection is refused (see the module doc)."""
    pool = client.connection_pool
    # What a connection of the pool will do: its own default when the client names no retry.
    probe = pool.connection_class(**pool.connection_kwargs)
    retries = probe.retry.get_retries() if probe.retry is not None else 0
    if retries != 0:
        raise TypeError(
            f"redis store: the {role} client retries commands {retries} time(s); create it with "
            "retry=Retry(NoBackoff(), 0) (from redis.asyncio.retry / redis.backoff) so that a lost Redis fails an "
            "operation at once and a command in flight is never sent twice"
        )


def _text(value: object) -> str:
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else str(value)


def _int(value: object, what: str) -> int:
    try:
        return int(_text(value)) if not isinstance(value, int) else value
    except ValueError:
        raise StoreUnavailableError(f"redis store: {what} answered {value!r}, not an integer") from None


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise StoreUnavailableError(f"redis store: {what} answered {value!r}, not an array")
    return value


def _run_answer(session_id: str, answer: object) -> RunAnswer:
    """C2: ACCEPT_RUN's {before, after}; {-1, 0}: the session is gone."""
    before, after = _list(answer, "accept_run")
    b = _int(before, "accept_run")
    if b == -1:
        raise UnknownSessionError(session_id)
    return RunAnswer(b, _int(after, "accept_run"))


def _frames(entries: list[Any], what: str) -> list[StoredFrame]:
    out = []
    for entry in entries:
        entry_id, fields = _list(entry, what)
        f = _list(fields, what)
        out.append(StoredFrame(_int(_text(entry_id).split("-")[0], what), _text(f[5])))
    return out


class _Held:
    """What this process knows of an attachment it holds."""

    __slots__ = ("id", "att_id", "listener", "subscription", "epoch", "newest_claim", "delivered", "pending", "owner")

    def __init__(self, session_id: str, listener: SessionListener, att_id: str | None = None) -> None:
        self.id = session_id
        self.att_id = att_id or random_id(96)
        self.listener = listener
        self.subscription = Subscription(session_id, self.att_id)
        #: The claim number Redis gave this attachment (None until the attach script answered).
        self.epoch: int | None = None
        #: The newest claim of another attachment seen before ``epoch`` was known.
        self.newest_claim = 0
        #: The newest seq given to the listener.
        self.delivered = 0
        #: Frames held back while attaching or while a gap is filled from the window.
        self.pending: list[tuple[int, str]] | None = []
        #: The owner digest of the session ("" anonymous): whose fan-out index the refresh keeps alive.
        self.owner = ""


class RedisStore:
    """A SessionStore on Redis (see the module doc). Close it with ``close()``, which also closes both clients."""

    kind = "redis"

    def __init__(
        self,
        redis: Redis,
        subscriber: Redis,
        bounds: StoreBounds,
        *,
        prefix: str = "contractgen:",
        refresh_ms: int | None = None,
        tombstone_ms: int = 24 * 60 * 60 * 1000,
        verify_ms: int = 2000,
        on_error: Callable[[StoreUnavailableError], None] | None = None,
        now: Callable[[], float] = lambda: time.monotonic() * 1000,
    ) -> None:
        if redis is subscriber:
            raise TypeError("redis store: pass two clients: a subscribed connection cannot run commands")
        check_no_retries(redis, "commands")
        check_no_retries(subscriber, "subscriber")
        self._redis = redis
        self._subscriber = subscriber
        self._b = bounds
        self._prefix = prefix
        self._refresh_ms = refresh_ms if refresh_ms is not None else min(30_000, max(50, bounds.ttl_ms // 4))
        if not 0 < self._refresh_ms < bounds.ttl_ms:
            raise ValueError(f"redis store: refresh_ms ({self._refresh_ms}) must be above 0 and below the session TTL ({bounds.ttl_ms} ms), or sessions expire while attached")
        self._tomb_ttl = bounds.ttl_ms + tombstone_ms
        self._verify_ms = verify_ms
        self._on_error = on_error
        self._now = now
        self._held: dict[str, _Held] = {}
        self._detached: dict[str, float] = {}
        self._known: OrderedDict[str, int] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._append_tails: dict[str, asyncio.Future[int]] = {}
        self._closed = False
        self._pubsub = subscriber.pubsub(ignore_subscribe_messages=True)
        self._subscribed = asyncio.Event()
        #: redis-py's PubSub opens its connection on its first command without a lock: two sessions
        #: attaching at once would each open one, and the first one's subscription would be lost with
        #: its connection (its frames then waited for the TTL refresh). Its commands run one at a time.
        self._pubsub_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listener: asyncio.Task[None] | None = None
        self._refresher: asyncio.Task[None] | None = None
        # Fan-out: every session, and each owner's; the indexes outlive the sessions' tombstones.
        self._index = RedisIndex(self._script, prefix, self._tomb_ttl, self._keys, now, self._report, self._spawn)

    # --- helpers -----------------------------------------------------------------------------------

    def keys_of(self, session_id: str) -> dict[str, str]:
        base = f"{self._prefix}{{{session_id}}}"
        return {"meta": f"{base}:meta", "log": f"{base}:log", "tomb": f"{base}:tomb", "channel": f"{base}:ch"}

    def _keys(self, session_id: str) -> list[str]:
        k = self.keys_of(session_id)
        return [k["meta"], k["log"], k["tomb"]]

    def _id_of_channel(self, channel: str) -> str | None:
        head = f"{self._prefix}{{"
        return channel[len(head) : -4] if channel.startswith(head) and channel.endswith("}:ch") else None

    @property
    def attached_here(self) -> int:
        return len(self._held)

    def _report(self, error: BaseException, what: str) -> None:
        if self._on_error is None:
            return
        try:
            self._on_error(unavailable(what, error))
        except Exception:
            pass  # a failing error hook must not break a timer or the subscriber

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _start(self) -> None:
        if self._listener is None:
            self._listener = asyncio.ensure_future(self._listen())
            self._refresher = asyncio.ensure_future(self._refresh_loop())

    async def _run(self, what: str, script: str, session_id: str, args: Sequence[str | int]) -> Any:
        label = what if script == "CREATE" else f"{what} (session {session_id})"
        if self._closed:
            raise StoreUnavailableError(f"redis store: {label} after close()")
        try:
            return await SCRIPTS[script].run(self._redis, self._keys(session_id), args)
        except (RedisError, OSError) as error:
            raise unavailable(label, error) from error

    async def _script(self, script: str, keys: Sequence[str], args: Sequence[str | int]) -> Any:
        if self._closed:
            raise StoreUnavailableError(f"redis store: {script} after close()")
        return await SCRIPTS[script].run(self._redis, keys, args)

    async def _subscribe(self, channel: str) -> None:
        async with self._pubsub_lock:
            await self._pubsub.subscribe(channel)

    async def _unsubscribe(self, channel: str) -> None:
        async with self._pubsub_lock:
            await self._pubsub.unsubscribe(channel)

    def _lock(self, session_id: str) -> asyncio.Lock:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = asyncio.Lock()
        return lock

    def _remember(self, session_id: str, seq: int) -> None:
        if self._known.get(session_id, 0) >= seq:
            return
        self._known.pop(session_id, None)  # re-insert: the order is recency, the oldest goes first
        self._known[session_id] = seq
        if len(self._known) > MAX_KNOWN:
            self._known.popitem(last=False)

    # --- delivery ------------------------------------------------------------------------------------

    def _hand(self, h: _Held, seq: int, frame: str) -> None:
        h.delivered = seq
        try:
            h.listener.frame(frame, seq)
        except Exception as error:
            self._report(error, f"delivering seq {seq} of session {h.id}")

    def _deliver(self, h: _Held, seq: int, frame: str) -> None:
        """In seq order, once: older frames are dropped, a gap is filled from the window first."""
        if h.pending is not None:
            h.pending.append((seq, frame))
            return
        if seq <= h.delivered:
            return
        if seq == h.delivered + 1:
            self._hand(h, seq, frame)
            return
        # A gap: the subscription missed frames (a reconnect). Read them from the window, then go on.
        h.pending = [(seq, frame)]
        self._spawn(self._fill(h))

    def _drain(self, h: _Held) -> None:
        pending = h.pending or []
        h.pending = None
        for seq, frame in pending:
            self._deliver(h, seq, frame)

    async def _fill(self, h: _Held, attempt: int = 0) -> None:
        """Catches up from the window; while Redis cannot be read the frames stay held back and the
        read is retried. Frames that left the window are skipped: the client sees the gap and resumes."""
        try:
            answer = await self.replay(h.id, h.delivered)
            tries = 0
            while isinstance(answer, ReplayRefused) and answer.reason == "window_exceeded" and tries < 3 and self._held.get(h.id) is h:
                answer = await self.replay(h.id, answer.earliest_seq - 1)
                tries += 1
            if self._held.get(h.id) is not h:
                return
            if isinstance(answer, ReplayOk):
                for f in answer.frames:
                    if f.seq > h.delivered:
                        self._hand(h, f.seq, f.frame)
        except Exception as error:
            if attempt == 0:
                self._report(error, f"catching up session {h.id}")
            if self._held.get(h.id) is h and not self._closed and not isinstance(error, UnknownSessionError):
                await asyncio.sleep(min(1.0, 0.025 * 2 ** min(attempt, 6)))
                self._spawn(self._fill(h, attempt + 1))
                return
        if self._held.get(h.id) is not h:
            return
        later = [seq for seq, _ in (h.pending or []) if seq > h.delivered]
        if later and min(later) > h.delivered + 1:
            h.delivered = min(later) - 1
        self._drain(h)

    def _drop(self, h: _Held, why: str) -> None:
        if self._held.get(h.id) is not h:
            return
        del self._held[h.id]
        self._spawn(self._unlisten(h.id))
        try:
            if why == "superseded":
                h.listener.superseded()
            else:
                h.listener.ended()
        except Exception as error:
            self._report(error, f"telling session {h.id} it was {why}")

    async def _unlisten(self, session_id: str) -> None:
        async with self._lock(session_id):
            if session_id in self._held:
                return
            try:
                await self._unsubscribe(self.keys_of(session_id)["channel"])
            except (RedisError, OSError) as error:
                self._report(error, f"unsubscribing session {session_id}")

    def _on_message(self, channel: str, message: str) -> None:
        session_id = self._id_of_channel(channel)
        h = self._held.get(session_id) if session_id is not None else None
        if h is None or not message:
            return
        kind = message[0]
        if kind == "d":
            colon = message.index(":")
            self._deliver(h, int(message[1:colon]), message[colon + 1 :])
        elif kind == "c":
            colon = message.index(":")
            epoch = int(message[1:colon])
            if message[colon + 1 :] == h.att_id:
                return
            if h.epoch is None:
                h.newest_claim = max(h.newest_claim, epoch)
            elif epoch > h.epoch:
                self._drop(h, "superseded")
        elif kind == "e":
            self._drop(h, "ended")

    async def _listen(self) -> None:
        """Reads the subscription; after a lost connection, subscribes again and catches up."""
        down = False
        attempt = 0
        while not self._closed:
            try:
                if not self._pubsub.subscribed:
                    self._subscribed.clear()
                    await self._subscribed.wait()
                    continue
                if down:
                    async with self._pubsub_lock:
                        await self._pubsub.connect()  # type: ignore[no-untyped-call]  # resubscribes every channel (redis-py's on_connect)
                    await self._pubsub.ping()
                    down = False
                    attempt = 0
                    for h in list(self._held.values()):
                        if h.epoch is not None and h.pending is None:
                            h.pending = []
                            self._spawn(self._fill(h))
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None and message.get("type") == "message":
                    self._on_message(_text(message["channel"]), _text(message["data"]))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, RuntimeError) as error:
                if self._closed:
                    return
                if not down:
                    self._report(error, "the subscription (subscribing again)")
                down = True
                attempt += 1
                await asyncio.sleep(min(1.0, 0.025 * 2 ** min(attempt, 6)))

    async def _refresh_loop(self) -> None:
        while not self._closed:
            await asyncio.sleep(self._refresh_ms / 1000)
            for h in list(self._held.values()):
                if h.epoch is not None:
                    self._spawn(self._refresh(h))
                    self._index.touch(h.owner)

    async def _refresh(self, h: _Held) -> None:
        """S4: the owner keeps its session's keys alive; learns of claims and ends it missed."""
        try:
            status, latest = _list(await SCRIPTS["REFRESH"].run(self._redis, self._keys(h.id), [h.att_id, self._b.ttl_ms, self._tomb_ttl]), "refresh")
            if self._held.get(h.id) is not h:
                return
            s = _int(status, "refresh")
            if s == -2:
                self._drop(h, "ended")  # gone from Redis (a restart without persistence)
            elif s == -1:
                self._drop(h, "superseded")  # a claim we did not hear
            elif _int(latest, "refresh") > h.delivered and h.pending is None:
                h.pending = []
                self._spawn(self._fill(h))
        except (RedisError, OSError, StoreUnavailableError) as error:
            self._report(error, f"refreshing the TTL of session {h.id}")

    # --- the store -----------------------------------------------------------------------------------

    async def create(self, protocol_version: str, owner: str = "", principal: str = "") -> tuple[str, str]:
        self._start()
        for _ in range(3):
            session_id = random_id(self._b.id_bits)
            token = random_id(self._b.token_bits)
            # A2: the digest binds the token to its owner; the owner's digest and the principal are kept with the session.
            digest = owner_digest(owner) if owner else ""
            args: list[str | int] = [token_digest(token, owner).hex(), protocol_version, self._b.ttl_ms, self._tomb_ttl, digest, principal]
            created = await self._run("create", "CREATE", session_id, args)
            if _int(created, "create") == 1:
                self._detached[session_id] = self._now()
                try:
                    await self._index.add(session_id, digest)
                except (RedisError, OSError) as error:
                    raise unavailable(f"indexing session {session_id}", error) from error
                return session_id, token
        raise StoreUnavailableError("redis store: create found three fresh session ids taken; the CSPRNG or the key prefix is broken")

    async def authenticate(self, session_id: str, token: str, owner: str = "") -> SessionLookup:
        digest, version, tomb = (_text(x) for x in _list(await self._run("authenticate", "AUTHENTICATE", session_id, []), "authenticate"))

        def matches(hex_digest: str) -> bool:
            return len(hex_digest) == 64 and token_matches(token, bytes.fromhex(hex_digest), owner)

        if digest:
            return SessionFound(version) if matches(digest) else SessionMissing("unknown_session")
        # Only the holder of the right token learns that the session expired (S3: no oracle).
        if tomb and matches(tomb):
            return SessionMissing("session_expired")
        token_matches(token, token_digest(""), owner)  # the same work on every path
        return SessionMissing("unknown_session")

    async def sessions_of(self, owner: str | None) -> Sequence[str]:
        """Fan-out: from the indexes every process keeps (redis_index.py)."""
        try:
            return await self._index.list(None if owner is None else owner_digest(owner))
        except (RedisError, OSError) as error:
            raise unavailable("listing every session" if owner is None else "listing the sessions of a principal", error) from error

    def append(self, session_id: str, parts: FrameParts) -> Awaitable[int]:
        """Appends of one session reach Redis in call order (one after another), so the seqs follow the emit calls."""
        self._start()
        previous = self._append_tails.get(session_id)
        task = asyncio.ensure_future(self._append_after(previous, session_id, parts))
        self._append_tails[session_id] = task

        def forget(t: asyncio.Future[int]) -> None:
            if self._append_tails.get(session_id) is t:
                del self._append_tails[session_id]

        task.add_done_callback(forget)
        return task

    async def _append_after(self, previous: asyncio.Future[int] | None, session_id: str, parts: FrameParts) -> int:
        if previous is not None:
            await asyncio.wait([previous])
        append_id = random_id(64)
        first_possible = self._known.get(session_id, 0) + 1
        channel = self.keys_of(session_id)["channel"]
        if self._closed:
            raise StoreUnavailableError(f"redis store: append (session {session_id}) after close()")
        try:
            answer = await SCRIPTS["APPEND"].run(self._redis, self._keys(session_id), [parts.prefix, parts.suffix, parts.bytes, self._b.max_messages, self._b.max_bytes, channel, append_id])
        except ResponseError as error:  # Redis answered: the command ran and failed, nothing stored
            raise unavailable(f"append (session {session_id})", error) from error
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            if self._closed or not _maybe_sent(error):
                raise unavailable(f"append (session {session_id})", error) from error
            return await self._verify(session_id, append_id, first_possible, error)
        seq = _int(answer, "append")
        if seq == -1:
            raise UnknownSessionError(session_id)
        self._remember(session_id, seq)
        return seq

    async def _ask(self, question: Callable[[], Awaitable[Any]], timed_out: Callable[[], StoreOutcomeUnknownError], cause: BaseException) -> Any:
        """Asks Redis ``question`` until it answers or ``verify_ms`` runs out (then ``timed_out``
        says what is not known), after an operation lost its answer in flight."""
        deadline = self._now() + self._verify_ms
        while True:
            try:
                return await question()
            except (RedisError, OSError):
                if self._closed or self._now() >= deadline:
                    raise timed_out() from cause
                await asyncio.sleep(0.05)

    async def _verify(self, session_id: str, append_id: str, first_possible: int, cause: BaseException) -> int:
        """After an append's connection dropped in flight: did it land?"""
        seq, earliest = _list(
            await self._ask(
                lambda: SCRIPTS["VERIFY"].run(self._redis, self._keys(session_id), [append_id, first_possible]),
                lambda: StoreOutcomeUnknownError(
                    f"redis store: append (session {session_id}) lost its connection in flight ({cause}) and Redis could not be asked within {self._verify_ms} ms whether it was stored; it may have been stored and sent"
                ),
                cause,
            ),
            "verify",
        )
        found = _int(seq, "verify")
        if found > 0:
            self._remember(session_id, found)
            return found
        e = _int(earliest, "verify")
        if e == -1:
            raise UnknownSessionError(session_id)
        if e <= first_possible:
            raise unavailable(f"append (session {session_id})", cause)  # searched every seq it could have: not stored
        raise StoreOutcomeUnknownError(f"redis store: append (session {session_id}) lost its connection in flight and has left the replay window since; it may have been stored and sent") from cause

    async def replay(self, session_id: str, after_seq: int) -> ReplayAnswer:
        answer = _list(await self._run("replay", "REPLAY", session_id, [after_seq]), "replay")
        status = _int(answer[0], "replay")
        if status == -1:
            raise UnknownSessionError(session_id)
        earliest, latest = _int(answer[1], "replay"), _int(answer[2], "replay")
        if status == 1:
            return ReplayRefused("invalid_cursor", earliest, latest)
        if status == 2:
            return ReplayRefused("window_exceeded", earliest, latest)
        frames = _frames(_list(answer[3], "replay"), "replay")
        # Never a silent partial replay (R3): the window is contiguous, or this is an error.
        if len(frames) != latest - after_seq or (frames and frames[0].seq != after_seq + 1):
            raise StoreUnavailableError(f"redis store: the window of session {session_id} is not contiguous ({len(frames)} frames after {after_seq}, latest {latest})")
        return ReplayOk(after_seq + 1, latest, frames, _int(answer[4], "replay") if len(answer) > 4 else 0)

    async def accept_run(self, session_id: str, first: int, count: int) -> RunAnswer:
        """C2: one Lua script decides and records the run; a lost answer is asked about by its hand-off id."""
        handoff = random_id(64)
        if self._closed:
            raise StoreUnavailableError(f"redis store: accept (session {session_id}) after close()")
        try:
            answer = await SCRIPTS["ACCEPT_RUN"].run(self._redis, self._keys(session_id), [first, count, handoff])
        except ResponseError as error:  # Redis answered: the command ran and failed, nothing recorded
            raise unavailable(f"accept (session {session_id})", error) from error
        except (RedisConnectionError, RedisTimeoutError, OSError) as error:
            if self._closed or not _maybe_sent(error):
                raise unavailable(f"accept (session {session_id})", error) from error
            return await self._verify_accept(session_id, first, count, handoff, error)
        return _run_answer(session_id, answer)

    async def _verify_accept(self, session_id: str, first: int, count: int, handoff: str, cause: BaseException) -> RunAnswer:
        """C2, after an accept_run's connection dropped in flight. A run that landed and accepted set
        acked to its last cseq, and acked only grows: below it, the run accepted nothing and is run
        again; at it by this hand-off id, accepted from ``ackfrom``; by another, duplicates; anything
        it cannot tell raises StoreOutcomeUnknownError, and no frame of the run is handed over (at most once)."""
        last = first + count - 1
        run = f"cseq {first}" if count == 1 else f"cseqs {first}–{last}"

        async def question() -> RunAnswer:
            acked_raw, by, ack_from = _list(await SCRIPTS["ACCEPTED"].run(self._redis, self._keys(session_id), []), "accepted")
            acked = _int(acked_raw, "accepted")
            if acked == -1:
                raise UnknownSessionError(session_id)
            if acked < last:
                return _run_answer(session_id, await SCRIPTS["ACCEPT_RUN"].run(self._redis, self._keys(session_id), [first, count, handoff]))
            if acked == last:
                return RunAnswer(_int(ack_from, "accepted") - 1, acked) if _text(by) == handoff else RunAnswer(acked, acked)
            raise StoreOutcomeUnknownError(f"redis store: accept of {run} (session {session_id}) lost its connection in flight and acked has moved past it since; it was not handed to its handler") from cause

        answer: RunAnswer = await self._ask(
            question,
            lambda: StoreOutcomeUnknownError(
                f"redis store: accept of {run} (session {session_id}) lost its connection in flight and Redis could not be asked within {self._verify_ms} ms; it was not handed to its handler"
            ),
            cause,
        )
        return answer

    async def release(self, session_id: str, seq: int) -> None:
        await self._run("release", "RELEASE", session_id, [seq])

    async def attach(self, session_id: str, protocol_version: str, listener: SessionListener) -> Subscription:
        self._start()
        previous = self._held.get(session_id)
        h = _Held(session_id, listener)
        self._held[session_id] = h
        self._detached.pop(session_id, None)
        if previous is not None:
            try:
                previous.listener.superseded()  # one live attachment (S4): the one here is told at once
            except Exception as error:
                self._report(error, f"telling session {session_id} it was superseded")
        channel = self.keys_of(session_id)["channel"]
        async with self._lock(session_id):
            try:
                # Subscribe first: every frame appended after the claim below is then heard here.
                try:
                    await self._subscribe(channel)
                except (RedisError, OSError) as error:
                    raise unavailable(f"subscribe (session {session_id})", error) from error
                self._subscribed.set()
                epoch, latest, owner = _list(await self._run("attach", "ATTACH", session_id, [h.att_id, protocol_version, self._b.ttl_ms, self._tomb_ttl, channel]), "attach")
                if _int(epoch, "attach") == -1:
                    raise UnknownSessionError(session_id)
                h.owner = _text(owner)  # whose fan-out index the TTL refresh keeps alive
                h.epoch = _int(epoch, "attach")
                h.delivered = _int(latest, "attach")
                self._remember(session_id, h.delivered)
            except BaseException:
                if self._held.get(session_id) is h:
                    del self._held[session_id]
                    self._detached[session_id] = self._now()  # its TTL runs: sweep reports it when it is gone
                    try:
                        await self._unsubscribe(channel)
                    except (RedisError, OSError):
                        pass
                raise
        if self._held.get(session_id) is not h:
            return h.subscription  # superseded meanwhile
        if h.newest_claim > h.epoch:
            asyncio.get_running_loop().call_soon(self._drop, h, "superseded")  # claimed elsewhere after us
            return h.subscription
        self._drain(h)
        return h.subscription

    async def proceed(self, session_id: str, attachment_id: str, lease_ms: int, listener: SessionListener) -> Continued | None:
        """S4.10: the poll attachment ``attachment_id`` (attached here or in another process)
        continues here, bound to ``listener`` without a claim, if it is still the session's live
        attachment; None when it is not (then the poll is a resume). It stays live ``lease_ms``
        from now wherever it is served."""
        self._start()
        if session_id in self._held:
            return None  # held here by another attachment (or its claim is on its way)
        h = _Held(session_id, listener, attachment_id)
        self._held[session_id] = h
        channel = self.keys_of(session_id)["channel"]

        async def let_go() -> None:
            if self._held.get(session_id) is h:
                del self._held[session_id]
                try:
                    await self._unsubscribe(channel)
                except (RedisError, OSError):
                    pass

        async with self._lock(session_id):
            try:
                try:
                    await self._subscribe(channel)  # first, as attach does: every later frame is heard
                except (RedisError, OSError) as error:
                    raise unavailable(f"subscribe (session {session_id})", error) from error
                self._subscribed.set()
                status, latest, epoch, acked, owner = _list(await self._run("proceed", "PROCEED", session_id, [attachment_id, lease_ms, self._b.ttl_ms, self._tomb_ttl]), "proceed")
                s = _int(status, "proceed")
                if s == -1:
                    raise UnknownSessionError(session_id)
                if s == 0:
                    await let_go()  # not the live attachment any more: the poll is a resume
                    return None
                h.owner = _text(owner)
                h.epoch = _int(epoch, "proceed")
                h.delivered = _int(latest, "proceed")
                self._remember(session_id, h.delivered)
            except BaseException:
                await let_go()
                raise
        continued = Continued(h.subscription, h.delivered, _int(acked, "proceed"))
        if self._held.get(session_id) is h:
            if h.newest_claim > h.epoch:
                asyncio.get_running_loop().call_soon(self._drop, h, "superseded")  # claimed after the script
            else:
                self._drain(h)
        return continued

    async def renew(self, subscription: Subscription, lease_ms: int) -> bool:
        """S4.10: a poll of an attachment this process holds: it stays live ``lease_ms`` from now,
        so a process that served an earlier poll of it does not detach it meanwhile."""
        h = self._held.get(subscription.session_id)
        if h is None or h.subscription is not subscription:
            return False
        status = _int(_list(await self._run("renew", "PROCEED", h.id, [h.att_id, lease_ms, self._b.ttl_ms, self._tomb_ttl]), "renew")[0], "renew")
        if status == 1:
            return True
        self._drop(h, "ended" if status == -1 else "superseded")
        return False

    async def detach(self, subscription: Subscription) -> None:
        session_id = subscription.session_id
        h = self._held.get(session_id)
        if h is None or h.subscription is not subscription:
            return  # superseded meanwhile
        del self._held[session_id]
        self._detached[session_id] = self._now()
        async with self._lock(session_id):
            if session_id not in self._held:
                try:
                    await self._unsubscribe(self.keys_of(session_id)["channel"])
                except (RedisError, OSError) as error:
                    self._report(error, f"unsubscribing session {session_id}")
            # If this fails the keys are not refreshed any more: they expire ttl_ms after the last refresh all the same.
            await self._run("detach", "DETACH", session_id, [h.att_id, self._b.ttl_ms, self._tomb_ttl])

    async def end(self, session_id: str) -> None:
        self._detached.pop(session_id, None)
        self._known.pop(session_id, None)
        await self._run("end", "END", session_id, [self._tomb_ttl, self.keys_of(session_id)["channel"]])
        h = self._held.get(session_id)
        if h is not None:
            self._drop(h, "ended")  # do not wait for our own message

    async def sweep(self, now_ms: float) -> Sequence[str]:
        gone: list[str] = []
        for session_id, since in list(self._detached.items()):
            if now_ms - since < self._b.ttl_ms or session_id in self._held:
                continue
            status = _int(await self._run("sweep", "STATUS", session_id, []), "sweep")
            if status == 1:
                continue  # still there: another process detached it later
            self._detached.pop(session_id, None)
            self._known.pop(session_id, None)
            if status == 0:
                gone.append(session_id)  # status 2: attached elsewhere, not ours to report
        return gone

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._subscribed.set()
        for task in (self._listener, self._refresher, *self._tasks):
            if task is not None:
                task.cancel()
        self._held.clear()
        try:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        except Exception:
            pass
        for client in (self._redis, self._subscriber):
            try:
                await client.aclose()
            except Exception:
                pass


def _maybe_sent(error: BaseException) -> bool:
    """redis-py says "Error … connecting to …" when it could not connect: the command was never
    sent. Any other drop may have come after Redis ran it."""
    return "connecting to" not in str(error).lower()
