"""The default session store: everything in this process. Ids and tokens from the CSPRNG (S1),
token digests compared in constant time (S3), one replay ring per session (R3), the TTL counted
from the moment the last attachment went away (S4), and a bounded memory of expired ids so a
resume can say session_expired. Delivery is synchronous inside ``append``, so frames reach the
attachment in seq order."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .ids import random_id, token_digest, token_matches
from .replay_ring import ReplayRing
from .store import (
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
    Subscription,
    UnknownSessionError,
    decide_run,
    stamp,
)


def now_ms() -> float:
    return time.monotonic() * 1000


class _Entry:
    __slots__ = ("id", "digest", "owner", "ring", "acked", "protocol_version", "listener", "subscription", "detached_at")

    def __init__(self, session_id: str, digest: bytes, owner: str, ring: ReplayRing, protocol_version: str, detached_at: float) -> None:
        self.id = session_id
        self.digest = digest
        #: A2: the owner key ("" anonymous).
        self.owner = owner
        self.ring = ring
        #: C2: the highest client cseq handed to a handler.
        self.acked = 0
        self.protocol_version = protocol_version
        self.listener: SessionListener | None = None
        self.subscription: Subscription | None = None
        #: When the last attachment went away (None while attached).
        self.detached_at: float | None = detached_at


@dataclass(frozen=True, slots=True)
class SessionPeek:
    latest_seq: int
    earliest_seq: int
    window_size: int
    window_bytes: int
    protocol_version: str
    attached: bool
    #: C2: the highest client cseq accepted.
    acked: int = 0


class MemoryStore:
    """A SessionStore in this process's memory, with synchronous views for tests (``peek``, ``size``)."""

    kind = "memory"

    def __init__(self, bounds: StoreBounds, *, now: Callable[[], float] = now_ms, tombstones: int = 10_000) -> None:
        self._bounds = bounds
        self._now = now
        self._live: dict[str, _Entry] = {}
        self._tombstones: OrderedDict[str, bytes] = OrderedDict()  # insertion order = age
        self._max_tombstones = tombstones
        self._expired: list[str] = []
        #: Fan-out: the live sessions of each owner (anonymous ones are not indexed).
        self._owned: dict[str, set[str]] = {}

    @property
    def size(self) -> int:
        return len(self._live)

    def peek(self, session_id: str) -> SessionPeek | None:
        e = self._live.get(session_id)
        if e is None:
            return None
        r = e.ring
        return SessionPeek(r.latest_seq, r.earliest_seq, r.size, r.bytes, e.protocol_version, e.listener is not None, e.acked)

    def _bury(self, entry: _Entry) -> None:
        self._live.pop(entry.id, None)
        ids = self._owned.get(entry.owner)
        if ids is not None:
            ids.discard(entry.id)
            if not ids:
                del self._owned[entry.owner]
        self._tombstones[entry.id] = entry.digest
        if len(self._tombstones) > self._max_tombstones:
            self._tombstones.popitem(last=False)

    def _entry(self, session_id: str) -> _Entry:
        entry = self._live.get(session_id)
        if entry is None:
            raise UnknownSessionError(session_id)
        return entry

    async def create(self, protocol_version: str, owner: str = "", principal: str = "") -> tuple[str, str]:
        b = self._bounds
        session_id = random_id(b.id_bits)
        while session_id in self._live or session_id in self._tombstones:  # 2^-128, but never reuse
            session_id = random_id(b.id_bits)
        token = random_id(b.token_bits)
        ring = ReplayRing(b.max_messages, b.max_bytes)
        # A2: the digest binds the token to its owner (the principal's JSON is not needed here: the
        # process that holds the memory store holds the session's principal too).
        self._live[session_id] = _Entry(session_id, token_digest(token, owner), owner, ring, protocol_version, self._now())
        if owner != "":
            self._owned.setdefault(owner, set()).add(session_id)
        return session_id, token

    async def sessions_of(self, owner: str | None) -> Sequence[str]:
        """Fan-out: the live sessions of ``owner`` (None: every session)."""
        return list(self._live) if owner is None else list(self._owned.get(owner, ()))

    async def authenticate(self, session_id: str, token: str, owner: str = "") -> SessionLookup:
        entry = self._live.get(session_id)
        if entry is not None:
            return SessionFound(entry.protocol_version) if token_matches(token, entry.digest, owner) else SessionMissing("unknown_session")
        digest = self._tombstones.get(session_id)
        # Only the holder of the right token, presented by its owner, learns that the session expired (S3, A2: no oracle).
        if digest is not None and token_matches(token, digest, owner):
            return SessionMissing("session_expired")
        token_matches(token, token_digest(""), owner)  # the same work on every path
        return SessionMissing("unknown_session")

    def append(self, session_id: str, parts: FrameParts) -> int:
        """Stamped, kept and delivered before this returns (raises UnknownSessionError)."""
        entry = self._entry(session_id)
        seq = entry.ring.latest_seq + 1
        frame, size = stamp(parts, seq)
        entry.ring.push(seq, frame, size)
        if entry.listener is not None:
            entry.listener.frame(frame, seq)
        return seq

    async def replay(self, session_id: str, after_seq: int) -> ReplayAnswer:
        ring = self._entry(session_id).ring
        latest = ring.latest_seq
        if after_seq > latest:
            return ReplayRefused("invalid_cursor", ring.earliest_seq, latest)
        if after_seq < ring.earliest_seq - 1:
            return ReplayRefused("window_exceeded", ring.earliest_seq, latest)
        frames = ring.frames_after(after_seq)
        return ReplayOk(after_seq + 1, latest, [StoredFrame(after_seq + 1 + i, f) for i, f in enumerate(frames)], self._entry(session_id).acked)

    async def accept_run(self, session_id: str, first: int, count: int) -> RunAnswer:
        entry = self._entry(session_id)  # decided and recorded with no await between: atomic
        answer = decide_run(entry.acked, first, count)
        entry.acked = answer.acked
        return answer

    async def release(self, session_id: str, seq: int) -> None:
        entry = self._live.get(session_id)
        if entry is not None:
            entry.ring.release(min(seq, entry.ring.latest_seq))

    async def attach(self, session_id: str, protocol_version: str, listener: SessionListener) -> Subscription:
        entry = self._entry(session_id)
        previous = entry.listener
        subscription = Subscription(session_id, random_id(96))
        entry.listener = listener
        entry.subscription = subscription
        entry.protocol_version = protocol_version
        entry.detached_at = None
        if previous is not None and previous is not listener:
            previous.superseded()
        return subscription

    async def detach(self, subscription: Subscription) -> None:
        entry = self._live.get(subscription.session_id)
        if entry is None or entry.subscription is not subscription:
            return  # superseded meanwhile
        entry.listener = None
        entry.subscription = None
        entry.detached_at = self._now()

    async def end(self, session_id: str) -> None:
        entry = self._live.get(session_id)
        if entry is None:
            return
        listener = entry.listener
        self._bury(entry)
        if listener is not None:
            listener.ended()

    async def sweep(self, now_ms: float) -> Sequence[str]:
        ttl = self._bounds.ttl_ms
        for entry in list(self._live.values()):
            if entry.listener is None and entry.detached_at is not None and now_ms - entry.detached_at >= ttl:
                self._bury(entry)
                self._expired.append(entry.id)
        expired, self._expired = self._expired, []
        return expired

    async def close(self) -> None:
        self._live.clear()
        self._owned.clear()
