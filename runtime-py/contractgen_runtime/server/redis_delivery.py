"""Ordered delivery for the Redis store (redis_store.py): the frames a session's channel carries
reach the attachment this process holds in seq order, exactly once. Older frames are dropped; a
gap (the subscription missed frames, a reconnect) is filled from the replay window first, and
retried while Redis cannot be read; frames that have left the window are skipped, so the client
sees the jump, resumes and hears window_exceeded (Q4, R3). A port of runtime/server/redis-delivery.ts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from .ids import random_id
from .store import ReplayAnswer, ReplayOk, ReplayRefused, SessionListener, Subscription, UnknownSessionError


class Held:
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


class Delivery:
    """Hands the frames of each held attachment on in seq order, once (see the module doc)."""

    def __init__(
        self,
        is_current: Callable[[Held], bool],
        replay: Callable[[str, int], Awaitable[ReplayAnswer]],
        report: Callable[[BaseException, str], None],
        spawn: Callable[[Awaitable[Any]], None],
        closed: Callable[[], bool],
    ) -> None:
        #: Whether ``h`` is still the attachment this process holds for its session.
        self._is_current = is_current
        self._replay = replay
        self._report = report
        self._spawn = spawn
        self._closed = closed

    def _hand(self, h: Held, seq: int, frame: str) -> None:
        h.delivered = seq
        try:
            h.listener.frame(frame, seq)
        except Exception as error:
            self._report(error, f"delivering seq {seq} of session {h.id}")

    def deliver(self, h: Held, seq: int, frame: str) -> None:
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
        self._spawn(self.fill(h))

    def drain(self, h: Held) -> None:
        """Hands on the frames held back (attached, or a gap filled)."""
        pending = h.pending or []
        h.pending = None
        for seq, frame in pending:
            self.deliver(h, seq, frame)

    async def fill(self, h: Held, attempt: int = 0) -> None:
        """Catches up from the window; while Redis cannot be read the frames stay held back and the
        read is retried. Frames that left the window are skipped: the client sees the gap and resumes."""
        try:
            answer = await self._replay(h.id, h.delivered)
            tries = 0
            while isinstance(answer, ReplayRefused) and answer.reason == "window_exceeded" and tries < 3 and self._is_current(h):
                answer = await self._replay(h.id, answer.earliest_seq - 1)
                tries += 1
            if not self._is_current(h):
                return
            if isinstance(answer, ReplayOk):
                for f in answer.frames:
                    if f.seq > h.delivered:
                        self._hand(h, f.seq, f.frame)
        except Exception as error:
            if attempt == 0:
                self._report(error, f"catching up session {h.id}")
            if self._is_current(h) and not self._closed() and not isinstance(error, UnknownSessionError):
                await asyncio.sleep(min(1.0, 0.025 * 2 ** min(attempt, 6)))
                self._spawn(self.fill(h, attempt + 1))
                return
        if not self._is_current(h):
            return
        later = [seq for seq, _ in (h.pending or []) if seq > h.delivered]
        if later and min(later) > h.delivered + 1:
            h.delivered = min(later) - 1
        self.drain(h)
