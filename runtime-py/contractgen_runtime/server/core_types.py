"""The data the protocol core (server_core.py) and the transports exchange: a session as this
process serves it, the attachment a transport binds to it and why one is closed, the application's
hooks, and the outcomes of opening a session and of inbound frames."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from ..contract import TransportKind
from ..frames import Frame
from .frame_parser import ClientFrame
from .store import Subscription

CloseCode = Literal["superseded", "session_expired", "protocol_error", "slow_consumer", "server_closing"]


@dataclass(frozen=True, slots=True)
class CloseReason:
    """Why an attachment is being closed by the server."""

    code: CloseCode
    message: str
    #: A frame to deliver before closing, when the transport can.
    frame: Frame | None = None


class Attachment(Protocol):
    """One live transport connection bound to a session. Transports implement it."""

    kind: TransportKind

    def send(self, frame: str, seq: int | None = None) -> None:
        """Delivers serialized frames in order; ``seq`` is set for data frames."""

    def heartbeat(self, latest_seq: int, acked: int) -> None:
        """Keepalive tick (every heartbeat interval while attached), with the newest seq and the
        highest cseq accepted (C2)."""

    def close(self, reason: CloseReason) -> None: ...

    def inbound_drained(self) -> None:
        """L2: the session's handlers caught up (its inbound bytes fell to half the limit): read again."""


@dataclass(frozen=True, slots=True)
class FrameRef:
    """Which client frame a handler runs for, as an error about it names it (C4)."""

    cseq: int | None = None
    request_id: str | None = None


@dataclass(eq=False)
class Session:
    """What this process knows of a session it serves."""

    id: str
    protocol_version: str
    #: The live attachment in this process, if any.
    attachment: Attachment | None = None
    #: The newest seq this process has seen for the session.
    latest_seq: int = 0
    #: C2: the highest client cseq this process knows the store accepted.
    acked: int = 0
    #: Free for the application (process-local: with a shared store it does not travel).
    data: dict[str, object] = field(default_factory=dict)
    subscription: Subscription | None = None
    #: L2: who the session is counted against in the limiter.
    client_key: str = ""
    #: A2: the owner key the session is bound to ("" anonymous), and its principal as the last
    #: request that reached it here authenticated it.
    owner: str = ""
    principal: object = None
    #: L2: bytes of client frames queued for, or running in, the handlers.
    inbound: int = 0
    #: When the session last had no attachment here (None while attached).
    idle_since: float | None = None
    # Application messages of one session run one after another, in arrival order.
    _queue: deque[tuple[str, Callable[[], Awaitable[None] | None], int, FrameRef]] = field(default_factory=deque)
    _worker: asyncio.Task[None] | None = None


ErrorHook = Callable[[BaseException, str | None, str | None], None]


@dataclass
class ServerHooks:
    #: An application message from the client, validated; called in arrival order per session.
    on_message: Callable[[Session, ClientFrame], Awaitable[None] | None]
    #: A new session sent its hello (data emitted here follows the hello).
    on_session_start: Callable[[Session], Awaitable[None] | None] | None = None
    #: A session resumed on a new attachment (after the replay).
    on_session_resume: Callable[[Session, TransportKind], Awaitable[None] | None] | None = None
    #: A session is gone: its TTL ran out or it was ended.
    on_session_end: Callable[[Session, Literal["expired", "ended"]], None] | None = None
    #: A handler or hook failed (the client got handler_failed), or the store refused a frame: (error, session id, type).
    on_error: ErrorHook | None = None


@dataclass(frozen=True, slots=True)
class ResumeRequest:
    session_id: str
    token: str
    last_seen_seq: int
    versions: Sequence[str] | None
    #: L2: the client the session is counted against if this process does not hold it yet.
    client_key: str = "unknown"
    #: A2: who asks (the session must be theirs).
    owner: str = ""
    principal: object = None


@dataclass(frozen=True, slots=True)
class Opened:
    session: Session
    ok: Literal[True] = True
    #: The attachment's id in the store (S4.10: a poll answer hands it to the client).
    attachment_id: str | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    status: int
    frame: Frame
    #: Set when the refusal is ``overloaded`` (L2): seconds to wait (the Retry-After header).
    retry_after_s: int | None = None
    ok: Literal[False] = False


OpenOutcome = Opened | Refused


@dataclass(frozen=True, slots=True)
class FromAttachment:
    session: Session
    attachment: Attachment


@dataclass(frozen=True, slots=True)
class FromPost:
    """A POST with a token: its session authenticated already when the request named it (L4),
    else the frames name it."""

    token: str | None
    client_key: str = "unknown"
    session: Session | None = None
    #: A2: who POSTs (the session must be theirs).
    owner: str = ""
    principal: object = None


InboundSource = FromAttachment | FromPost


@dataclass(frozen=True, slots=True)
class InboundOutcome:
    #: Frames accepted (validated and queued for the application, or acknowledged again as duplicates, C2).
    accepted: int
    #: Typed errors to answer on the same channel.
    errors: Sequence[Frame]
    #: HTTP status that fits the first error (POST).
    status: int
    #: C2: the highest cseq of the session accepted, when the frames named a session.
    acked: int | None = None


@dataclass(frozen=True, slots=True)
class ServerStats:
    """What this process holds now, for operators and tests (L2)."""

    sessions: int
    attached: int
    #: Distinct client keys holding sessions.
    clients: int
    #: Bytes of client frames queued for handlers, over every session.
    inbound_bytes: int
