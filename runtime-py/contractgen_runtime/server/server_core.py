"""The transport-independent protocol engine: hello and version negotiation (H1, H2), resume
(R1-R3), inbound frames with typed errors (S2, S5), acknowledgements (Q5), heartbeats and TTL
sweeps (S4), on top of a session store (memory by default, Redis for several processes).
Transports turn sockets and requests into calls on this; nothing here knows about WebSocket,
SSE or HTTP polling. A port of runtime/server/server-core.ts: the wire is the contract."""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from ..contract import ContractDescriptor, TransportKind
from ..frames import (
    ErrorCode,
    Frame,
    HelloFields,
    Kernel,
    error_frame,
    hello_frame,
    negotiate_version,
    resume_failed_frame,
    resumed_frame,
)
from ..json_text import JsonSyntaxError, dumps, loads, utf8_length
from ..validation import Invalid, Validator, describe_issues
from .memory_store import MemoryStore, now_ms
from .outbox import Outbox
from .store import ReplayAnswer, ReplayOk, ReplayRefused, SessionFound, SessionStore, StoreBounds, Subscription

log = logging.getLogger("contractgen.runtime")

#: A client frame after parsing and validation (``header.session_id`` is present).
ClientFrame = Mapping[str, object]

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

    def heartbeat(self, latest_seq: int) -> None:
        """Keepalive tick (every heartbeat interval while attached)."""

    def close(self, reason: CloseReason) -> None: ...


@dataclass(eq=False)
class Session:
    """What this process knows of a session it serves."""

    id: str
    protocol_version: str
    #: The live attachment in this process, if any.
    attachment: Attachment | None = None
    #: The newest seq this process has seen for the session.
    latest_seq: int = 0
    #: Free for the application (process-local: with a shared store it does not travel).
    data: dict[str, object] = field(default_factory=dict)
    subscription: Subscription | None = None
    # Application messages of one session run one after another, in arrival order.
    _queue: deque[tuple[str, Callable[[], Awaitable[None] | None]]] = field(default_factory=deque)
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


@dataclass(frozen=True, slots=True)
class Opened:
    session: Session
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class Refused:
    status: int
    frame: Frame
    ok: Literal[False] = False


OpenOutcome = Opened | Refused


@dataclass(frozen=True, slots=True)
class Parsed:
    frame: ClientFrame
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class Rejected:
    frame: Frame
    status: int
    ok: Literal[False] = False


@dataclass(frozen=True, slots=True)
class FromAttachment:
    session: Session
    attachment: Attachment


@dataclass(frozen=True, slots=True)
class FromPost:
    token: str | None


InboundSource = FromAttachment | FromPost


@dataclass(frozen=True, slots=True)
class InboundOutcome:
    #: Frames accepted (validated and queued for the application).
    accepted: int
    #: Typed errors to answer on the same channel.
    errors: Sequence[Frame]
    #: HTTP status that fits the first error (POST).
    status: int


#: HTTP status per error code, for transports that answer over HTTP.
ERROR_STATUS: Mapping[str, int] = {
    "malformed_frame": 400,
    "unknown_type": 400,
    "invalid_message": 400,
    "frame_too_large": 413,
    "session_required": 400,
    "unknown_session": 404,
    "session_expired": 410,
    "unsupported_version": 400,
    "superseded": 409,
    "handler_failed": 500,
    "window_exceeded": 410,
    "invalid_cursor": 400,
}

RESUME_MESSAGES: Mapping[str, str] = {
    "unknown_session": "no session matches this session_id and resume_token; start a new session",
    "session_expired": "the session expired after its grace period; start a new session and re-sync from history",
}


