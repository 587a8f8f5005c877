"""A response body taken apart as it arrives, pure: its framing undone (chunked, a length, or
the connection's close), its Content-Encoding undone, and its messages counted (SSE events,
NDJSON lines), one read at a time."""

from __future__ import annotations

from dataclasses import dataclass

from ..parsers import SSEParser
from ..wire import BodyDecoder, ChunkDecoder, Head, PartKind, WireError


class MessageCounter:
    """Counts the messages a decoded body completes: SSE events, or else its lines (NDJSON's
    records, and the lines most text streams are made of). A body without a line break has
    no messages to count: it is read as bytes."""

    def __init__(self, content_type: str) -> None:
        kind = content_type.split(";", 1)[0].strip().lower()
        self._sse = SSEParser() if kind == "text/event-stream" else None
        self.lines = 0
        #: The line being read has something besides white space (blank lines are not messages).
        self._open = False

    @property
    def reading(self) -> str:
        return "events" if self._sse else "lines" if self.lines else "bytes"

    def feed(self, data: bytes) -> int:
        if self._sse is not None:
            return len(self._sse.feed(data))
        # Counted, not kept: a body without line breaks costs no memory here.
        *ended, rest = data.split(b"\n")
        counted = 0
        for line in ended:
            counted += self._open or bool(line.strip())
            self._open = False
        self._open = self._open or bool(rest.strip())
        self.lines += counted
        return counted

    def close(self) -> int:
        """The last line, when the body ends without a line break after it."""
        if self._sse is not None or not self.lines or not self._open:
            return 0
        self._open = False
        self.lines += 1
        return 1


@dataclass(frozen=True)
class Piece:
    """What one read of the body gave: its decoded bytes and the messages it completed."""

    decoded: bytes
    messages: int


class BodyReading:
    """One response body, followed read by read until its framing says it is whole."""

    def __init__(self, head: Head, no_body: bool = False) -> None:
        self.chunked = head.chunked
        self.remaining = None if self.chunked else head.content_length
        self.done = no_body or self.remaining == 0
        self._chunks = ChunkDecoder()
        self._decoder = BodyDecoder(head.headers.get("content-encoding", ""))
        self.counter = MessageCounter(head.headers.get("content-type", ""))
        self.chunk_count = 0
        self.framing_bytes = 0

    @property
    def delimited_by_close(self) -> bool:
        return not self.chunked and self.remaining is None

    def feed(self, data: bytes) -> Piece:
        """Raises WireError on framing or encoding that cannot be followed."""
        if self.done:
            return Piece(b"", 0)  # what follows a whole body is not the body's
        payload = self._unframe(data)
        decoded = self._decoder.feed(payload)
        if self.done:
            decoded += self._decoder.flush()
        messages = self.counter.feed(decoded) + (self.counter.close() if self.done else 0)
        return Piece(decoded, messages)

    def finish(self) -> Piece:
        """The connection closed: whatever the decoder and the counter still hold."""
        if self.done:
            return Piece(b"", 0)
        decoded = self._decoder.flush()
        return Piece(decoded, self.counter.feed(decoded) + self.counter.close())

    def _unframe(self, data: bytes) -> bytes:
        if self.chunked:
            return self._dechunk(data)
        if self.remaining is None:
            return data
        taken = data[: self.remaining]
        self.remaining -= len(taken)
        self.done = self.remaining == 0
        return taken

    def _dechunk(self, data: bytes) -> bytes:
        payload = bytearray()
        for part in self._chunks.feed(data):
            if part.kind is PartKind.DATA:
                payload += part.raw
            else:
                self.framing_bytes += len(part.raw)
                self.chunk_count += part.kind is PartKind.SIZE
        self.done = self._chunks.done
        return bytes(payload)


__all__ = ["BodyReading", "MessageCounter", "Piece", "WireError"]
