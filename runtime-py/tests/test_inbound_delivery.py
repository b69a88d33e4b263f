"""C2, inbound_delivery.py: a session's frames are decided in runs of consecutive cseqs (one store
call each: those of one loop turn, and those that arrived while the previous run was decided),
handed over once and in order; duplicates acknowledged, not handled; gaps refused."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from contractgen_runtime.server.frame_parser import ClientFrame
from contractgen_runtime.server.inbound_delivery import InboundDelivery
from contractgen_runtime.server.memory_store import MemoryStore
from contractgen_runtime.server.store import RunAnswer, StoreBounds, UnknownSessionError, decide_run

BOUNDS = StoreBounds(ttl_ms=60_000, id_bits=128, token_bits=256, max_messages=10, max_bytes=10_000)


@dataclass(eq=False)
class Session:
    id: str = "s1"
    acked: int = 0
    inbound: int = 0


class GatedStore:
    """Redis' rule (one atomic decision per run) with answers held until the test releases them."""

    def __init__(self, acked: int = 0) -> None:
        self.acked = acked
        self.asked: list[tuple[int, int]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.gone = False

    async def accept_run(self, session_id: str, first: int, count: int) -> RunAnswer:
        self.asked.append((first, count))
        await self.gate.wait()
        if self.gone:
            raise UnknownSessionError(session_id)
        answer = decide_run(self.acked, first, count)
        self.acked = answer.acked
        return answer


@dataclass
class Harness:
    store: GatedStore
    handled: list[int] = field(default_factory=list)
    runs_decided: int = 0
    delivery: InboundDelivery[Session] = field(init=False)

    def __post_init__(self) -> None:
        def run_decided(_session: Session) -> None:
            self.runs_decided += 1

        self.delivery = InboundDelivery(self.store, lambda _s, _f, cseq, _size: self.handled.append(cseq), run_decided)  # type: ignore[arg-type]


def frame(cseq: int) -> ClientFrame:
    return {"type": "ui.action", "header": {"session_id": "s1", "cseq": cseq}, "payload": {}}


async def test_the_frames_of_one_loop_turn_are_one_run() -> None:
    h = Harness(GatedStore())
    s = Session()
    futures = [h.delivery.hand(s, frame(c), c, 10) for c in (1, 2, 3)]
    assert s.inbound == 30
    assert [v for v, _ in await asyncio.gather(*futures)] == ["accepted"] * 3
    assert h.store.asked == [(1, 3)]
    assert h.handled == [1, 2, 3] and s.acked == 3 and s.inbound == 0
    assert h.runs_decided == 1


async def test_frames_that_arrive_while_a_run_is_decided_go_together_as_the_next_run() -> None:
    h = Harness(GatedStore())
    h.store.gate.clear()
    s = Session()
    first = h.delivery.hand(s, frame(1), 1, 1)
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert h.store.asked == [(1, 1)]
    later = []
    for c in (2, 3, 4):  # each in its own loop turn, as a WebSocket read's frames reach the core
        later.append(h.delivery.hand(s, frame(c), c, 1))
        await asyncio.sleep(0)
    h.store.gate.set()
    await asyncio.gather(first, *later)
    assert h.store.asked == [(1, 1), (2, 3)]
    assert h.handled == [1, 2, 3, 4]


async def test_a_run_straddling_acked_hands_over_only_what_is_new() -> None:
    h = Harness(GatedStore(acked=2))
    s = Session()
    verdicts = await asyncio.gather(*(h.delivery.hand(s, frame(c), c, 1) for c in (1, 2, 3, 4)))
    assert verdicts == [("duplicate", 4), ("duplicate", 4), ("accepted", 4), ("accepted", 4)]
    assert h.handled == [3, 4]


async def test_a_gap_in_the_middle_refuses_the_run_after_it() -> None:
    h = Harness(GatedStore())
    s = Session()
    verdicts = await asyncio.gather(*(h.delivery.hand(s, frame(c), c, 1) for c in (1, 2, 4, 5)))
    assert [v for v, _ in verdicts] == ["accepted", "accepted", "gap", "gap"]
    assert h.store.asked == [(1, 2), (4, 2)]
    assert h.handled == [1, 2] and s.acked == 2


async def test_the_same_run_twice_is_handled_once() -> None:
    store = MemoryStore(BOUNDS)
    sid, _ = await store.create("1.1")
    handled: list[int] = []
    delivery: InboundDelivery[Session] = InboundDelivery(store, lambda _s, _f, cseq, _size: handled.append(cseq), lambda _s: None)
    s = Session(sid)
    first = await asyncio.gather(*(delivery.hand(s, frame(c), c, 1) for c in (1, 2, 3)))
    again = await asyncio.gather(*(delivery.hand(s, frame(c), c, 1) for c in (1, 2, 3)))
    assert [v for v, _ in first] == ["accepted"] * 3
    assert [v for v, _ in again] == ["duplicate"] * 3
    assert handled == [1, 2, 3]


async def test_a_store_failure_rejects_the_run_frees_its_bytes_and_later_frames_are_still_decided() -> None:
    h = Harness(GatedStore())
    h.store.gone = True
    s = Session()
    lost = [h.delivery.hand(s, frame(c), c, 5) for c in (1, 2)]
    for f in lost:
        with pytest.raises(UnknownSessionError):
            await f
    assert s.inbound == 0 and h.handled == []
    h.store.gone = False
    assert await h.delivery.hand(s, frame(1), 1, 5) == ("accepted", 1)
    assert h.handled == [1]
