"""Conformance mode, for ``contractgen probe``: a server created with ``conformance=True`` answers
the spec's conformance trigger (x-contract.conformance) by emitting ``produces`` data messages on
the triggering session, so that a probe can check sequencing, resume and the replay window
without knowing the application. The payloads are the spec's own data-message examples, taken in
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

    async def answer(self, send: Callable[[str, object], Awaitable[int]]) -> None:
        """Emits ``produces`` data messages through ``send``, in order (issued without waiting:
        the store assigns seqs in call order, as for any handler)."""
        samples = self._d.samples
        sent = [send(samples[i % len(samples)].type, samples[i % len(samples)].payload) for i in range(self._d.produces)]
        await asyncio.gather(*sent)
