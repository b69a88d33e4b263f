"""L2: every bound a server of the contract keeps, with its default. A spec may set any of them in
``x-contract.limits`` (the generated ``CONTRACT.limits`` carries every value, resolved); a server
may override any of them per deployment (``limits=`` of the server). The same names, defaults and
derivations as runtime/limits.ts, so both targets refuse at the same numbers."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Protocol, TypedDict

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ContractLimits:
    #: Sessions one server process holds, attached or in their TTL. Refusal: ``overloaded``, HTTP 503, WebSocket 1013.
    max_sessions: int
    #: Sessions per client key (its address, until a principal replaces it). Refusal: ``overloaded``, HTTP 429, WebSocket 1013.
    max_sessions_per_client: int
    #: New sessions per second per process (a token bucket with one second of burst). Refusal: ``overloaded``, HTTP 429, WebSocket 1013.
    max_sessions_per_second: int
    #: Bytes of client frames a session has received and its handlers not yet finished. WebSocket: the socket is not read; POST: ``overloaded``, HTTP 429.
    max_inbound_bytes: int
    #: Frames in one POST body (the body limit is this many full-size frames). Refusal: ``overloaded``, HTTP 413, nothing handled.
    max_frames_per_post: int
    #: Error frames in one POST answer: after this many refusals the rest of the batch is not handled and one ``overloaded`` frame says so.
    max_error_frames: int
    #: Bytes of data in one poll answer; a client may ask for less with ``max_bytes``. One frame always goes, however large.
    max_poll_bytes: int
    #: Frames of data in one poll answer; a client may ask for fewer with ``max``.
    max_poll_frames: int
    #: Bytes written to one connection and not yet taken by the client. Beyond: ``slow_consumer`` — the connection is dropped, the session waits for a resume.
    max_buffered_bytes: int


class LimitOverrides(TypedDict, total=False):
    """Some of the limits, by name: ``x-contract.limits`` of a spec, or a server's overrides."""

    max_sessions: int
    max_sessions_per_client: int
    max_sessions_per_second: int
    max_inbound_bytes: int
    max_frames_per_post: int
    max_error_frames: int
    max_poll_bytes: int
    max_poll_frames: int
    max_buffered_bytes: int


#: Defaults that do not depend on other parameters of the contract.
DEFAULT_LIMITS: LimitOverrides = {
    "max_sessions": 10_000,
    "max_sessions_per_client": 1_000,
    "max_sessions_per_second": 1_000,
    "max_inbound_bytes": MiB,
    "max_frames_per_post": 16,
    "max_error_frames": 8,
    "max_poll_frames": 1_000,
}

#: The names of every limit, in the order the docs list them.
LIMIT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ContractLimits))


class _ReplayWindow(Protocol):
    @property
    def max_bytes(self) -> int: ...


class LimitBasis(Protocol):
    """What the derived defaults follow (a ContractDescriptor is one)."""

    @property
    def max_frame_bytes(self) -> int: ...

    @property
    def replay_window(self) -> _ReplayWindow: ...


def resolve_limits(basis: LimitBasis, declared: ContractLimits | LimitOverrides | None = None, overrides: LimitOverrides | None = None) -> ContractLimits:
    """The effective limits: ``overrides`` (server options) over ``declared`` (x-contract.limits)
    over the defaults. Two defaults follow the contract: a poll answer carries up to 256 KiB (never
    less than one frame, never more than the replay window), and a connection may fall 8 MiB or
    eight replay windows behind, whichever is more. Raises ValueError naming a value that is not a
    positive integer, or a name that is no limit."""
    window = basis.replay_window.max_bytes
    derived: dict[str, object] = {
        **_as_mapping(DEFAULT_LIMITS),
        "max_poll_bytes": max(basis.max_frame_bytes, min(256 * 1024, window)),
        "max_buffered_bytes": max(8 * window, 8 * MiB),
    }
    given = _as_mapping(declared)
    wanted = dict(overrides or {})
    for name in (*given, *wanted):
        if name not in LIMIT_NAMES:
            raise ValueError(f"contractgen runtime: limits.{name} is not a limit; the limits are {', '.join(LIMIT_NAMES)}")
    out: dict[str, int] = {}
    for name in LIMIT_NAMES:
        value: object = wanted[name] if name in wanted else given.get(name, derived[name])
        if isinstance(value, bool) or not isinstance(value, int) or value < 1 or value > 2**53 - 1:
            raise ValueError(f"contractgen runtime: limits.{name} must be a positive integer, got {value!r}")
        out[name] = value
    return ContractLimits(**out)


def _as_mapping(value: ContractLimits | LimitOverrides | None) -> dict[str, object]:
    if value is None:
        return {}
    if isinstance(value, ContractLimits):
        return {name: getattr(value, name) for name in LIMIT_NAMES}
    return dict(value)
