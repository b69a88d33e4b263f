"""C2, the server half of exactly-once client → server delivery (a port of
runtime/server/inbound-delivery.ts). The session store decides — atomically wherever it runs (one
Lua script on Redis) and in arrival order — which frames of a run of consecutive cseqs are new.
Only an accepted frame is queued for its handler, and no process of the store hands that cseq
again: a frame sent again after a reconnect is a duplicate, acknowledged but not handled; one
above acked + 1 is a gap, refused. Deciding on arrival, not when the handler's turn comes, lets the
acknowledgement go out at once, however long the handlers before it run.

Batching: a session's frames are asked about together, one store call per run of consecutive
cseqs — those handed in the same loop turn (the frames of one POST) and those that arrived while
the session's previous run was being decided (a WebSocket read's frames reach the core one loop
turn after another, so "one tick" alone would gather little here). One run of a session is in
flight at a time, so the answers come in arrival order.

What "handled" means: accepted = queued for its handler, once. A process that dies between
accepting a frame and running its handler loses that frame: at most once, never twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from .frame_parser import ClientFrame
from .store import SessionStore, Verdict, verdict_of


class InboundSession(Protocol):
    """What the delivery reads and keeps of a session: its id, the highest cseq known accepted, and its inbound bytes (L2)."""

    id: str
    acked: int
    inbound: int


S = TypeVar("S", bound=InboundSession)

#: Hears one frame's verdict and the highest cseq accepted after it, before its handler is queued.
Decided = Callable[[Verdict, int], None]


@dataclass(slots=True)
class _Waiting:
    frame: ClientFrame
    cseq: int
    size: int
    decided: Decided | None
    future: asyncio.Future[tuple[Verdict, int]]


def runs_of(frames: Sequence[_Waiting]) -> list[list[_Waiting]]:
    """Splits a session's waiting frames into runs of consecutive cseqs, in arrival order."""
    runs: list[list[_Waiting]] = []
    for w in frames:
        if runs and w.cseq == runs[-1][-1].cseq + 1:
            runs[-1].append(w)
        else:
            runs.append([w])
    return runs


class InboundDelivery(Generic[S]):
    """Decides numbered frames in runs and queues the accepted ones for their handlers (``run``).
    ``run_decided`` is told once per run, after every frame of it heard its verdict and before
    any of its handlers is queued (one acknowledgement per run goes out there)."""

    def __init__(self, store: SessionStore, run: Callable[[S, ClientFrame, int, int], None], run_decided: Callable[[S], None]) -> None:
        self._store = store
        self._run = run
        self._run_decided = run_decided
        self._waiting: dict[S, list[_Waiting]] = {}
        self._deciding: set[S] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def hand(self, session: S, frame: ClientFrame, cseq: int, size: int, decided: Decided | None = None) -> asyncio.Future[tuple[Verdict, int]]:
        """Decides one frame after the session's earlier ones; the future resolves with its verdict
        and the highest cseq accepted, or raises when the store could not decide (then nothing was
        handed over and nothing acknowledged: the client sends it again)."""
        # L2: a frame waiting for its decision counts against the session like a queued one.
        session.inbound += size
        future: asyncio.Future[tuple[Verdict, int]] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(session, []).append(_Waiting(frame, cseq, size, decided, future))
        if session not in self._deciding:
            self._deciding.add(session)
            # Its first step runs next loop turn: the rest of this one's frames join the run.
            task = asyncio.ensure_future(self._decide(session))
            self._tasks.add(task)  # held until done (the loop keeps only weak references)
            task.add_done_callback(self._tasks.discard)
        return future

    async def _decide(self, session: S) -> None:
        try:
            while frames := self._waiting.pop(session, None):
                for run in runs_of(frames):
                    await self._decide_run(session, run)
        finally:
            self._deciding.discard(session)

    async def _decide_run(self, session: S, run: list[_Waiting]) -> None:
        try:
            answer = await self._store.accept_run(session.id, run[0].cseq, len(run))
        except BaseException as error:
            for w in run:
                session.inbound -= w.size
                if not w.future.done():
                    w.future.set_exception(error)
            if not isinstance(error, Exception):
                raise  # cancelled: the loop is going away
            return
        session.acked = max(session.acked, answer.acked)
        verdicts = [verdict_of(answer, w.cseq) for w in run]
        for w in run:
            session.inbound -= w.size
        try:
            for w, verdict in zip(run, verdicts, strict=True):
                if w.decided is not None:
                    w.decided(verdict, answer.acked)
            self._run_decided(session)
            for w, verdict in zip(run, verdicts, strict=True):
                if verdict == "accepted":
                    self._run(session, w.frame, w.cseq, w.size)
                if not w.future.done():
                    w.future.set_result((verdict, answer.acked))
        except Exception as error:  # the caller's callbacks failed: their frames hear it, the next run is still decided
            for w in run:
                if not w.future.done():
                    w.future.set_exception(error)
