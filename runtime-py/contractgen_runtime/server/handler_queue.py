"""The application's work for each session (L2, C4): handlers and hooks run one after another in
arrival order, a failure answered with ``handler_failed`` naming the frame and never stopping the
queue, and the bytes of queued client frames counted until their handler has run. A port of
runtime/server/handler-queue.ts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from ..frames import Frame, clip, error_frame
from .core_types import Attachment, FrameRef, Session


class HandlerQueue:
    """One queue per session (the session keeps it), and the inbound bytes of all of them (L2)."""

    def __init__(
        self,
        max_inbound_bytes: int,
        send_control: Callable[[Attachment, Frame], None],
        report: Callable[[BaseException, str | None, str | None], None],
    ) -> None:
        self._max_inbound_bytes = max_inbound_bytes
        self._send_control = send_control
        self._report = report
        #: L2: bytes of client frames queued for, or running in, the handlers, over every session.
        self.inbound_total = 0

    def run(self, session: Session, type_: str, fn: Callable[[], Awaitable[None] | None], size: int = 0, about: FrameRef = FrameRef()) -> None:
        """Queues application code for a session; it runs after everything queued before it.
        ``size`` bytes of the client frame count against the session's inbound limit until it has
        run (L2); when they fall to half of it, the attachment is told it may read again. ``about``
        names the frame in a ``handler_failed`` answer."""
        session._queue.append((type_, fn, size, about))
        session.inbound += size
        self.inbound_total += size
        if session._worker is None or session._worker.done():
            session._worker = asyncio.ensure_future(self._drain(session))

    async def _drain(self, session: Session) -> None:
        while session._queue:
            type_, fn, size, about = session._queue.popleft()
            try:
                result = fn()
                if result is not None:
                    await result
            except Exception as error:
                self._report(error, session.id, type_)
                a = session.attachment
                if a is not None:
                    try:
                        which = f" (cseq {about.cseq})" if about.cseq is not None else ""
                        message = f"the server failed to handle {clip(type_)}{which}; it is not handled again, and the session is intact"
                        self._send_control(a, error_frame("handler_failed", message, session_id=session.id, request_id=about.request_id, cseq=about.cseq))
                    except Exception as failure:  # never a dead queue
                        self._report(failure, session.id, type_)
            finally:
                if size:
                    session.inbound -= size
                    self.inbound_total -= size
                    a = session.attachment
                    if a is not None and session.inbound <= self._max_inbound_bytes / 2:
                        try:
                            a.inbound_drained()
                        except Exception as error:
                            self._report(error, session.id, "inbound drained")
