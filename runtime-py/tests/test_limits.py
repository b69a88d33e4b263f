"""L2 in the Python runtime, as runtime/limits.test.ts and session-limiter.test.ts hold the
TypeScript one to it: resolve_limits (server overrides over x-contract.limits over the defaults,
the two derived defaults, a bad value refused by name), the session limiter (a total, a count per
client key, a per-second budget with one second of burst, places given back), and the test
timers (with_timers replaces exactly TTL, heartbeat and poll hold)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from agent_ui import CONTRACT
from contractgen_runtime.limits import DEFAULT_LIMITS, LIMIT_NAMES, ContractLimits, resolve_limits
from contractgen_runtime.server.contract_server import ServerTimers, with_timers
from contractgen_runtime.server.session_limiter import Refusal, SessionLimiter, address_key

MiB = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class Window:
    max_bytes: int


@dataclasses.dataclass(frozen=True)
class Basis:
    max_frame_bytes: int
    replay_window: Window


BASIS = Basis(65_536, Window(MiB))


def test_every_limit_is_filled_with_the_defaults_a_poll_answer_of_256_kib_and_8_mib_of_send_buffer() -> None:
    limits = resolve_limits(BASIS)
    assert tuple(f.name for f in dataclasses.fields(limits)) == LIMIT_NAMES
    assert dataclasses.asdict(limits) == {**DEFAULT_LIMITS, "max_poll_bytes": 256 * 1024, "max_buffered_bytes": 8 * MiB}


@pytest.mark.parametrize(
    ("name", "basis", "want"),
    [
        ("a small window caps the poll answer, never below one frame", Basis(1000, Window(4000)), (4000, 8 * MiB)),
        ("a frame larger than 256 KiB raises the poll answer to one frame", Basis(500_000, Window(4_000_000)), (500_000, 32_000_000)),
    ],
)
def test_derived_defaults(name: str, basis: Basis, want: tuple[int, int]) -> None:
    limits = resolve_limits(basis)
    assert (limits.max_poll_bytes, limits.max_buffered_bytes) == want, name


def test_the_server_overrides_the_spec_which_overrides_the_defaults_limit_by_limit() -> None:
    limits = resolve_limits(BASIS, {"max_sessions": 5, "max_frames_per_post": 3}, {"max_sessions": 7, "max_error_frames": 2})
    assert (limits.max_sessions, limits.max_frames_per_post, limits.max_error_frames, limits.max_sessions_per_client) == (7, 3, 2, 1000)
    declared = resolve_limits(BASIS, {"max_inbound_bytes": 99})
    assert resolve_limits(BASIS, declared).max_inbound_bytes == 99  # a resolved ContractLimits is a declaration too


@pytest.mark.parametrize("bad", [0, -1, 1.5, float("nan"), float("inf"), True, "8", 2**53])
def test_a_value_that_is_not_a_positive_integer_is_refused_by_name(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"limits\.max_inbound_bytes must be a positive integer"):
        resolve_limits(BASIS, None, {"max_inbound_bytes": bad})


def test_a_name_that_is_no_limit_is_refused() -> None:
    with pytest.raises(ValueError, match=r"limits\.maxSessions is not a limit"):
        resolve_limits(BASIS, None, {"maxSessions": 5})  # type: ignore[arg-type]


def test_the_generated_contract_carries_the_limits_the_typescript_model_resolved() -> None:
    # (CONTRACT is the generated package's, whose runtime is a copy of this one: compared by value.)
    assert CONTRACT.limits is not None
    assert dataclasses.asdict(CONTRACT.limits) == dataclasses.asdict(ContractLimits(10_000, 1000, 1000, MiB, 16, 8, 256 * 1024, 1000, 8 * MiB))
    assert dataclasses.asdict(resolve_limits(CONTRACT, dataclasses.asdict(CONTRACT.limits))) == dataclasses.asdict(CONTRACT.limits)  # type: ignore[arg-type]


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def limiter(total: int, per_client: int, per_second: int, clock: Clock | None = None) -> SessionLimiter:
    limits = resolve_limits(BASIS, None, {"max_sessions": total, "max_sessions_per_client": per_client, "max_sessions_per_second": per_second})
    return SessionLimiter(limits, clock or Clock())


def test_admits_up_to_max_sessions_then_503_a_release_makes_room() -> None:
    lim = limiter(3, 10, 100)
    assert [lim.admit(k, True) for k in "abc"] == [None, None, None]
    refused = lim.admit("d", True)
    assert isinstance(refused, Refusal) and (refused.status, refused.retry_after_s) == (503, 5)
    assert (lim.size, lim.clients) == (3, 3)
    lim.release("b")
    assert lim.admit("d", True) is None


def test_admits_up_to_max_sessions_per_client_per_key_others_unaffected() -> None:
    lim = limiter(100, 2, 100)
    lim.admit("a", True)
    lim.admit("a", False)
    assert getattr(lim.admit("a", True), "status", None) == 429
    assert getattr(lim.admit("a", False), "status", None) == 429  # a resume of a session held elsewhere needs room too
    assert lim.admit("b", True) is None
    lim.release("a")
    lim.release("a")
    assert lim.clients == 1
    lim.release("a")  # more releases than admits change nothing
    assert lim.size == 1


def test_the_per_second_budget_is_spent_by_fresh_sessions_only_with_one_second_of_burst() -> None:
    clock = Clock()
    lim = limiter(1000, 1000, 4, clock)
    assert [lim.admit(f"k{i}", True) for i in range(4)] == [None] * 4
    refused = lim.admit("k", True)
    assert isinstance(refused, Refusal) and (refused.status, refused.retry_after_s) == (429, 1)
    assert lim.admit("k", False) is None  # not fresh: no token needed
    clock.t += 250  # a quarter second: one token
    assert lim.admit("k", True) is None
    assert lim.admit("k", True) is not None
    clock.t += 60_000  # never more than one second's worth saved up
    assert [lim.admit(f"m{i}", True) for i in range(4)] == [None] * 4
    assert lim.admit("m", True) is not None


def test_a_refusal_counts_nothing() -> None:
    lim = limiter(1, 1, 1)
    lim.admit("a", True)
    for _ in range(5):
        lim.admit("a", True)
    assert (lim.size, lim.clients) == (1, 1)


def test_the_default_client_key_is_the_peer_address() -> None:
    assert address_key({"client": ("10.0.0.7", 5555)}) == "10.0.0.7"
    assert address_key({"client": None}) == address_key({}) == "unknown"


def test_with_timers_replaces_exactly_ttl_heartbeat_and_poll_hold() -> None:
    assert with_timers(CONTRACT, None) is CONTRACT
    timed = with_timers(CONTRACT, ServerTimers(session_ttl_ms=4000, heartbeat_ms=400, poll_hold_ms=600))
    assert (timed.session.ttl_ms, timed.heartbeat_ms, timed.transports.poll and timed.transports.poll.hold_ms) == (4000, 400, 600)
    assert dataclasses.replace(timed, session=CONTRACT.session, heartbeat_ms=CONTRACT.heartbeat_ms, transports=CONTRACT.transports) == CONTRACT
    only_ttl = with_timers(CONTRACT, ServerTimers(session_ttl_ms=5))
    assert (only_ttl.session.ttl_ms, only_ttl.heartbeat_ms) == (5, CONTRACT.heartbeat_ms)


@pytest.mark.parametrize("ms", [0, -5, 1.5, True])
def test_with_timers_refuses_a_value_that_is_not_a_positive_whole_number(ms: Any) -> None:
    with pytest.raises(ValueError, match=r"timers\.session_ttl_ms must be a positive whole number of milliseconds"):
        with_timers(CONTRACT, ServerTimers(session_ttl_ms=ms))
