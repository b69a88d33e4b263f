"""Heartbeats and TTLs (S4, L2): on every tick each attached session hears a heartbeat, a session
idle here long past its TTL that the store never reported (it lives on in another process) stops
being counted, and the sessions the store's sweep found gone end. A port of runtime/server/sweeper.ts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal

from ..contract import ContractDescriptor
from .core_types import Session
from .store import SessionStore


class Sweeper:
    """The core's timer: a tick every heartbeat interval, or every quarter of the TTL (at least 1 s) when that is shorter."""

    def __init__(
        self,
        contract: ContractDescriptor,
        store: SessionStore,
        now: Callable[[], float],
        sessions: dict[str, Session],
        forget: Callable[[Session], None],
        session_end: Callable[[Session, Literal["expired", "ended"]], None],
        report: Callable[[BaseException, str | None, str | None], None],
    ) -> None:
        self._contract = contract
        self._store = store
        self._now = now
        #: The sessions this process holds, by id (the core's own table).
        self._sessions = sessions
        self._forget = forget
        self._session_end = session_end
        self._report = report
        self._timer: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Idempotent; needs a running event loop."""
        if self._timer is None or self._timer.done():
            self._timer = asyncio.ensure_future(self._tick_loop())

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _tick_loop(self) -> None:
        c = self._contract
        tick = min(c.heartbeat_ms, max(1000, c.session.ttl_ms // 4)) / 1000
        while True:
            await asyncio.sleep(tick)
            try:
                await self._tick()
            except Exception as error:  # never a dead timer
                self._report(error, None, "tick")

    async def _tick(self) -> None:
        at = self._now()
        ttl = self._contract.session.ttl_ms
        for s in list(self._sessions.values()):
            if s.attachment is not None:
                try:
                    s.attachment.heartbeat(s.latest_seq, s.acked)
                except Exception as error:
                    self._report(error, s.id, "heartbeat")  # one broken connection never stops the others' heartbeats
            elif s.idle_since is not None and at - s.idle_since > 2 * ttl:
                # The store never reported it: it lives on in another process (a shared store). It
                # is not ours to end, only to stop counting (L2).
                self._forget(s)
        try:
            expired = await self._store.sweep(at)
        except Exception as error:
            self._report(error, None, "sweep")
            return
        for sid in expired:
            session = self._sessions.get(sid)
            if session is not None:
                self._forget(session)
            self._session_end(session or Session(sid, ""), "expired")
