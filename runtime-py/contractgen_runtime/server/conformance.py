"""Conformance mode, for ``contractgen probe``: a server created with ``conformance=True`` answers
the spec's conformance trigger (x-contract.conformance) by emitting ``produces`` data messages on
the triggering session, so that a probe can check sequencing, resume and the replay window
without knowing the application. When the trigger declares a reply (C4), the last of them is that
reply, naming the trigger's cseq, as a handler's returned reply would be. The payloads are the spec's own data-message examples, taken in
turn, sent through the one send path (Q3). Off by default; a frame of the trigger's type with any
other payload still goes to the application's handler."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from ..contract import ConformanceDescriptor
from ..json_text import json_equal


class ConformanceResponder:
    def __init__(self, descriptor: ConformanceDescriptor) -> None:
        if not descriptor.samples:
            raise ValueError("contractgen runtime: conformance mode needs an example of a server-to-client data message in the spec to emit")
        self._d = descriptor

    def matches(self, type_: str, payload: object) -> bool:
        """Whether a frame is the trigger: its type, and a payload equal to the spec's."""
        return type_ == self._d.trigger_type and json_equal(payload, self._d.trigger_payload)

    async def answer(self, send: Callable[[str, object, int | None], Awaitable[int]], cseq: int | None) -> None:
        """Emits ``produces`` data messages through ``send``, in order (issued without waiting:
        the store assigns seqs in call order, as for any handler); the reply, when declared, last
        and naming ``cseq``."""
        samples, reply = self._d.samples, self._d.reply
        emitted = self._d.produces - 1 if reply is not None else self._d.produces
        sent = [send(samples[i % len(samples)].type, samples[i % len(samples)].payload, None) for i in range(emitted)]
        if reply is not None:
            sent.append(send(reply.type, reply.payload, cseq))
        await asyncio.gather(*sent)
