"""Identity (A1-A3), a port of runtime/server/auth.ts: the application's ``authenticate`` hook,
called on every entry (WebSocket upgrade, SSE, poll, POST, history) before any protocol work, and
what it decides: a principal, or a typed refusal (``unauthorized`` 401 / 4401, ``forbidden`` 403 /
4403). A principal is reduced to an owner key: the session is bound to it (A2: another owner's
resume, poll or POST is refused exactly like an unknown session) and counted under it (L2).
Without a hook every request is anonymous: owner ``""``, counted by its address."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .session_limiter import ClientKey, address_key
from .transports.http_util import Scope

Entry = Literal["websocket", "sse", "poll", "messages", "history"]


@dataclass(frozen=True, slots=True)
class AuthRequest:
    """A1: what ``authenticate`` sees of a request."""

    method: str
    #: The path and query the client asked for.
    url: str
    #: Header names in lower case; a repeated header keeps its last value.
    headers: Mapping[str, str]
    remote_address: str | None
    entry: Entry
    #: The ASGI scope itself, for what a framework put on it.
    scope: Scope


@dataclass(frozen=True, slots=True)
class Authenticated:
    """A1: the request is ``principal`` (JSON: it is stored with the session)."""

    principal: object


@dataclass(frozen=True, slots=True)
class Refuse:
    """A3: ``unauthorized`` (no or bad credentials) or ``forbidden`` (known, not allowed)."""

    refuse: Literal["unauthorized", "forbidden"]
    message: str | None = None


AuthResult = Authenticated | Refuse
Authenticate = Callable[[AuthRequest], AuthResult | Awaitable[AuthResult]]
#: A2: whether ``principal`` may read the history log of these path parameters (False reads as 404).
Authorize = Callable[[Any, Mapping[str, str]], bool | Refuse | Awaitable[bool | Refuse]]

REFUSALS: dict[str, tuple[int, int, str]] = {
    "unauthorized": (401, 4401, "the request carries no valid credentials; sign in and connect again"),
    "forbidden": (403, 4403, "these credentials may not use this service"),
}


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a request is, once authenticated."""

    #: The application's principal (None when anonymous).
    principal: object
    #: A2: the owner key sessions are bound to; "" when anonymous.
    owner: str
    #: L2: the key the session limiter counts under.
    client_key: str


@dataclass(frozen=True, slots=True)
class GateRefusal:
    code: Literal["unauthorized", "forbidden", "handler_failed"]
    status: int
    #: The WebSocket close code.
    close: int
    message: str


_FAILED = GateRefusal("handler_failed", 500, 1011, "the server could not authenticate the request; try again later")


def canonical_key(principal: object) -> str:
    """The owner key of a principal: a string is its own key, anything else its JSON with sorted keys
    (the same text as the TypeScript runtime's for the same value)."""
    if isinstance(principal, str):
        return principal
    return json.dumps(principal, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Gate:
    """A1: the gate every entry passes before any protocol work."""

    def __init__(
        self,
        authenticate: Authenticate | None = None,
        *,
        principal_key: Callable[[Any], str] | None = None,
        client_key: ClientKey | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.authenticate = authenticate
        self.principal_key = principal_key or canonical_key
        self.client_key = client_key or address_key
        self.on_error = on_error

    async def check(self, scope: Scope, entry: Entry) -> Identity | GateRefusal:
        """Authenticates one request; never raises."""
        if self.authenticate is None:
            return Identity(None, "", self.client_key(scope))
        try:
            result = self.authenticate(_request(scope, entry))
            if inspect.isawaitable(result):
                result = await result
            if isinstance(result, Refuse):
                status, close, message = REFUSALS["forbidden" if result.refuse == "forbidden" else "unauthorized"]
                return GateRefusal("forbidden" if result.refuse == "forbidden" else "unauthorized", status, close, result.message or message)
            if not isinstance(result, Authenticated):
                raise TypeError("authenticate must return Authenticated(principal) or Refuse('unauthorized' | 'forbidden')")
            owner = self.principal_key(result.principal)
            if not isinstance(owner, str) or owner == "":
                raise TypeError("principal_key must return a non-empty string")
            # The limiter's keys of principals and of addresses never collide.
            return Identity(result.principal, owner, f"principal:{owner}")
        except Exception as error:
            if self.on_error is not None:
                try:
                    self.on_error(error)
                except Exception:
                    pass  # a failing error hook must not break the request
            return _FAILED

    def report(self, error: BaseException) -> None:
        """Tells the error hook (never raises)."""
        if self.on_error is not None:
            try:
                self.on_error(error)
            except Exception:
                pass

    def owner_of(self, principal: object) -> str:
        """A2: the owner key of a principal (fan-out to its sessions)."""
        return self.principal_key(principal)


def _request(scope: Scope, entry: Entry) -> AuthRequest:
    headers = {bytes(k).decode("latin-1").lower(): bytes(v).decode("latin-1") for k, v in scope.get("headers", [])}
    query = scope.get("query_string", b"")
    path = str(scope.get("path", "/"))
    url = path + ("?" + bytes(query).decode("latin-1") if query else "")
    client = scope.get("client")
    remote = str(client[0]) if client else None
    method = str(scope.get("method", "GET"))
    return AuthRequest(method, url, headers, remote, entry, scope)


def principal_json(identity: Identity) -> str:
    """What a store keeps of the principal ("" when anonymous)."""
    return "" if identity.owner == "" else json.dumps(identity.principal, separators=(",", ":"), ensure_ascii=False)
