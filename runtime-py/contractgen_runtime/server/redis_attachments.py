"""The attachments a Redis session store (redis_store.py) holds in this process (S4): the claim in
Redis that makes one attachment the session's live one, the session's channel this process
subscribes to while it holds one (data frames handed on in seq order by redis_delivery.py, claims
by other attachments, the end), the TTL refreshed while attached, and (S4.10) a poll attachment
continued here from another process. A port of runtime/server/redis-attachments.ts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from .redis_connection import SCRIPTS, as_int, as_list, text, unavailable
from .redis_delivery import Delivery, Held
from .redis_index import RedisIndex
from .store import Continued, ReplayAnswer, SessionListener, StoreUnavailableError, Subscription, UnknownSessionError

#: Runs a script (by name) on one session's keys; a failure names the operation and the session.
RunOnSession = Callable[[str, str, str, Sequence[str | int]], Awaitable[Any]]


class RedisAttachments:
    """The store's attach, proceed, renew and detach, and what it holds meanwhile (see the module doc)."""

    def __init__(
        self,
        redis: Redis,
        subscriber: Redis,
        *,
        prefix: str,
        ttl_ms: int,
        tomb_ttl: int,
        refresh_ms: int,
        index: RedisIndex,
        keys_of: Callable[[str], dict[str, str]],
        keys: Callable[[str], list[str]],
        run: RunOnSession,
        replay: Callable[[str, int], Awaitable[ReplayAnswer]],
        remember: Callable[[str, int], None],
        detached: dict[str, float],
        report: Callable[[BaseException, str], None],
        spawn: Callable[[Awaitable[Any]], None],
        now: Callable[[], float],
        closed: Callable[[], bool],
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_ms = ttl_ms
        self._tomb_ttl = tomb_ttl
        self._refresh_ms = refresh_ms
        self._index = index
        self._keys_of = keys_of
        self._keys = keys
        self._run = run
        self._remember = remember
        #: Sessions this process detached (or created), and when (the store's sweep looks at these).
        self._detached = detached
        self._report = report
        self._spawn = spawn
        self._now = now
        self._closed = closed
        #: Attachments this process holds, by session id.
        self._held: dict[str, Held] = {}
        #: Operations that subscribe or unsubscribe a session's channel run one after another.
        self._locks: dict[str, asyncio.Lock] = {}
        self._pubsub = subscriber.pubsub(ignore_subscribe_messages=True)
        self._subscribed = asyncio.Event()
        #: redis-py's PubSub opens its connection on its first command without a lock: two sessions
        #: attaching at once would each open one, and the first one's subscription would be lost with
        #: its connection (its frames then waited for the TTL refresh). Its commands run one at a time.
        self._pubsub_lock = asyncio.Lock()
        self._listener: asyncio.Task[None] | None = None
        self._refresher: asyncio.Task[None] | None = None
        self._delivery = Delivery(lambda h: self._held.get(h.id) is h, replay, report, spawn, closed)

    @property
    def size(self) -> int:
        """How many attachments this process holds."""
        return len(self._held)

    def holds(self, session_id: str) -> bool:
        """Whether this process holds an attachment of the session."""
        return session_id in self._held

    def start(self) -> None:
        """Starts listening to the subscription and refreshing TTLs (once)."""
        if self._listener is None:
            self._listener = asyncio.ensure_future(self._listen())
            self._refresher = asyncio.ensure_future(self._refresh_loop())

    def stop(self) -> None:
        """Stops listening and refreshing, and lets go of every attachment (the store closes)."""
        self._subscribed.set()
        for task in (self._listener, self._refresher):
            if task is not None:
                task.cancel()
        self._held.clear()

    async def close_subscription(self) -> None:
        try:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        except Exception:
            pass

    def _id_of_channel(self, channel: str) -> str | None:
        head = f"{self._prefix}{{"
        return channel[len(head) : -4] if channel.startswith(head) and channel.endswith("}:ch") else None

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

    def _drop(self, h: Held, why: str) -> None:
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

    def ended(self, session_id: str) -> None:
        """The session ended: the attachment held here, if any, is told at once (not waiting for our own message)."""
        h = self._held.get(session_id)
        if h is not None:
            self._drop(h, "ended")

    async def _unlisten(self, session_id: str) -> None:
        async with self._lock(session_id):
            if session_id in self._held:
                return
            try:
                await self._unsubscribe(self._keys_of(session_id)["channel"])
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
            self._delivery.deliver(h, int(message[1:colon]), message[colon + 1 :])
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
        while not self._closed():
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
                            self._spawn(self._delivery.fill(h))
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None and message.get("type") == "message":
                    self._on_message(text(message["channel"]), text(message["data"]))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError, RuntimeError) as error:
                if self._closed():
                    return
                if not down:
                    self._report(error, "the subscription (subscribing again)")
                down = True
                attempt += 1
                await asyncio.sleep(min(1.0, 0.025 * 2 ** min(attempt, 6)))

    async def _refresh_loop(self) -> None:
        while not self._closed():
            await asyncio.sleep(self._refresh_ms / 1000)
            for h in list(self._held.values()):
                if h.epoch is not None:
                    self._spawn(self._refresh(h))
                    self._index.touch(h.owner)

    async def _refresh(self, h: Held) -> None:
        """S4: the owner keeps its session's keys alive; learns of claims and ends it missed."""
        try:
            status, latest = as_list(await SCRIPTS["REFRESH"].run(self._redis, self._keys(h.id), [h.att_id, self._ttl_ms, self._tomb_ttl]), "refresh")
            if self._held.get(h.id) is not h:
                return
            s = as_int(status, "refresh")
            if s == -2:
                self._drop(h, "ended")  # gone from Redis (a restart without persistence)
            elif s == -1:
                self._drop(h, "superseded")  # a claim we did not hear
            elif as_int(latest, "refresh") > h.delivered and h.pending is None:
                h.pending = []
                self._spawn(self._delivery.fill(h))
        except (RedisError, OSError, StoreUnavailableError) as error:
            self._report(error, f"refreshing the TTL of session {h.id}")

    # --- the store's attach, proceed, renew, detach ------------------------------------------------

    async def attach(self, session_id: str, protocol_version: str, listener: SessionListener) -> Subscription:
        self.start()
        previous = self._held.get(session_id)
        h = Held(session_id, listener)
        self._held[session_id] = h
        self._detached.pop(session_id, None)
        if previous is not None:
            try:
                previous.listener.superseded()  # one live attachment (S4): the one here is told at once
            except Exception as error:
                self._report(error, f"telling session {session_id} it was superseded")
        channel = self._keys_of(session_id)["channel"]
        async with self._lock(session_id):
            try:
                # Subscribe first: every frame appended after the claim below is then heard here.
                try:
                    await self._subscribe(channel)
                except (RedisError, OSError) as error:
                    raise unavailable(f"subscribe (session {session_id})", error) from error
                self._subscribed.set()
                epoch, latest, owner = as_list(await self._run("attach", "ATTACH", session_id, [h.att_id, protocol_version, self._ttl_ms, self._tomb_ttl, channel]), "attach")
                if as_int(epoch, "attach") == -1:
                    raise UnknownSessionError(session_id)
                h.owner = text(owner)  # whose fan-out index the TTL refresh keeps alive
                h.epoch = as_int(epoch, "attach")
                h.delivered = as_int(latest, "attach")
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
        self._delivery.drain(h)
        return h.subscription

    async def proceed(self, session_id: str, attachment_id: str, lease_ms: int, listener: SessionListener) -> Continued | None:
        """S4.10: the poll attachment ``attachment_id`` (attached here or in another process)
        continues here, bound to ``listener`` without a claim, if it is still the session's live
        attachment; None when it is not (then the poll is a resume). It stays live ``lease_ms``
        from now wherever it is served."""
        self.start()
        if session_id in self._held:
            return None  # held here by another attachment (or its claim is on its way)
        h = Held(session_id, listener, attachment_id)
        self._held[session_id] = h
        channel = self._keys_of(session_id)["channel"]

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
                status, latest, epoch, acked, owner = as_list(await self._run("proceed", "PROCEED", session_id, [attachment_id, lease_ms, self._ttl_ms, self._tomb_ttl]), "proceed")
                s = as_int(status, "proceed")
                if s == -1:
                    raise UnknownSessionError(session_id)
                if s == 0:
                    await let_go()  # not the live attachment any more: the poll is a resume
                    return None
                h.owner = text(owner)
                h.epoch = as_int(epoch, "proceed")
                h.delivered = as_int(latest, "proceed")
                self._remember(session_id, h.delivered)
            except BaseException:
                await let_go()
                raise
        continued = Continued(h.subscription, h.delivered, as_int(acked, "proceed"))
        if self._held.get(session_id) is h:
            if h.newest_claim > h.epoch:
                asyncio.get_running_loop().call_soon(self._drop, h, "superseded")  # claimed after the script
            else:
                self._delivery.drain(h)
        return continued

    async def renew(self, subscription: Subscription, lease_ms: int) -> bool:
        """S4.10: a poll of an attachment this process holds: it stays live ``lease_ms`` from now,
        so a process that served an earlier poll of it does not detach it meanwhile."""
        h = self._held.get(subscription.session_id)
        if h is None or h.subscription is not subscription:
            return False
        status = as_int(as_list(await self._run("renew", "PROCEED", h.id, [h.att_id, lease_ms, self._ttl_ms, self._tomb_ttl]), "renew")[0], "renew")
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
                    await self._unsubscribe(self._keys_of(session_id)["channel"])
                except (RedisError, OSError) as error:
                    self._report(error, f"unsubscribing session {session_id}")
            # If this fails the keys are not refreshed any more: they expire ttl_ms after the last refresh all the same.
            await self._run("detach", "DETACH", session_id, [h.att_id, self._ttl_ms, self._tomb_ttl])
