"""Assembles the server runtime for one contract: the protocol core, the transports the contract
declares, the messages endpoint and the history routes, as an ASGI app and as Starlette routes to
mount in a FastAPI or Starlette application. The generated ``server.py`` gives this its typed
surface (handlers per client message, ``ctx.emit.<message>``). A port of contract-server.ts."""

from __future__ import annotations

import contextlib
import inspect
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, Literal, TypeVar

from starlette.routing import BaseRoute, Match

from ..contract import ContractDescriptor, TransportKind
from ..frames import clip
from ..limits import LimitOverrides
from ..validation import Validator
from .auth import Authenticate, Authorize, Gate
from .conformance import ConformanceResponder
from .fan_out import FAN_OUT_AT_ONCE as FAN_OUT_AT_ONCE
from .fan_out import FanOutResult as FanOutResult
from .fan_out import FanOutSend as FanOutSend
from .fan_out import fan_out
from .history_gate import HistoryRoute as HistoryRoute
from .history_gate import gated_history
from .server_core import ClientFrame, ServerCore, ServerHooks, ServerStats, Session
from .server_timers import ServerTimers as ServerTimers
from .server_timers import with_timers as with_timers
from .session_limiter import ClientKey, address_key
from .store import SessionStore
from .transports.http_util import MAX_HEADER_BYTES, Scope, header_bytes, refuse_request, routable, send_json
from .transports.messages import MessagesEndpoint
from .transports.poll import PollTransport
from .transports.sse import SseTransport
from .transports.websocket import WebSocketTransport

E = TypeVar("E")
Send = Callable[[str, object], Awaitable[int]]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


class SessionHandle:
    """What handlers see of a session."""

    __slots__ = ("_session",)

    def __init__(self, session: Session) -> None:
        self._session = session

    @property
    def id(self) -> str:
        return self._session.id

    @property
    def protocol_version(self) -> str:
        return self._session.protocol_version

    @property
    def transport(self) -> TransportKind | None:
        """The transport of the live attachment, if any."""
        a = self._session.attachment
        return a.kind if a is not None else None

    @property
    def data(self) -> dict[str, object]:
        """Free for the application (process-local)."""
        return self._session.data

    @property
    def latest_seq(self) -> int:
        """Seq of the newest data message this process has seen."""
        return self._session.latest_seq


@dataclass(frozen=True, slots=True)
class HandlerContext(Generic[E]):
    session: SessionHandle
    #: Q3: the only way to send data; each call validates, stamps and gives the seq.
    emit: E
    #: The request_id of the client frame being handled, if it had one.
    request_id: str | None = None
    #: A2: whom the session belongs to, as ``authenticate`` last named them (None when anonymous).
    principal: object = None


#: A message handler; one of a message that declares a reply (C4) returns that reply's payload.
Handler = Callable[[ClientFrame, HandlerContext[E]], Awaitable[object] | object]
ErrorHook = Callable[[BaseException, str | None, str | None], None]


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
        self._dispatch = dispatch
        self._contexts: weakref.WeakKeyDictionary[Session, HandlerContext[E]] = weakref.WeakKeyDictionary()
        if conformance and contract.conformance is None:
            raise ValueError("contractgen runtime: conformance mode needs a contract whose spec declares x-contract.conformance")
        responder = ConformanceResponder(contract.conformance) if conformance and contract.conformance else None

        # C4: the reply each application message declares, by type.
        replies = {m.type: m.reply for m in contract.messages.values() if m.reply is not None}

        def on_message(session: Session, frame: ClientFrame) -> Awaitable[None] | None:
            type_ = str(frame["type"])
            header = frame.get("header")
            cseq = header.get("cseq") if isinstance(header, dict) else None
            if responder is not None and responder.matches(type_, frame.get("payload")):
                return responder.answer(lambda t, p, c: self.core.outbox.append(session.id, t, p, c), cseq if isinstance(cseq, int) else None)
            handler = dispatch.get(type_)
            if handler is None:
                raise LookupError(f"no handler for {type_}")
            rid = header.get("request_id") if isinstance(header, dict) else None
            result = handler(frame, self._context(session, rid if isinstance(rid, str) else None))
            reply = replies.get(type_)
            if reply is None:
                return result if inspect.isawaitable(result) else None
            return self._send_reply(session, type_, reply, result, cseq if isinstance(cseq, int) else None)

        start, resume = on_session_start, on_session_resume
        hooks = ServerHooks(
            on_message=on_message,
            on_session_start=(lambda s: start(self._context(s))) if start else None,
            on_session_resume=(lambda s, _k: resume(self._context(s))) if resume else None,
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
        self.routes: list[BaseRoute] = [_ContractRoute(self)]

    # --- sessions ---------------------------------------------------------------------------------

    async def _send_reply(self, session: Session, type_: str, reply: str, result: object, cseq: int | None) -> None:
        """C4: the payload the handler returned goes through the one send path (validated, stamped,
        replayable) as ``reply``, naming the frame it answers."""
        if inspect.isawaitable(result):
            result = await result
        if result is None:
            raise RuntimeError(f"the handler of {type_} returned nothing; it must return the payload of its reply {reply} (C4)")
        await self.core.outbox.append(session.id, reply, result, cseq)

    def _context(self, session: Session, request_id: str | None = None) -> HandlerContext[E]:
        ctx = self._contexts.get(session)
        if ctx is None or ctx.principal is not session.principal:
            # The principal is the session's newest: a resume with refreshed credentials names it anew (A2).
            ctx = HandlerContext(SessionHandle(session), self.emit_to(session.id), principal=session.principal)
            self._contexts[session] = ctx
        return ctx if request_id is None else replace(ctx, request_id=request_id)

    def session(self, session_id: str) -> HandlerContext[E] | None:
        """Typed access to a session this process serves, from outside a handler."""
        s = self.core.local(session_id)
        return self._context(s) if s is not None else None

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
            return _upgrade_required
        return None

    @property
    def app(self) -> ASGIApp:
        """A standalone ASGI app: the contract's paths, 404 elsewhere, the lifespan protocol."""
        return _App(self)

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
            await _no_route(routed, send)
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


class _App:
    """An ASGI 3 callable (a bound method would be taken for ASGI 2 by uvicorn)."""

    __slots__ = ("server",)

    def __init__(self, server: ContractServer[Any]) -> None:
        self.server = server

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        await self.server.asgi(scope, receive, send)


async def _no_route(scope: Scope, send: Any) -> None:
    """404 for a path that is not the contract's (a WebSocket upgrade too)."""
    await refuse_request(scope, send, 404, f"no route for {clip(str(scope.get('method', 'GET')))} {clip(str(scope.get('path', '')), 200)}", close=False)


async def _upgrade_required(scope: Scope, receive: Any, send: Any) -> None:
    await send_json(send, 426, {"error": "this path speaks WebSocket; send an Upgrade request"}, {"upgrade": "websocket"})


class _ContractRoute(BaseRoute):
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
