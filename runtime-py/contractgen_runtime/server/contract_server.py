"""Assembles the server runtime for one contract: the protocol core, the transports the contract
declares, the messages endpoint and the history routes, as an ASGI app and as Starlette routes to
mount in a FastAPI or Starlette application. The generated ``server.py`` gives this its typed
surface (handlers per client message, ``ctx.emit.<message>``). A port of contract-server.ts. Its
parts: handler_dispatch.py (the typed handler registry and what handlers see), fan_out.py
(emit_to_principal, broadcast), server_timers.py (the test timers), history_gate.py (history
endpoints behind the gate) and contract_routes.py (the Starlette route and the standalone app)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal

from starlette.routing import BaseRoute

from ..contract import ContractDescriptor
from ..limits import LimitOverrides
from ..validation import Validator
from .auth import Authenticate, Authorize, Gate
from .contract_routes import ASGIApp as ASGIApp
from .contract_routes import ContractRoute, StandaloneApp, no_route, upgrade_required
from .core_types import ErrorHook as ErrorHook
from .fan_out import FAN_OUT_AT_ONCE as FAN_OUT_AT_ONCE
from .fan_out import FanOutResult as FanOutResult
from .fan_out import FanOutSend as FanOutSend
from .fan_out import fan_out
from .handler_dispatch import E
from .handler_dispatch import Handler as Handler
from .handler_dispatch import HandlerContext as HandlerContext
from .handler_dispatch import HandlerDispatch
from .handler_dispatch import Send as Send
from .handler_dispatch import SessionHandle as SessionHandle
from .history_gate import HistoryRoute as HistoryRoute
from .history_gate import gated_history
from .server_core import ClientFrame, ServerCore, ServerHooks, ServerStats
from .server_timers import ServerTimers as ServerTimers
from .server_timers import with_timers as with_timers
from .session_limiter import ClientKey, address_key
from .store import SessionStore
from .transports.http_util import MAX_HEADER_BYTES, Scope, header_bytes, refuse_request, routable, send_json
from .transports.messages import MessagesEndpoint
from .transports.poll import PollTransport
from .transports.sse import SseTransport
from .transports.websocket import WebSocketTransport


@dataclass(frozen=True, slots=True)
class Connections:
    websocket: int
    sse: int
    #: Requests held waiting for data.
    poll: int


@dataclass(frozen=True, slots=True)
class ContractServerStats:
    """What this process holds now (L2), for metrics: the core's counts and open connections."""

    sessions: int
    attached: int
    clients: int
    inbound_bytes: int
    connections: Connections


