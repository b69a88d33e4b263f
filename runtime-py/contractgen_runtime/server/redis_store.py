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

Its parts: redis_connection.py (scripts, the no-retry check, answers), redis_attachments.py (the
attachments this process holds: claims, the session channels, TTL refresh) with redis_delivery.py
(ordered delivery to them), redis_outcome.py (what became of an append or accept lost in flight).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .ids import owner_digest, random_id, token_digest, token_matches
from .redis_attachments import RedisAttachments
from .redis_connection import SCRIPTS as SCRIPTS
from .redis_connection import RedisScript as RedisScript
from .redis_connection import as_int, as_list, frames_of, maybe_sent, text
from .redis_connection import check_no_retries as check_no_retries
from .redis_connection import unavailable as unavailable
from .redis_index import RedisIndex
from .redis_outcome import OutcomeVerifier, run_answer
from .redis_outcome import StoreOutcomeUnknownError as StoreOutcomeUnknownError
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
    StoreUnavailableError,
    Subscription,
    UnknownSessionError,
)

MAX_KNOWN = 10_000


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
        self._on_error = on_error
        self._now = now
        #: Sessions this process detached (or created), and when: sweep() looks at these.
        self._detached: dict[str, float] = {}
        #: The newest seq this process knows per session (bounds the search after an ambiguous append).
        self._known: OrderedDict[str, int] = OrderedDict()
        self._append_tails: dict[str, asyncio.Future[int]] = {}
        self._closed = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._verifier = OutcomeVerifier(redis, verify_ms, now, lambda: self._closed)
        # Fan-out: every session, and each owner's; the indexes outlive the sessions' tombstones.
        self._index = RedisIndex(self._script, prefix, self._tomb_ttl, self._keys, now, self._report, self._spawn)
        # The attachments this process holds: claims, the session channels, TTL refresh (redis_attachments.py).
        self._attachments = RedisAttachments(
            redis,
            subscriber,
            prefix=prefix,
            ttl_ms=bounds.ttl_ms,
            tomb_ttl=self._tomb_ttl,
            refresh_ms=self._refresh_ms,
            index=self._index,
            keys_of=self.keys_of,
            keys=self._keys,
            run=self._run,
            replay=self.replay,
            remember=self._remember,
            detached=self._detached,
            report=self._report,
            spawn=self._spawn,
            now=now,
            closed=lambda: self._closed,
        )

    # --- helpers -----------------------------------------------------------------------------------

    def keys_of(self, session_id: str) -> dict[str, str]:
        base = f"{self._prefix}{{{session_id}}}"
        return {"meta": f"{base}:meta", "log": f"{base}:log", "tomb": f"{base}:tomb", "channel": f"{base}:ch"}

    def _keys(self, session_id: str) -> list[str]:
        k = self.keys_of(session_id)
        return [k["meta"], k["log"], k["tomb"]]

    @property
    def attached_here(self) -> int:
        return self._attachments.size

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

    def _remember(self, session_id: str, seq: int) -> None:
        if self._known.get(session_id, 0) >= seq:
            return
        self._known.pop(session_id, None)  # re-insert: the order is recency, the oldest goes first
        self._known[session_id] = seq
        if len(self._known) > MAX_KNOWN:
            self._known.popitem(last=False)

    # --- the store -----------------------------------------------------------------------------------

    async def create(self, protocol_version: str, owner: str = "", principal: str = "") -> tuple[str, str]:
        self._attachments.start()
        for _ in range(3):
            session_id = random_id(self._b.id_bits)
            token = random_id(self._b.token_bits)
            # A2: the digest binds the token to its owner; the owner's digest and the principal are kept with the session.
            digest = owner_digest(owner) if owner else ""
            args: list[str | int] = [token_digest(token, owner).hex(), protocol_version, self._b.ttl_ms, self._tomb_ttl, digest, principal]
            created = await self._run("create", "CREATE", session_id, args)
            if as_int(created, "create") == 1:
                self._detached[session_id] = self._now()
                try:
                    await self._index.add(session_id, digest)
                except (RedisError, OSError) as error:
                    raise unavailable(f"indexing session {session_id}", error) from error
                return session_id, token
        raise StoreUnavailableError("redis store: create found three fresh session ids taken; the CSPRNG or the key prefix is broken")

    async def authenticate(self, session_id: str, token: str, owner: str = "") -> SessionLookup:
        digest, version, tomb = (text(x) for x in as_list(await self._run("authenticate", "AUTHENTICATE", session_id, []), "authenticate"))

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
        self._attachments.start()
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
            if self._closed or not maybe_sent(error):
                raise unavailable(f"append (session {session_id})", error) from error
            found = await self._verifier.append(session_id, self._keys(session_id), append_id, first_possible, error)
            self._remember(session_id, found)
            return found
        seq = as_int(answer, "append")
        if seq == -1:
            raise UnknownSessionError(session_id)
        self._remember(session_id, seq)
        return seq

    async def replay(self, session_id: str, after_seq: int) -> ReplayAnswer:
        answer = as_list(await self._run("replay", "REPLAY", session_id, [after_seq]), "replay")
        status = as_int(answer[0], "replay")
        if status == -1:
            raise UnknownSessionError(session_id)
        earliest, latest = as_int(answer[1], "replay"), as_int(answer[2], "replay")
        if status == 1:
            return ReplayRefused("invalid_cursor", earliest, latest)
        if status == 2:
            return ReplayRefused("window_exceeded", earliest, latest)
        frames = frames_of(as_list(answer[3], "replay"), "replay")
        # Never a silent partial replay (R3): the window is contiguous, or this is an error.
        if len(frames) != latest - after_seq or (frames and frames[0].seq != after_seq + 1):
            raise StoreUnavailableError(f"redis store: the window of session {session_id} is not contiguous ({len(frames)} frames after {after_seq}, latest {latest})")
        return ReplayOk(after_seq + 1, latest, frames, as_int(answer[4], "replay") if len(answer) > 4 else 0)

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
            if self._closed or not maybe_sent(error):
                raise unavailable(f"accept (session {session_id})", error) from error
            return await self._verify_accept(session_id, first, count, handoff, error)
        return run_answer(session_id, answer)

    async def _verify_accept(self, session_id: str, first: int, count: int, handoff: str, cause: BaseException) -> RunAnswer:
        """C2, after an accept_run's connection dropped in flight (redis_outcome.py)."""
        return await self._verifier.accept(session_id, self._keys(session_id), first, count, handoff, cause)

    async def release(self, session_id: str, seq: int) -> None:
        await self._run("release", "RELEASE", session_id, [seq])

    async def attach(self, session_id: str, protocol_version: str, listener: SessionListener) -> Subscription:
        return await self._attachments.attach(session_id, protocol_version, listener)

    async def proceed(self, session_id: str, attachment_id: str, lease_ms: int, listener: SessionListener) -> Continued | None:
        """S4.10: a poll attachment continues here (redis_attachments.py)."""
        return await self._attachments.proceed(session_id, attachment_id, lease_ms, listener)

    async def renew(self, subscription: Subscription, lease_ms: int) -> bool:
        """S4.10: a poll of an attachment this process holds stays live ``lease_ms`` from now."""
        return await self._attachments.renew(subscription, lease_ms)

    async def detach(self, subscription: Subscription) -> None:
        await self._attachments.detach(subscription)

    async def end(self, session_id: str) -> None:
        self._detached.pop(session_id, None)
        self._known.pop(session_id, None)
        await self._run("end", "END", session_id, [self._tomb_ttl, self.keys_of(session_id)["channel"]])
        self._attachments.ended(session_id)

    async def sweep(self, now_ms: float) -> Sequence[str]:
        gone: list[str] = []
        for session_id, since in list(self._detached.items()):
            if now_ms - since < self._b.ttl_ms or self._attachments.holds(session_id):
                continue
            status = as_int(await self._run("sweep", "STATUS", session_id, []), "sweep")
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
        self._attachments.stop()
        for task in tuple(self._tasks):
            task.cancel()
        await self._attachments.close_subscription()
        for client in (self._redis, self._subscriber):
            try:
                await client.aclose()
            except Exception:
                pass
