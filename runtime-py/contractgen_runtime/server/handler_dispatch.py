"""The typed handler registry: what handlers see of a session (``SessionHandle``,
``HandlerContext``), and each client message handed to its handler, the reply it declares (C4)
sent through the one send path; in conformance mode the probe's frames are answered by the
responder instead. The generated ``server.py`` gives this its typed surface. A port of the
handler dispatch of contract-server.ts."""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from typing import Generic, TypeVar

from ..contract import ContractDescriptor, TransportKind
from .conformance import ConformanceResponder
from .server_core import ClientFrame, Session

E = TypeVar("E")
Send = Callable[[str, object], Awaitable[int]]
#: The outbox's append: (session id, type, payload, cseq of the frame it answers) -> its seq.
Append = Callable[[str, str, object, int | None], Awaitable[int]]


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


class HandlerDispatch(Generic[E]):
    """Client messages to their handlers (the core's ``on_message``), and the context each handler
    sees, made once per session and principal."""

    __slots__ = ("_dispatch", "_emit_to", "_append", "_responder", "_replies", "_contexts")

    def __init__(self, contract: ContractDescriptor, dispatch: Mapping[str, Handler[E]], emit_to: Callable[[str], E], append: Append, *, conformance: bool) -> None:
        """``emit_to`` gives the typed emitter of a session by id; ``append`` is the outbox's (read
        when a reply is sent: the core is made after its hooks)."""
        if conformance and contract.conformance is None:
            raise ValueError("contractgen runtime: conformance mode needs a contract whose spec declares x-contract.conformance")
        self._responder = ConformanceResponder(contract.conformance) if conformance and contract.conformance else None
        self._dispatch = dispatch
        self._emit_to = emit_to
        self._append = append
        # C4: the reply each application message declares, by type.
        self._replies = {m.type: m.reply for m in contract.messages.values() if m.reply is not None}
        self._contexts: weakref.WeakKeyDictionary[Session, HandlerContext[E]] = weakref.WeakKeyDictionary()

    def on_message(self, session: Session, frame: ClientFrame) -> Awaitable[None] | None:
        type_ = str(frame["type"])
        header = frame.get("header")
        cseq = header.get("cseq") if isinstance(header, dict) else None
        responder = self._responder
        if responder is not None and responder.matches(type_, frame.get("payload")):
            return responder.answer(lambda t, p, c: self._append(session.id, t, p, c), cseq if isinstance(cseq, int) else None)
        handler = self._dispatch.get(type_)
        if handler is None:
            raise LookupError(f"no handler for {type_}")
        rid = header.get("request_id") if isinstance(header, dict) else None
        result = handler(frame, self.context(session, rid if isinstance(rid, str) else None))
        reply = self._replies.get(type_)
        if reply is None:
            return result if inspect.isawaitable(result) else None
        return self._send_reply(session, type_, reply, result, cseq if isinstance(cseq, int) else None)

    async def _send_reply(self, session: Session, type_: str, reply: str, result: object, cseq: int | None) -> None:
        """C4: the payload the handler returned goes through the one send path (validated, stamped,
        replayable) as ``reply``, naming the frame it answers."""
        if inspect.isawaitable(result):
            result = await result
        if result is None:
            raise RuntimeError(f"the handler of {type_} returned nothing; it must return the payload of its reply {reply} (C4)")
        await self._append(session.id, reply, result, cseq)

    def context(self, session: Session, request_id: str | None = None) -> HandlerContext[E]:
        ctx = self._contexts.get(session)
        if ctx is None or ctx.principal is not session.principal:
            # The principal is the session's newest: a resume with refreshed credentials names it anew (A2).
            ctx = HandlerContext(SessionHandle(session), self._emit_to(session.id), principal=session.principal)
            self._contexts[session] = ctx
        return ctx if request_id is None else replace(ctx, request_id=request_id)
