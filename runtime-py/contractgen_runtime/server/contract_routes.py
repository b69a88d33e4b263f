"""How the contract's paths meet a host: one Starlette route for a FastAPI or Starlette app
(``app.router.routes.extend(server.routes)``), a standalone ASGI app (``server.app``), and the
answers for a path that is not the contract's (404) or a WebSocket path asked over plain HTTP
(426). The Python counterpart of fastify-plugin.ts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute, Match

from ..frames import clip
from .transports.http_util import Scope, refuse_request, send_json

if TYPE_CHECKING:
    from .contract_server import ContractServer

ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class StandaloneApp:
    """An ASGI 3 callable (a bound method would be taken for ASGI 2 by uvicorn)."""

    __slots__ = ("server",)

    def __init__(self, server: ContractServer[Any]) -> None:
        self.server = server

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await self.server.asgi(scope, receive, send)


async def no_route(scope: Scope, send: Any) -> None:
    """404 for a path that is not the contract's (a WebSocket upgrade too)."""
    await refuse_request(scope, send, 404, f"no route for {clip(str(scope.get('method', 'GET')))} {clip(str(scope.get('path', '')), 200)}", close=False)


async def upgrade_required(scope: Scope, receive: Any, send: Any) -> None:
    await send_json(send, 426, {"error": "this path speaks WebSocket; send an Upgrade request"}, {"upgrade": "websocket"})


class ContractRoute(BaseRoute):
    """One Starlette route for every path of the contract (matched on the raw path, so a history
    path parameter may hold an encoded ``/``)."""

    def __init__(self, server: ContractServer[Any]) -> None:
        self.server = server
        self.path = "/"
        self.name = f"contractgen:{server.contract.name}"

    def matches(self, scope: Any) -> tuple[Match, Any]:
        if scope["type"] not in ("http", "websocket"):
            return Match.NONE, {}
        endpoint = self.server.owns(scope)
        return (Match.FULL, {"endpoint": endpoint}) if endpoint is not None else (Match.NONE, {})

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        from starlette.routing import NoMatchFound

        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        endpoint = scope.get("endpoint") or self.server.owns(scope)
        if endpoint is None:
            await send_json(send, 404, {"error": "not found"})
            return
        await self.server.serve(endpoint, scope, receive, send)
