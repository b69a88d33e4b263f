"""L2: how many sessions this process holds — in total, per client key, and how fast new ones are
made. The key is whatever identifies a client: its address by default; a principal once the
application authenticates requests (the limiter only ever sees an opaque string). Counts are
taken when a session is admitted and given back when it ends, so memory stays bounded by
``max_sessions`` whatever a client does. A port of runtime/server/session-limiter.ts."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..limits import ContractLimits

#: Who a request counts against (L2): a function of its ASGI scope. The default is the peer
#: address; behind a reverse proxy that is the proxy's, so read the client's address from the
#: proxy's header instead — or, once requests are authenticated, the principal.
ClientKey = Callable[[Mapping[str, Any]], str]


def address_key(scope: Mapping[str, Any]) -> str:
    """The peer address of a request (``scope["client"]``), or ``unknown`` when the server gives none."""
    client = scope.get("client")
    if isinstance(client, (tuple, list)) and client and isinstance(client[0], str):
        return client[0]
    return "unknown"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a new session was refused: always ``overloaded``, with the HTTP status and a retry hint."""

    status: Literal[429, 503]
    message: str
    #: Seconds a client should wait before trying again (the Retry-After header).
    retry_after_s: int


class SessionLimiter:
    def __init__(self, limits: ContractLimits, now: Callable[[], float] = lambda: time.monotonic() * 1000) -> None:
        self._limits = limits
        self._now = now
        self._per_key: dict[str, int] = {}
        self._size = 0
        # Token bucket: up to one second's worth of sessions at once, refilled continuously.
        self._tokens = float(limits.max_sessions_per_second)
        self._refilled_at = now()

    @property
    def size(self) -> int:
        """Sessions counted now."""
        return self._size

    @property
    def clients(self) -> int:
        """Distinct client keys holding sessions now."""
        return len(self._per_key)

    def _refill(self) -> None:
        t = self._now()
        rate = self._limits.max_sessions_per_second
        self._tokens = min(float(rate), self._tokens + (t - self._refilled_at) / 1000 * rate)
        self._refilled_at = t

    def admit(self, key: str, fresh: bool) -> Refusal | None:
        """Counts a session for ``key``, or says why not. ``fresh`` sessions (a hello, not a resume of
        a session held elsewhere) also spend a token of the per-second budget."""
        limits = self._limits
        if self._size >= limits.max_sessions:
            return Refusal(503, f"the server holds its limit of {limits.max_sessions} sessions; try again later", 5)
        held = self._per_key.get(key, 0)
        if held >= limits.max_sessions_per_client:
            return Refusal(429, f"this client holds its limit of {limits.max_sessions_per_client} sessions; resume one of them or let one expire", 5)
        if fresh:
            self._refill()
            if self._tokens < 1:
                return Refusal(429, f"the server creates at most {limits.max_sessions_per_second} sessions a second; try again in a moment", 1)
            self._tokens -= 1
        self._per_key[key] = held + 1
        self._size += 1
        return None

    def release(self, key: str) -> None:
        """A session admitted for ``key`` ended or left this process."""
        held = self._per_key.get(key)
        if held is None:
            return
        if held <= 1:
            del self._per_key[key]
        else:
            self._per_key[key] = held - 1
        self._size -= 1
