"""The memory session store: S1 ids, S3 no oracle, Q2 seqs, R3 window answers, S4 supersede and TTL."""

from __future__ import annotations

from contractgen_runtime.server.memory_store import MemoryStore
from contractgen_runtime.server.store import (
    ReplayOk,
    ReplayRefused,
    SessionFound,
    SessionMissing,
    StoreBounds,
    UnknownSessionError,
    frame_parts,
)


class Listener:
    def __init__(self) -> None:
        self.frames: list[tuple[int, str]] = []
        self.events: list[str] = []

    def frame(self, frame: str, seq: int) -> None:
        self.frames.append((seq, frame))

    def superseded(self) -> None:
        self.events.append("superseded")

    def ended(self) -> None:
        self.events.append("ended")


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def store(clock: Clock | None = None, window: int = 5) -> MemoryStore:
    return MemoryStore(StoreBounds(ttl_ms=1000, id_bits=128, token_bits=256, max_messages=window, max_bytes=10_000), now=clock or Clock(), tombstones=2)


async def test_ids_and_tokens_and_no_oracle() -> None:
    s = store()
    sid, token = await s.create("1.1")
    other, _ = await s.create("1.1")
    assert len(sid) >= 22 and len(token) >= 43 and sid != other
    assert await s.authenticate(sid, token) == SessionFound("1.1")
    # S3: a wrong token is answered exactly like an unknown session.
    assert await s.authenticate(sid, "x" * 43) == SessionMissing("unknown_session")
    assert await s.authenticate("nope" * 6, token) == SessionMissing("unknown_session")


async def test_seqs_frames_and_window() -> None:
    s = store(window=3)
    sid, _ = await s.create("1.1")
    seqs = [s.append(sid, frame_parts("ui.patch", sid, f'{{"n":{i}}}')) for i in range(1, 6)]
    assert seqs == [1, 2, 3, 4, 5]
    answer = await s.replay(sid, 2)
    assert isinstance(answer, ReplayOk) and answer.from_seq == 3 and [f.seq for f in answer.frames] == [3, 4, 5]
    assert answer.frames[0].frame == '{"type":"ui.patch","header":{"session_id":"' + sid + '","seq":3},"payload":{"n":3}}'
    assert await s.replay(sid, 1) == ReplayRefused("window_exceeded", 3, 5)
    assert await s.replay(sid, 6) == ReplayRefused("invalid_cursor", 3, 5)
    await s.release(sid, 4)
    assert await s.replay(sid, 3) == ReplayRefused("window_exceeded", 5, 5)
    try:
        s.append("missing" * 4, frame_parts("ui.patch", "x", "{}"))
    except UnknownSessionError:
        pass
    else:
        raise AssertionError("append to an unknown session succeeded")


async def test_delivery_supersede_and_ttl() -> None:
    clock = Clock()
    s = store(clock)
    sid, token = await s.create("1.1")
    first, second = Listener(), Listener()
    sub1 = await s.attach(sid, "1.1", first)
    s.append(sid, frame_parts("ui.patch", sid, "{}"))
    await s.attach(sid, "1.0", second)
    assert first.events == ["superseded"] and first.frames[0][0] == 1
    s.append(sid, frame_parts("ui.patch", sid, "{}"))
    assert [seq for seq, _ in second.frames] == [2] and len(first.frames) == 1
    await s.detach(sub1)  # superseded meanwhile: no effect
    clock.t = 5000
    assert await s.sweep(clock.t) == []  # still attached
    peek = s.peek(sid)
    assert peek is not None and peek.attached and peek.protocol_version == "1.0"


async def test_expiry_and_tombstones() -> None:
    clock = Clock()
    s = store(clock)
    sid, token = await s.create("1.1")
    sub = await s.attach(sid, "1.1", Listener())
    await s.detach(sub)
    clock.t = 999
    assert await s.sweep(clock.t) == []
    clock.t = 1000
    assert await s.sweep(clock.t) == [sid]
    assert await s.authenticate(sid, token) == SessionMissing("session_expired")
    assert await s.authenticate(sid, "y" * 43) == SessionMissing("unknown_session")
    # Tombstones are bounded (2 here): the oldest are forgotten.
    for _ in range(3):
        other, t = await s.create("1.1")
        await s.end(other)
    assert await s.authenticate(sid, token) == SessionMissing("unknown_session")


async def test_end_tells_the_listener() -> None:
    s = store()
    sid, token = await s.create("1.1")
    listener = Listener()
    await s.attach(sid, "1.1", listener)
    await s.end(sid)
    assert listener.events == ["ended"]
    assert await s.authenticate(sid, token) == SessionMissing("session_expired")
