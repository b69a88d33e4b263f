"""Client frames from text (S2, S5, L1): the size, the JSON, then the contract's validator, and the
frames of a POST body (L2: at most ``max_frames_per_post``, each measured). Every refusal is a
typed protocol.error with the HTTP status that fits it; client text in it is cut short and a
request_id is echoed only when it is one. Nothing here raises, whatever the input. A port of
runtime/server/frame-parser.ts."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ..frames import ErrorCode, Frame, clip, error_frame
from ..json_text import TOO_DEEP, JsonSyntaxError, dumps, loads, loads_array, utf8_length
from ..validation import Invalid, Validator, describe_issues

#: A client frame after parsing and validation (``header.session_id`` is present).
ClientFrame = Mapping[str, object]

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
    "overloaded": 429,
    "cseq_gap": 409,
    "unauthorized": 401,
    "forbidden": 403,
    "window_exceeded": 410,
    "invalid_cursor": 400,
}


@dataclass(frozen=True, slots=True)
class Parsed:
    frame: ClientFrame
    #: UTF-8 bytes of the frame's text (what it counts against the inbound limit, L2).
    bytes: int = 0
    ok: Literal[True] = True


@dataclass(frozen=True, slots=True)
class Rejected:
    frame: Frame
    status: int
    ok: Literal[False] = False


@dataclass(frozen=True, slots=True)
class Batch:
    """The frames of a POST body, each parsed or refused on its own."""

    items: Sequence[Parsed | Rejected]


def refusal(code: ErrorCode, message: str, *, path: str | None = None, request_id: str | None = None, status: int | None = None) -> Rejected:
    """A typed refusal with the status of its code (or the one given)."""
    return Rejected(error_frame(code, message, path=path, request_id=request_id), status if status is not None else ERROR_STATUS[code])


#: A request_id is echoed only when it is one (the kernel's RequestId): never arbitrary client text.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}\Z")


class FrameParser:
    def __init__(self, max_frame_bytes: int, validate_client: Validator[ClientFrame], max_frames_per_post: int) -> None:
        self._max = max_frame_bytes
        self._validate = validate_client
        self._max_frames = max_frames_per_post

    def _too_large(self, size: int) -> Rejected:
        return refusal("frame_too_large", f"a frame of {size} bytes exceeds the limit of {self._max}")

    def check(self, value: object, size: int) -> Parsed | Rejected:
        """Validates a parsed client frame."""
        header = value.get("header") if isinstance(value, dict) else None
        raw_id = header.get("request_id") if isinstance(header, dict) else None
        rid = raw_id if isinstance(raw_id, str) and _REQUEST_ID.match(raw_id) else None
        try:
            result = self._validate(value)
        except RecursionError:
            # A schema that recurses (a tree) met a value nested past the stack: refused, not raised.
            return refusal("invalid_message", "the frame is nested too deeply to validate", request_id=rid)
        if not isinstance(result, Invalid):
            return Parsed(result.value, size)
        first = result.issues[0]
        path = clip(first.path, 200)
        if first.keyword == "unknown-type":
            return refusal("unknown_type", clip(first.message, 200), path=path, request_id=rid)
        if first.keyword == "not-a-message":
            return refusal("malformed_frame", f"{path or '/'} {clip(first.message, 200)}", path=path, request_id=rid)
        what = clip(result.type) if result.type is not None else "the frame"
        if first.path == "/header/session_id" and first.keyword == "required":
            return refusal("session_required", f"{what} has no header.session_id; every client frame names its session (S5)", path=path, request_id=rid)
        if first.path == "/header" and first.keyword == "required":
            return refusal("session_required", f"{what} has no header; every client frame carries header.session_id (S5)", path=path, request_id=rid)
        return refusal("invalid_message", clip(describe_issues(result), 1000), path=path, request_id=rid)

    def parse(self, text: str) -> Parsed | Rejected:
        """One frame of text."""
        size = utf8_length(text)
        if size > self._max:
            return self._too_large(size)
        try:
            value = loads(text)
        except JsonSyntaxError as error:
            return refusal("malformed_frame", f"the frame is not valid JSON ({clip(str(error), 120)})")
        return self.check(value, size)

    def _item(self, value: object) -> Parsed | Rejected:
        """An item of a JSON array, measured by its JSON."""
        if value is TOO_DEEP:
            return refusal("malformed_frame", "the frame is nested too deeply")
        try:
            size = utf8_length(dumps(value))
        except RecursionError:
            return refusal("malformed_frame", "the frame is nested too deeply")
        if size > self._max:
            return self._too_large(size)
        return self.check(value, size)

    def batch(self, text: str) -> Batch | Rejected:
        """A POST body: one frame, or a JSON array of at most ``max_frames_per_post``; else one
        refusal for the whole body."""
        if not text.lstrip(" \t\n\r").startswith("["):
            return Batch([self.parse(text)])
        try:
            value = loads_array(text)
        except JsonSyntaxError as error:
            return refusal("malformed_frame", f"the body is not valid JSON ({clip(str(error), 120)})")
        if len(value) > self._max_frames:
            return refusal("overloaded", f"a POST carries at most {self._max_frames} frames, this one {len(value)}; send them in smaller batches", status=413)
        return Batch([self._item(v) for v in value])
