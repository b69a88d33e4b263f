"""R3: the replay window of one session, bounded by message count and bytes.

Seqs in the ring are contiguous (Q2 gap-free, released only from the oldest end), so finding a
seq is index arithmetic: O(1), as is appending. Frames live in a list with a moving head that is
compacted when half of it is dead, so reads are slices (O(k)) and idle sessions hold nothing.
"""

from __future__ import annotations


class ReplayRing:
    __slots__ = ("max_messages", "max_bytes", "_frames", "_sizes", "_head", "bytes", "latest_seq")

    def __init__(self, max_messages: int, max_bytes: int) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self._frames: list[str] = []
        self._sizes: list[int] = []
        self._head = 0
        #: Bytes of the frames held.
        self.bytes = 0
        #: Seq of the newest frame ever pushed (0 before the first).
        self.latest_seq = 0

    @property
    def size(self) -> int:
        return len(self._frames) - self._head

    @property
    def earliest_seq(self) -> int:
        """Seq of the oldest frame held, or latest_seq + 1 when empty."""
        return self.latest_seq - self.size + 1

    def _drop_oldest(self) -> None:
        self.bytes -= self._sizes[self._head]
        self._head += 1
        if self._head > 32 and self._head * 2 > len(self._frames):
            del self._frames[: self._head]
            del self._sizes[: self._head]
            self._head = 0

    def push(self, seq: int, frame: str, frame_bytes: int) -> None:
        """Adds the frame for seq latest_seq + 1, evicting the oldest frames to stay within bounds."""
        if seq != self.latest_seq + 1:
            raise ValueError(f"replay ring: seq {seq} pushed after {self.latest_seq}; seqs must be gap-free")
        while self.size > 0 and (self.size >= self.max_messages or self.bytes + frame_bytes > self.max_bytes):
            self._drop_oldest()
        self._frames.append(frame)
        self._sizes.append(frame_bytes)
        self.bytes += frame_bytes
        self.latest_seq = seq

    def get(self, seq: int) -> str | None:
        offset = seq - self.earliest_seq
        return self._frames[self._head + offset] if 0 <= offset < self.size else None

    def frames_after(self, after_seq: int) -> list[str]:
        """Frames with seq > after_seq, oldest first. Caller checks after_seq >= earliest_seq - 1."""
        start = max(after_seq + 1, self.earliest_seq) - self.earliest_seq
        return self._frames[self._head + start :]

    def release(self, upto_seq: int) -> None:
        """Q5: drops every frame with seq <= upto_seq."""
        while self.size > 0 and self.earliest_seq <= upto_seq:
            self._drop_oldest()