class ServerCore:
    def __init__(
        self,
        contract: ContractDescriptor,
        validate_client: Validator[ClientFrame],
        server_validators: Mapping[str, Validator[object]],
        payload_validators: Mapping[str, Validator[object]],
        hooks: ServerHooks,
        store: SessionStore | None = None,
        now: Callable[[], float] = now_ms,
    ) -> None:
        self.contract = contract
        self.hooks = hooks
        self._validate_client = validate_client
        self._server_validators = server_validators
        self._now = now
        self.transports = contract.transports.kinds()
        self.store: SessionStore = store or MemoryStore(
            StoreBounds(contract.session.ttl_ms, contract.session.id_bits, contract.session.token_bits, contract.replay_window.max_messages, contract.replay_window.max_bytes),
            now=now,
        )
        self.outbox = Outbox(self.store, contract.max_frame_bytes, payload_validators, lambda e, sid, t: self.report(e, sid, t))
        self._locals: dict[str, Session] = {}
        self._timer: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[object]] = set()

    # --- helpers -------------------------------------------------------------------------------

    def report(self, error: BaseException, session_id: str | None = None, type_: str | None = None) -> None:
        hook = self.hooks.on_error
        if hook is None:
            log.warning("contractgen: %s (session %s, %s)", error, session_id, type_)
            return
        try:
            hook(error, session_id, type_)
        except Exception:  # an error hook that throws must not break a queue, a timer or a socket
            log.exception("contractgen: the on_error hook failed")

    def spawn(self, coro: Awaitable[object], session_id: str | None = None, what: str | None = None) -> None:
        """Runs background store work; a failure is reported, never raised into a transport."""

        async def run() -> object:
            try:
                return await coro
            except Exception as error:
                self.report(error, session_id, what)
                return None

        task = asyncio.ensure_future(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def encode(self, frame: Frame) -> str:
        validate = self._server_validators.get(str(frame["type"]))
        if validate is not None:
            result = validate(frame)
            # A kernel frame the spec does not accept is a contract/runtime mismatch: fail loudly.
            if isinstance(result, Invalid):
                raise RuntimeError(f"contractgen runtime: the spec rejects the {frame['type']} the runtime builds ({describe_issues(result)}); regenerate from a spec that passes `contractgen lint`")
        return dumps(frame)

    def send_control(self, attachment: Attachment, frame: Frame) -> None:
        attachment.send(self.encode(frame))

    def local(self, session_id: str) -> Session | None:
        return self._locals.get(session_id)

    def sessions(self) -> Iterator[Session]:
        return iter(list(self._locals.values()))

    def _local_of(self, session_id: str, protocol_version: str) -> Session:
        session = self._locals.get(session_id)
        if session is None:
            session = Session(session_id, protocol_version)
            self._locals[session_id] = session
        return session

    def _fail(self, reason: Literal["unknown_session", "session_expired"]) -> Refused:
        return Refused(ERROR_STATUS[reason], resume_failed_frame(reason, RESUME_MESSAGES[reason]))

    def _window_failure(self, answer: ReplayRefused, last_seen: int) -> Refused:
        """R3: never a silent partial replay — the refusal says where the window starts."""
        if answer.reason == "window_exceeded":
            message = f"last_seen_seq {last_seen} is older than the replay window, which starts at seq {answer.earliest_seq}; re-sync from history"
        else:
            message = f"last_seen_seq {last_seen} is ahead of the newest seq {answer.latest_seq}"
        return Refused(ERROR_STATUS[answer.reason], resume_failed_frame(answer.reason, message, answer.earliest_seq, answer.latest_seq))

    def _unsupported(self, versions: Sequence[str] | None) -> Refused:
        offered = ", ".join(versions) if versions else "none"
        supported = self.contract.protocol_versions
        message = f"no common protocol version: the client offered {offered}, the server speaks {', '.join(supported)}"
        return Refused(ERROR_STATUS["unsupported_version"], error_frame("unsupported_version", message, supported_versions=supported))

    def _hello(self, session: Session, token: str) -> Frame:
        c = self.contract
        return hello_frame(
            HelloFields(
                protocol_version=session.protocol_version,
                session_id=session.id,
                resume_token=token,
                latest_seq=session.latest_seq,
                max_messages=c.replay_window.max_messages,
                max_bytes=c.replay_window.max_bytes,
                heartbeat_ms=c.heartbeat_ms,
                session_ttl_ms=c.session.ttl_ms,
                max_frame_bytes=c.max_frame_bytes,
                transports=self.transports,
                capabilities=c.capabilities,
            )
        )

    def run_hook(self, session: Session, type_: str, fn: Callable[[], Awaitable[None] | None]) -> None:
        """Queues application code for a session; it runs after everything queued before it."""
        session._queue.append((type_, fn))
        if session._worker is None or session._worker.done():
            session._worker = asyncio.ensure_future(self._drain(session))

    async def _drain(self, session: Session) -> None:
        while session._queue:
            type_, fn = session._queue.popleft()
            try:
                result = fn()
                if result is not None:
                    await result
            except Exception as error:
                self.report(error, session.id, type_)
                a = session.attachment
                if a is not None:
                    self.send_control(a, error_frame("handler_failed", f"the server failed to handle {type_}; the session is intact", session_id=session.id))

    # --- binding -------------------------------------------------------------------------------

    async def _bind(self, session: Session, attachment: Attachment) -> _Binding:
        """S4: binds ``attachment`` to the session through the store (superseding any other one).
        Frames the store delivers are held back until ``release`` — after hello, resumed and the
        replay were sent — so nothing overtakes them and nothing is sent twice."""
        binding = _Binding(self, session, attachment)
        session.attachment = attachment
        try:
            subscription = await self.store.attach(session.id, session.protocol_version, binding)
        except BaseException:
            # The store refused (e.g. Redis is down): the session is not bound here.
            if session.attachment is attachment:
                session.attachment = None
            raise
        if session.attachment is attachment:
            session.subscription = subscription
        else:
            # The connection went away (or was superseded) while the store answered: let go of the
            # binding, or the store would hold the session attached and it would never expire.
            self.spawn(self.store.detach(subscription), session.id, "detach")
        return binding

    # --- entry points ----------------------------------------------------------------------------

    async def open(self, attachment: Attachment, versions: Sequence[str] | None) -> OpenOutcome:
        """H1/H2: a new session on a fresh attachment; the hello is sent before this returns."""
        version = negotiate_version(versions, self.contract.protocol_versions)
        if version is None:
            return self._unsupported(versions)
        session_id, token = await self.store.create(version)
        session = self._local_of(session_id, version)
        binding = await self._bind(session, attachment)
        self.send_control(attachment, self._hello(session, token))
        binding.release(0)
        start = self.hooks.on_session_start
        if start is not None:
            self.run_hook(session, "session start", lambda: start(session))
        return Opened(session)

    async def resume(self, attachment: Attachment, request: ResumeRequest) -> OpenOutcome:
        """R1-R3: resume on a (new) attachment; hello, resumed and the replay are sent on success."""
        version = negotiate_version(request.versions, self.contract.protocol_versions)
        if version is None:
            return self._unsupported(request.versions)
        auth = await self.store.authenticate(request.session_id, request.token)
        if not isinstance(auth, SessionFound):
            return self._fail(auth.reason)
        # Check the window before taking the session over: a refused resume leaves it as it was.
        check = await self.store.replay(request.session_id, request.last_seen_seq)
        if isinstance(check, ReplayRefused):
            return self._window_failure(check, request.last_seen_seq)
        session = self._local_of(request.session_id, version)
        session.protocol_version = version
        binding = await self._bind(session, attachment)
        # Read again now that new frames reach this attachment: nothing falls between the two.
        try:
            answer = await self.store.replay(session.id, request.last_seen_seq)
        except BaseException:
            self.detach(session, attachment)  # the store failed between bind and replay
            raise
        if isinstance(answer, ReplayRefused):
            self.detach(session, attachment)
            return self._window_failure(answer, request.last_seen_seq)
        if answer.latest_seq > session.latest_seq:
            session.latest_seq = answer.latest_seq
        self.send_control(attachment, self._hello(session, request.token))
        self.send_control(attachment, resumed_frame(session.id, answer.from_seq, answer.latest_seq))
        for f in answer.frames:
            attachment.send(f.frame, f.seq)
        binding.release(answer.latest_seq)
        self._release(session.id, request.last_seen_seq)  # the client has processed these (R4)
        on_resume = self.hooks.on_session_resume
        if on_resume is not None:
            kind = attachment.kind
            self.run_hook(session, "session resume", lambda: on_resume(session, kind))
        return Opened(session)

    def parse(self, text: str) -> Parsed | Rejected:
        """Parses and validates one client frame (S2/S5 typed errors)."""
        size = utf8_length(text)
        limit = self.contract.max_frame_bytes
        if size > limit:
            return _reject("frame_too_large", f"a frame of {size} bytes exceeds the limit of {limit}")
        try:
            value = loads(text)
        except JsonSyntaxError as error:
            return _reject("malformed_frame", f"the frame is not valid JSON ({error})")
        header = value.get("header") if isinstance(value, dict) else None
        request_id = header.get("request_id") if isinstance(header, dict) else None
        result = self._validate_client(value)
        if not isinstance(result, Invalid):
            return Parsed(result.value)
        first = result.issues[0]
        # Echo request_id only when it is itself well-formed (it is echoed into a validated frame).
        rid = request_id if isinstance(request_id, str) and _REQUEST_ID.match(request_id) else None
        if first.keyword == "unknown-type":
            return _reject("unknown_type", first.message, path=first.path, request_id=rid)
        if first.keyword == "not-a-message":
            return _reject("malformed_frame", f"{first.path or '/'} {first.message}", path=first.path, request_id=rid)
        what = result.type or "the frame"
        if first.path == "/header/session_id" and first.keyword == "required":
            return _reject("session_required", f"{what} has no header.session_id; every client frame names its session (S5)", path=first.path, request_id=rid)
        if first.path == "/header" and first.keyword == "required":
            return _reject("session_required", f"{what} has no header; every client frame carries header.session_id (S5)", path=first.path, request_id=rid)
        return _reject("invalid_message", describe_issues(result), path=first.path, request_id=rid)

    def _release(self, session_id: str, seq: int) -> None:
        self.spawn(self.store.release(session_id, seq), session_id, Kernel.ack)

    async def _handle_frame(self, frame: ClientFrame, session: Session, attachment: Attachment | None) -> Frame | None:
        header = _dict(frame["header"])
        payload = _dict(frame["payload"])
        request_id = header.get("request_id")
        rid = request_id if isinstance(request_id, str) else None
        ack = header.get("ack")
        if ack is not None:
            self._release(session.id, _int(ack))
        type_ = str(frame["type"])
        if type_ == Kernel.ack:
            self._release(session.id, _int(payload["last_seen_seq"]))
            return None
        if type_ == Kernel.resume:
            # Over an attached connection the client may ask to replay its own session again.
            if attachment is None:
                return error_frame("invalid_message", "protocol.resume is sent on connect: a WebSocket frame, or query parameters on SSE and poll", request_id=rid, path="/type")
            auth = await self.store.authenticate(str(header["session_id"]), str(payload["resume_token"]))
            if not isinstance(auth, SessionFound) or header["session_id"] != session.id:
                return resume_failed_frame("unknown_session", RESUME_MESSAGES["unknown_session"])
            last_seen = _int(payload["last_seen_seq"])
            answer = await self.store.replay(session.id, last_seen)
            if isinstance(answer, ReplayRefused):
                return self._window_failure(answer, last_seen).frame
            self.send_control(attachment, resumed_frame(session.id, answer.from_seq, answer.latest_seq))
            for f in answer.frames:
                attachment.send(f.frame, f.seq)
            return None
        on_message = self.hooks.on_message
        self.run_hook(session, type_, lambda: on_message(session, frame))
        return None

    async def _receive_one(self, text: str, source: InboundSource) -> tuple[bool, Frame | None, int]:
        parsed = self.parse(text)
        if isinstance(parsed, Rejected):
            return False, parsed.frame, parsed.status
        frame = parsed.frame
        header = _dict(frame["header"])
        rid_value = header.get("request_id")
        rid = rid_value if isinstance(rid_value, str) else None
        session_id = str(header["session_id"])
        if isinstance(source, FromAttachment):
            # S2: a frame names its session; on a connection it must be the connection's session.
            if session_id != source.session.id:
                return False, error_frame("unknown_session", "header.session_id does not name this connection's session", request_id=rid, path="/header/session_id"), 404
            session = source.session
            attachment: Attachment | None = source.attachment
        else:
            if source.token is None:
                return False, error_frame("unknown_session", "a POSTed frame needs the session token: send Resume-Token: <resume_token>", request_id=rid), 401
            auth = await self.store.authenticate(session_id, source.token)
            if not isinstance(auth, SessionFound):
                return False, error_frame(auth.reason, RESUME_MESSAGES[auth.reason], request_id=rid, path="/header/session_id"), ERROR_STATUS[auth.reason]
            session = self._local_of(session_id, auth.protocol_version)
            attachment = None
        error = await self._handle_frame(frame, session, attachment)
        return (False, error, 400) if error is not None else (True, None, 202)

    async def receive(self, text: str, source: InboundSource) -> InboundOutcome:
        """Handles inbound text (one frame, or a JSON array of frames for POST)."""
        items = [text]
        # A POST may carry a JSON array of frames (poll clients batch acks with messages).
        if isinstance(source, FromPost) and text.lstrip().startswith("["):
            try:
                batch = loads(text)
                if isinstance(batch, list):
                    items = [dumps(f) for f in batch]
            except JsonSyntaxError:
                pass  # parse() reports it as malformed_frame
        accepted = 0
        errors: list[Frame] = []
        status = 202
        for item in items:
            ok, error, code = await self._receive_one(item, source)
            if ok:
                accepted += 1
            if error is not None:
                errors.append(error)
                if status == 202:
                    status = code
        return InboundOutcome(accepted, errors, status)

    def detach(self, session: Session, attachment: Attachment) -> None:
        """The attachment went away; the TTL starts."""
        local = self._locals.get(session.id)
        if local is None or local.attachment is not attachment:
            return
        subscription = local.subscription
        local.attachment = None
        local.subscription = None
        if subscription is not None:
            self.spawn(self.store.detach(subscription), session.id, "detach")

    async def end(self, session_id: str) -> bool:
        """Ends a session now: closes its attachment, forgets it, runs on_session_end."""
        local = self._locals.get(session_id)
        await self.store.end(session_id)
        if local is None:
            return False
        del self._locals[session_id]
        self._session_end(local, "ended")
        return True

    def _session_end(self, session: Session, reason: Literal["expired", "ended"]) -> None:
        hook = self.hooks.on_session_end
        if hook is None:
            return
        try:
            hook(session, reason)
        except Exception as error:
            self.report(error, session.id, "session end")  # never crash the timer

    def start(self) -> None:
        """Heartbeats and the TTL sweep; idempotent, needs a running event loop."""
        if self._timer is None or self._timer.done():
            self._timer = asyncio.ensure_future(self._tick_loop())

    async def _tick_loop(self) -> None:
        c = self.contract
        tick = min(c.heartbeat_ms, max(1000, c.session.ttl_ms // 4)) / 1000
        while True:
            await asyncio.sleep(tick)
            for s in list(self._locals.values()):
                if s.attachment is not None:
                    s.attachment.heartbeat(s.latest_seq)
            try:
                expired = await self.store.sweep(self._now())
            except Exception as error:
                self.report(error, None, "sweep")
                continue
            for sid in expired:
                session = self._locals.pop(sid, None) or Session(sid, "")
                self._session_end(session, "expired")

    def close(self) -> None:
        """Stops timers and closes every attachment."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for s in list(self._locals.values()):
            if s.attachment is not None:
                s.attachment.close(CloseReason("server_closing", "the server is shutting down; resume later"))


class _Binding:
    """The store's listener for one attachment (see ServerCore._bind)."""

    __slots__ = ("_core", "_session", "_attachment", "_held", "_sent_up_to")

    def __init__(self, core: ServerCore, session: Session, attachment: Attachment) -> None:
        self._core = core
        self._session = session
        self._attachment = attachment
        self._held: list[tuple[str, int]] | None = []
        self._sent_up_to = float("inf")

    def frame(self, frame: str, seq: int) -> None:
        session = self._session
        if seq > session.latest_seq:
            session.latest_seq = seq
        if session.attachment is not self._attachment:
            return
        if self._held is not None:
            self._held.append((frame, seq))
        elif seq > self._sent_up_to:
            self._sent_up_to = seq
            self._attachment.send(frame, seq)

    def superseded(self) -> None:
        session = self._session
        if session.attachment is self._attachment:
            session.attachment = None
            session.subscription = None
        self._attachment.close(CloseReason("superseded", "another connection took over this session"))

    def ended(self) -> None:
        session = self._session
        if session.attachment is self._attachment:
            session.attachment = None
        self._attachment.close(CloseReason("session_expired", "the session was ended by the server"))

    def release(self, after_seq: int) -> None:
        self._sent_up_to = after_seq
        pending = self._held or []
        self._held = None
        for frame, seq in pending:
            self.frame(frame, seq)


_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}\Z")


def _reject(code: ErrorCode, message: str, *, path: str | None = None, request_id: str | None = None) -> Rejected:
    return Rejected(error_frame(code, message, path=path, request_id=request_id), ERROR_STATUS[code])


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int:
    """A validated JSON integer (1.0 included) as int."""
    return int(value) if isinstance(value, (int, float)) else 0
