"""POST endpoint for client frames on SSE and poll (which have no upstream channel). The body is
one frame or a JSON array of frames; ``Resume-Token: <resume_token>`` proves the session
named by each frame's header.session_id (S3: the id alone is not a capability)."""

from __future__ import annotations

from typing import Any

from ...frames import error_frame
from ..server_core import FromPost, ServerCore
from .http_util import BodyTooLargeError, ClientGone, Query, Scope, resume_token, method_not_allowed, read_body, send_json

#: A POST may batch frames; the body limit leaves room for a batch of full-size frames.
BATCH = 16


class MessagesEndpoint:
    def __init__(self, core: ServerCore, path: str) -> None:
        self.core = core
        self.path = path
        self.limit = core.contract.max_frame_bytes * BATCH

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope.get("method") != "POST":
            await method_not_allowed(send, "POST")
            return
        try:
            body = await read_body(receive, self.limit)
        except BodyTooLargeError as error:
            frame = error_frame("frame_too_large", f"{error}; frames are limited to {self.core.contract.max_frame_bytes} bytes, batches to {BATCH}")
            await send_json(send, 413, {"accepted": 0, "frames": [frame]}, {"connection": "close"})
            return
        except ClientGone:
            return
        text = body.decode("utf-8", "replace")
        outcome = await self.core.receive(text, FromPost(resume_token(scope, Query(scope.get("query_string", b"")))))
        status = 202 if not outcome.errors else outcome.status
        await send_json(send, status, {"accepted": outcome.accepted, "frames": list(outcome.errors)})
