"""R3: the replay ring against a plain list under random pushes, releases and bounds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from contractgen_runtime.server.replay_ring import ReplayRing


def test_bounded_by_count() -> None:
    ring = ReplayRing(3, 1000)
    for seq in range(1, 6):
        ring.push(seq, f"f{seq}", 2)
    assert (ring.earliest_seq, ring.latest_seq, ring.size, ring.bytes) == (3, 5, 3, 6)
    assert ring.frames_after(2) == ["f3", "f4", "f5"]
    assert ring.frames_after(4) == ["f5"]
    assert ring.frames_after(5) == []


def test_bounded_by_bytes_but_keeps_the_newest_frame() -> None:
    ring = ReplayRing(100, 10)
    ring.push(1, "a", 4)
    ring.push(2, "b", 4)
    ring.push(3, "c", 4)  # 12 > 10: the oldest goes
    assert ring.earliest_seq == 2 and ring.bytes == 8
    ring.push(4, "huge", 50)  # larger than the bound alone: it is kept, everything else goes
    assert (ring.earliest_seq, ring.size, ring.bytes) == (4, 1, 50)


def test_release_and_gap_refusal() -> None:
    ring = ReplayRing(10, 100)
    for seq in range(1, 5):
        ring.push(seq, str(seq), 1)
    ring.release(2)
    assert ring.earliest_seq == 3 and ring.get(2) is None and ring.get(3) == "3"
    ring.release(99)
    assert ring.size == 0 and ring.earliest_seq == 5
    try:
        ring.push(7, "x", 1)
    except ValueError as error:
        assert "gap-free" in str(error)
    else:
        raise AssertionError("a gap was accepted")


@settings(max_examples=150, deadline=None)
@given(
    max_messages=st.integers(1, 40),
    max_bytes=st.integers(1, 200),
    ops=st.lists(st.one_of(st.tuples(st.just("push"), st.text(max_size=12)), st.tuples(st.just("release"), st.integers(0, 80))), max_size=120),
)
def test_matches_a_plain_list(max_messages: int, max_bytes: int, ops: list[tuple[str, object]]) -> None:
    ring = ReplayRing(max_messages, max_bytes)
    model: list[tuple[int, str, int]] = []
    latest = 0
    for op, arg in ops:
        if op == "push":
            text = str(arg)
            size = len(text.encode("utf-8", "surrogatepass")) + 1
            latest += 1
            ring.push(latest, text, size)
            model.append((latest, text, size))
            while len(model) > 1 and (len(model) > max_messages or sum(s for _, _, s in model) > max_bytes):
                model.pop(0)
        else:
            upto = min(int(str(arg)), latest)
            ring.release(upto)
            model = [m for m in model if m[0] > upto]
        earliest = model[0][0] if model else latest + 1
        assert (ring.latest_seq, ring.earliest_seq, ring.size, ring.bytes) == (latest, earliest, len(model), sum(s for _, _, s in model))
        for after in range(earliest - 1, latest + 1):
            assert ring.frames_after(after) == [t for seq, t, _ in model if seq > after]
