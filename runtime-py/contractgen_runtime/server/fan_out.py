"""Fan-out (Q3, A2): one message to every session of a principal, or of the store, each stamped
with its own next seq, in waves a remote store's connection pool can take. A port of the fan-out
of contract-server.ts (``emitToPrincipal``, ``broadcast``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .outbox import OutboundRejectedError
from .server_core import ServerCore
from .store import UnknownSessionError


@dataclass(frozen=True, slots=True)
class FanOutResult:
    """Fan-out: what ``emit_to_principal`` and ``broadcast`` did, per session."""

    #: Sessions the message was stamped into (each with its own next seq, Q2).
    sent: int
    #: Sessions that ended between listing and sending (nothing was sent to them).
    gone: int
    #: Sessions whose store refused or failed the append (on_error was told).
    failed: int


#: What a generated fan-out emitter calls: (type, payload) -> what happened per session.
FanOutSend = Callable[[str, object], Awaitable[FanOutResult]]

#: Appends a fan-out has in flight at once.
FAN_OUT_AT_ONCE = 32


def fan_out(core: ServerCore, owner: str | None, type_: str, payload: object) -> Awaitable[FanOutResult]:
    """Q3: one payload, validated once (an invalid or too large one raises OutboundRejectedError
    here, before any session is listed), then appended to each session through the outbox: each stamped with
    its own next seq, kept in its window within its bounds, delivered wherever it is. ``owner``
    None is every session of the store."""
    payload_json = core.outbox.check(type_, payload, any_session=True)
    return _fan_out_checked(core, owner, type_, payload_json)


async def _fan_out_checked(core: ServerCore, owner: str | None, type_: str, payload_json: str) -> FanOutResult:
    outbox = core.outbox
    ids = await core.store.sessions_of(owner)
    sent = gone = failed = 0
    # In waves: a remote store's appends each hold a connection until answered (redis-py's pool
    # refuses commands past its size instead of queueing them).
    for start in range(0, len(ids), FAN_OUT_AT_ONCE):
        pending: list[Awaitable[int]] = []
        for session_id in ids[start : start + FAN_OUT_AT_ONCE]:
            try:
                pending.append(outbox.append_checked(session_id, type_, payload_json))
            except OutboundRejectedError:
                if sent + gone + failed + len(pending) == 0:
                    raise  # too large for any session: nothing was sent
                failed += 1  # an id of another length (a store shared with other settings)
        for appended in pending:
            try:
                await appended
                sent += 1
            except UnknownSessionError:
                gone += 1  # ended since it was listed: no failure
            except Exception:
                failed += 1  # the outbox told on_error
    return FanOutResult(sent, gone, failed)
