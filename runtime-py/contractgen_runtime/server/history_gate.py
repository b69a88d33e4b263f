"""The contract's history endpoints behind the gate (A1, A2): a refused request is answered 401 /
403 before any work, and ``authorize`` says whether the caller may read the log it names. A port
of the history routing of contract-server.ts."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..contract import HistoryDescriptor
from .auth import REFUSALS, Authorize, Gate, GateRefusal, Refuse
from .history import HistoryEndpoint, HistoryStore
from .transports.http_util import Scope, send_json


@dataclass(frozen=True, slots=True)
class HistoryRoute:
    """A history endpoint of the contract bound to a store."""

    descriptor: HistoryDescriptor
    store: HistoryStore[Any]
    on_error: Callable[[BaseException], None] | None = None


def gated_history(gate: Gate, history: Sequence[HistoryRoute], base: str, authorize: Mapping[str, Authorize]) -> list[GatedHistory]:
    """Each route's endpoint under ``base``, behind ``gate``, with the ``authorize`` of its name."""
    return [GatedHistory(gate, HistoryEndpoint(h.descriptor, h.store, base + h.descriptor.path, h.on_error), authorize.get(h.descriptor.name)) for h in history]


class GatedHistory:
    """A1: a history endpoint behind the gate: a refused request is answered 401 / 403 before any work."""

    __slots__ = ("gate", "endpoint", "authorize")

    def __init__(self, gate: Gate, endpoint: HistoryEndpoint[Any], authorize: Authorize | None = None) -> None:
        self.gate = gate
        self.endpoint = endpoint
        self.authorize = authorize

    @property
    def descriptor(self) -> HistoryDescriptor:
        return self.endpoint.descriptor

    def match(self, scope: Scope) -> dict[str, str] | None:
        return self.endpoint.match(scope)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        who = await self.gate.check(scope, "history")
        if isinstance(who, GateRefusal):
            await send_json(send, who.status, {"error": who.message, "code": who.code})
            return
        log = self.endpoint.log_of(self.endpoint.match(scope) or {})
        if self.authorize is not None and log is not None and scope.get("method") in ("GET", "HEAD"):
            # A2: asked once the path parameters are valid, before the store is.
            try:
                verdict = self.authorize(who.principal, self.endpoint.match(scope) or {})
                if inspect.isawaitable(verdict):
                    verdict = await verdict
            except Exception as error:
                self.gate.report(error)
                await send_json(send, 500, {"error": "the server could not authorize the request"})
                return
            if isinstance(verdict, Refuse):
                status, _close, message = REFUSALS[verdict.refuse]
                await send_json(send, status, {"error": verdict.message or message, "code": verdict.refuse})
                return
            if verdict is not True:
                await self.endpoint.not_found(send, log, scope.get("method") == "HEAD")
                return
        await self.endpoint(scope, receive, send)