class ContractServer(Generic[E]):
    """The server of one contract. Mount ``routes`` in a Starlette/FastAPI app
    (``app.router.routes.extend(server.routes)``), or serve ``app`` on its own (it answers 404 for
    other paths and runs ``start``/``close`` on the ASGI lifespan)."""

    def __init__(
        self,
        *,
        contract: ContractDescriptor,
        validate_client: Validator[ClientFrame],
        server_validators: Mapping[str, Validator[object]],
        payload_validators: Mapping[str, Validator[object]],
        emitter: Callable[[Send], E],
        dispatch: Mapping[str, Handler[E]],
        on_session_start: Callable[[HandlerContext[E]], Awaitable[None] | None] | None = None,
        on_session_resume: Callable[[HandlerContext[E]], Awaitable[None] | None] | None = None,
        on_session_end: Callable[[SessionHandle, Literal["expired", "ended"]], None] | None = None,
        on_error: ErrorHook | None = None,
        history: Sequence[HistoryRoute] = (),
        base_path: str = "",
        store: SessionStore | None = None,
        resume_timeout_ms: int | None = None,
        max_buffered_bytes: int | None = None,
        conformance: bool = False,
        limits: LimitOverrides | None = None,
        client_key: ClientKey | None = None,
        timers: ServerTimers | None = None,
        authenticate: Authenticate | None = None,
        principal_key: Callable[[Any], str] | None = None,
        authorize: Mapping[str, Authorize] | None = None,
    ) -> None:
        """``limits`` (L2) overrides the contract's limits for this server; ``client_key`` says whom a
        request counts against for the per-client session limit (default: the peer address —
        behind a reverse proxy, read the client's address from the proxy's header instead);
        ``timers`` is for tests and ``contractgen probe --timers`` only (see ServerTimers).
        ``authenticate`` (A1) decides who each request is — WebSocket upgrade, SSE, poll, POST,
        history — before any protocol work: ``Authenticated(principal)`` or ``Refuse("unauthorized"
        | "forbidden")``; without it every request is anonymous. ``principal_key`` (A2) is the key a
        principal's sessions are bound to (default its JSON with sorted keys). ``authorize`` (A2), by
        history endpoint name: ``authorize(principal, params)`` says whether the caller may read that
        log (False reads as 404, like a log that does not exist; ``Refuse`` answers 401 / 403)."""
        contract = with_timers(contract, timers)
        self.contract = contract
        self._emitter = emitter

        def append(session_id: str, type_: str, payload: object, cseq: int | None) -> Awaitable[int]:
            # The core is made after its hooks: a reply reaches its outbox when it is sent.
            return self.core.outbox.append(session_id, type_, payload, cseq)

        handlers = HandlerDispatch(contract, dispatch, self.emit_to, append, conformance=conformance)
        self._handlers = handlers

        start, resume = on_session_start, on_session_resume
        hooks = ServerHooks(
            on_message=handlers.on_message,
            on_session_start=(lambda s: start(handlers.context(s))) if start else None,
            on_session_resume=(lambda s, _k: resume(handlers.context(s))) if resume else None,
            on_session_end=(lambda s, reason: on_session_end(SessionHandle(s), reason)) if on_session_end else None,
            on_error=on_error,
        )
        overrides: LimitOverrides = {**(limits or {})}
        if max_buffered_bytes is not None:
            overrides["max_buffered_bytes"] = max_buffered_bytes
        self.core = ServerCore(contract, validate_client, server_validators, payload_validators, hooks, store, limits=overrides)
        base = base_path.rstrip("/")
        t = contract.transports
        key = client_key or address_key
        # A1: one gate in front of every entry.
        gate = Gate(authenticate, principal_key=principal_key, client_key=key, on_error=lambda error: self.core.report(error, None, "authenticate"))
        self._gate = gate
        self.websocket = WebSocketTransport(self.core, base + t.websocket.path, resume_timeout_ms=resume_timeout_ms or 10_000, client_key=key, gate=gate) if t.websocket else None
        self.sse = SseTransport(self.core, base + t.sse.path, client_key=key, gate=gate) if t.sse else None
        self.poll = PollTransport(self.core, base + t.poll.path, t.poll.hold_ms, client_key=key, gate=gate) if t.poll else None
        messages_path = t.sse.messages_path if t.sse else t.poll.messages_path if t.poll else None
        self.messages = MessagesEndpoint(self.core, base + messages_path, key, gate) if messages_path else None
        self.history = gated_history(gate, history, base, authorize or {})
        self.closed = False
        self._exact: dict[str, ASGIApp] = {}
        for endpoint in (self.sse, self.poll, self.messages):
            if endpoint is not None:
                self._exact[endpoint.path] = endpoint
        self.routes: list[BaseRoute] = [ContractRoute(self)]

    # --- sessions ---------------------------------------------------------------------------------

    def session(self, session_id: str) -> HandlerContext[E] | None:
        """Typed access to a session this process serves, from outside a handler."""
        s = self.core.local(session_id)
        return self._handlers.context(s) if s is not None else None

    def emit_to(self, session_id: str) -> E:
        """Typed emitter for any session by id, wherever its connection is (with a shared store, in
        another process). Emitting to a session that does not exist raises UnknownSessionError."""
        return self._emitter(lambda type_, payload: self.core.outbox.append(session_id, type_, payload))

    def fan_out_to_principal(self, principal: object) -> FanOutSend:
        """Fan-out to every session of ``principal`` (A2: as ``principal_key`` names it), wherever it
        is attached; the generated server's ``emit_to_principal(principal).<message>`` calls this."""
        owner = self._gate.owner_of(principal)
        return lambda type_, payload: fan_out(self.core, owner, type_, payload)

    def fan_out_to_all(self) -> FanOutSend:
        """Fan-out to every session of the store (every process on Redis); the generated server's
        ``broadcast().<message>`` calls this."""
        return lambda type_, payload: fan_out(self.core, None, type_, payload)

    async def end_session(self, session_id: str) -> bool:
        """Ends a session now (logout, ban): its connection is closed and a resume gets session_expired."""
        return await self.core.end(session_id)

    def stats(self) -> ContractServerStats:
        """L2: what this process holds now (sessions, connections, queued inbound bytes), for metrics."""
        core: ServerStats = self.core.stats()
        connections = Connections(
            len(self.websocket.connections) if self.websocket else 0,
            len(self.sse.streams) if self.sse else 0,
            len(self.poll.holding) if self.poll else 0,
        )
        return ContractServerStats(core.sessions, core.attached, core.clients, core.inbound_bytes, connections)

    # --- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Heartbeats and TTL sweeps (also started by the first request); needs a running loop."""
        self.core.start()

    def close(self) -> None:
        """Stops timers and closes every connection; later requests to the contract's paths get 503."""
        self.closed = True
        self.core.close()
        for t in (self.websocket, self.sse, self.poll):
            if t is not None:
                t.close()

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: object = None) -> AsyncIterator[None]:
        """``FastAPI(lifespan=server.lifespan)``: starts the timers, closes the server and its store at shutdown."""
        self.start()
        try:
            yield
        finally:
            self.close()
            await self.core.store.close()

    # --- routing ------------------------------------------------------------------------------------

    def owns(self, scope: Scope) -> ASGIApp | None:
        """The endpoint of a request on one of the contract's paths, or None."""
        from starlette._utils import get_route_path

        path = get_route_path(dict(scope))
        if scope["type"] == "websocket":
            return self.websocket if self.websocket is not None and path == self.websocket.path else None
        exact = self._exact.get(path)
        if exact is not None:
            return exact
        for h in self.history:
            if h.match(scope) is not None:
                return h
        if self.websocket is not None and path == self.websocket.path:
            return upgrade_required
        return None

    @property
    def app(self) -> ASGIApp:
        """A standalone ASGI app: the contract's paths, 404 elsewhere, the lifespan protocol."""
        return StandaloneApp(self)

    async def asgi(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    self.start()
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self.close()
                    await self.core.store.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        # L1: a target that is not a path (nor an absolute URL of one) is answered 400.
        routed = routable(scope)
        if routed is None:
            await refuse_request(scope, send, 400, "the request target is not a valid URL path")
            return
        endpoint = self.owns(routed)
        if endpoint is None:
            await no_route(routed, send)
            return
        await self.serve(endpoint, routed, receive, send)

    async def serve(self, endpoint: ASGIApp, scope: Scope, receive: Any, send: Any) -> None:
        if self.closed:
            # After close() nothing is served: a poll client's next poll would otherwise resume its session.
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1013})
            else:
                await send_json(send, 503, {"error": "the server is shutting down; resume later"}, {"connection": "close"})
            return
        # L1/L2: headers past the host's usual bound are refused before any work (Node answers 431 at 16 KiB).
        if header_bytes(scope) > MAX_HEADER_BYTES:
            await refuse_request(scope, send, 431, f"the request's headers exceed {MAX_HEADER_BYTES} bytes")
            return
        self.core.start()
        # L1: nothing a request does raises out of the app: a failure is reported and answered 500
        # (the WebSocket closed 1011) when nothing was answered yet; the server keeps serving.
        try:
            await endpoint(scope, receive, send)
        except Exception as error:
            self.core.report(error, None, "request")
            try:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1011})
                else:
                    await send_json(send, 500, {"error": "internal error; the server keeps serving"})
            except Exception:
                pass  # answered already, or the client is gone
