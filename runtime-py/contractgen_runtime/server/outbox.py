"""Q3: the one way a data message reaches a transport. ``append`` validates the payload, checks
its size, and hands the frame to the session store, which stamps ``header.seq`` atomically
(1-based, gap-free, per session), keeps it in the replay window and delivers it. A payload that
fails validation or is too large raises at once and never consumes a seq; a frame the store
could not keep makes the returned awaitable raise (and is reported): it was not sent."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator, Mapping
from typing import Literal

from ..json_text import dumps
from ..validation import Invalid, Validator, describe_issues
from .store import FrameParts, SessionStore, frame_parts

#: Enough digits for any safe integer seq.
SEQ_DIGITS = 16


class OutboundRejectedError(Exception):
    """Raised to the application code that tried to emit a frame the contract does not allow."""

    def __init__(self, code: Literal["invalid_message", "frame_too_large", "not_a_data_message"], message: str) -> None:
        super().__init__(message)
        self.code = code


class Sent:
    """The seq of a frame the store stamped at once (awaiting it returns the seq, or raises)."""

    __slots__ = ("seq", "error")

    def __init__(self, seq: int, error: BaseException | None = None) -> None:
        self.seq = seq
        self.error = error

    def __await__(self) -> Generator[None, None, int]:
        if self.error is not None:
            raise self.error
        return self.seq
        yield  # pragma: no cover  (makes this a generator)


StoreErrorHook = Callable[[BaseException, str, str], None]


class Outbox:
    def __init__(self, store: SessionStore, max_frame_bytes: int, validators: Mapping[str, Validator[object]], on_store_error: StoreErrorHook | None = None) -> None:
        self._store = store
        self._max = max_frame_bytes
        self._validators = validators
        self._on_store_error = on_store_error

    def check(self, type_: str, payload: object, *, any_session: bool = False) -> str:
        """Validates a data message as ``append`` does, without sending it, and gives its payload's
        JSON (fan-out checks once, before listing sessions). With ``any_session`` a frame too large
        even without its session id is refused too. Raises OutboundRejectedError."""
        validate = self._validators.get(type_)
        if validate is None:
            raise OutboundRejectedError("not_a_data_message", f'"{type_}" is not a server-to-client data message of this contract')
        result = validate(payload)
        if isinstance(result, Invalid):
            raise OutboundRejectedError("invalid_message", f"refused to send an invalid {type_}: {describe_issues(result)}")
        payload_json = dumps(payload)
        if any_session:
            self._bound(type_, frame_parts(type_, "", payload_json))
        return payload_json

    def append(self, session_id: str, type_: str, payload: object, cseq: int | None = None) -> Awaitable[int]:
        """Validates, stamps, stores and delivers one data message; the awaitable gives its seq.
        Called without awaiting, the message is still stamped now, in call order. ``cseq`` names
        the client frame it is the reply to (C4)."""
        return self.append_checked(session_id, type_, self.check(type_, payload), cseq)

    def append_checked(self, session_id: str, type_: str, payload_json: str, cseq: int | None = None) -> Awaitable[int]:
        """``append`` of a payload ``check`` passed (given as the JSON it returned): the same size
        bound, stamp, store and delivery, without validating again."""
        parts = frame_parts(type_, session_id, payload_json, cseq)
        self._bound(type_, parts)
        try:
            appended = self._store.append(session_id, parts)
        except Exception as error:
            self._report(error, session_id, type_)
            return Sent(0, error)
        if isinstance(appended, int):
            return Sent(appended)
        # Reported even when nobody awaits it; an awaiting caller still sees the exception.
        task = asyncio.ensure_future(appended)
        task.add_done_callback(lambda t: self._done(t, session_id, type_))
        return task

    def _bound(self, type_: str, parts: FrameParts) -> None:
        if parts.bytes + SEQ_DIGITS > self._max:
            raise OutboundRejectedError("frame_too_large", f"refused to send a {type_} of about {parts.bytes} bytes; the contract allows {self._max}")

    def _done(self, task: asyncio.Future[int], session_id: str, type_: str) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._report(task.exception(), session_id, type_)  # type: ignore[arg-type]

    def _report(self, error: BaseException, session_id: str, type_: str) -> None:
        if self._on_store_error is not None:
            self._on_store_error(error, session_id, type_)
