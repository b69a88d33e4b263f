"""POST endpoint for client frames on SSE and poll (which have no upstream channel). The body is
one frame or a JSON array of at most ``max_frames_per_post`` frames; ``Resume-Token:
<resume_token>`` proves the session (S3: the id alone is not a capability). A port of
runtime/server/transports/messages.ts.

L4: the token is looked for before the body is read, and when the query names the session
(``?session_id=``, as the generated client sends it) the session is authenticated before the
body is read too; otherwise the frames name it and it is authenticated once, before any frame is
handled or answered. A refusal is one frame, never one per frame of a batch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...frames import error_frame
from ..server_core import FromPost, InboundOutcome, Refused, ServerCore
from ..auth import Gate, GateRefusal
from ..session_limiter import ClientKey, address_key
from .http_util import BodyTooLargeError, ClientGone, Query, Scope, resume_token, method_not_allowed, read_body, retry_after, send_json


class MessagesEndpoint:
    def __init__(self, core: ServerCore, path: str, client_key: ClientKey = address_key, gate: Gate | None = None) -> None:
        self.core = core
        self.path = path
        self.client_key = client_key
        #: A1: who each request is, before anything else.
        self.gate = gate or Gate(client_key=client_key)
        # A POST may batch frames; the body limit leaves room for a batch of full-size frames.
        self.limit = core.contract.max_frame_bytes * core.limits.max_frames_per_post

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope.get("method") != "POST":
            await method_not_allowed(send, "POST")
            return
        query = Query(scope.get("query_string", b""))
        # Answered before the body is read: the connection closes, so the unread body goes with it.
        close = {"connection": "close"}
        # A1/L4: who it is, before the body is read; A3: a refusal is 401 / 403 with its typed frame.
        who = await self.gate.check(scope, "messages")
        if isinstance(who, GateRefusal):
            await _answer(send, InboundOutcome(0, [error_frame(who.code, who.message)], who.status), close)
            return
        token = resume_token(scope, query)
        key = who.client_key
        if token is None:
            await _answer(send, await self.core.receive("", FromPost(None, key)), close)
            return
        session_id = query.get("session_id")
        session = None
        if session_id is not None:
            auth = await self.core.authenticate(session_id, token, key, who.owner, who.principal)
            if isinstance(auth, Refused):
                await _answer(send, InboundOutcome(0, [auth.frame], auth.status), {**close, **retry_after(auth.retry_after_s)})
                return
            session = auth.session
        try:
            body = await read_body(receive, self.limit)
        except BodyTooLargeError as error:
            c = self.core
            frame = error_frame("frame_too_large", f"{error}; frames are limited to {c.contract.max_frame_bytes} bytes, batches to {c.limits.max_frames_per_post}")
            await send_json(send, 413, {"accepted": 0, "frames": [frame]}, close)
            return
        except ClientGone:
            return
        outcome = await self.core.receive(body.decode("utf-8", "replace"), FromPost(token, key, session, who.owner, who.principal))
        await _answer(send, outcome, {"retry-after": "1"} if outcome.status == 429 else {})


async def _answer(send: Any, outcome: InboundOutcome, headers: Mapping[str, str]) -> None:
    status = 202 if not outcome.errors else outcome.status
    body: dict[str, object] = {"accepted": outcome.accepted, "frames": list(outcome.errors)}
    if outcome.acked is not None:
        body["acked"] = outcome.acked  # C2: the highest cseq of the session accepted
    await send_json(send, status, body, headers)
