"""The test timers (``timers=``, ``contractgen probe --timers``): a contract whose session TTL (S4),
heartbeat (Q4) and poll hold are replaced, so expiry and heartbeats can be observed in seconds.
A port of ``ServerTimers`` / ``withTimers`` in contract-server.ts."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..contract import ContractDescriptor


@dataclass(frozen=True, slots=True)
class ServerTimers:
    """Timers that replace the contract's (each optional), for tests and ``contractgen probe
    --timers`` only: expiry (S4), heartbeats (Q4) and empty poll answers can then be observed in
    seconds. The hello announces the values in force (H1)."""

    #: S4: how long a detached session lives.
    session_ttl_ms: int | None = None
    #: Q4: heartbeat interval.
    heartbeat_ms: int | None = None
    #: How long a poll is held before an empty answer.
    poll_hold_ms: int | None = None


def with_timers(contract: ContractDescriptor, timers: ServerTimers | None) -> ContractDescriptor:
    """The contract with ``timers`` in force: what the core, the transports, the hello (and a store
    made for this server) read. Raises ValueError for a value that is not a positive integer."""
    if timers is None:
        return contract
    for name in ("session_ttl_ms", "heartbeat_ms", "poll_hold_ms"):
        value = getattr(timers, name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"contractgen runtime: timers.{name} must be a positive whole number of milliseconds, got {value!r}")
    poll = contract.transports.poll
    return replace(
        contract,
        session=replace(contract.session, ttl_ms=timers.session_ttl_ms or contract.session.ttl_ms),
        heartbeat_ms=timers.heartbeat_ms or contract.heartbeat_ms,
        transports=replace(contract.transports, poll=replace(poll, hold_ms=timers.poll_hold_ms or poll.hold_ms) if poll is not None else None),
    )
