"""A response body taken apart as it arrives, pure: its framing undone (chunked, a length, or
the connection's close), its Content-Encoding undone, and its messages counted (SSE events,
NDJSON lines), one read at a time. Every step is a codec of `wire`."""

from __future__ import annotations

from dataclasses import dataclass

from ...wire.chunked import PartKind
from ...wire.coding import MAX_DECODED, ContentDecoder
from ...wire.http import Head, body_reader
from ...wire.lines import LineCounter
from ...wire.sse import MAX_EVENT, SSEParser


class MessageCounter:
    """Counts the messages a decoded body completes: SSE events, or else its lines (NDJSON's
    records, and the lines most text streams are made of; blank lines are not messages). A
    body without a line break has no messages to count: it is read as bytes."""

    def __init__(self, content_type: str, max_message: int | None = MAX_EVENT) -> None:
        kind = content_type.split(";", 1)[0].strip().lower()
        sse = kind == "text/event-stream"
        self._sse = SSEParser(max_line=max_message, max_event=max_message) if sse else None
        # Counted, not kept: a body without line breaks costs no memory here.
        self._lines = LineCounter(skip_blank=True)

    @property
    def lines(self) -> int:
        return self._lines.messages

    @property
    def reading(self) -> str:
        return "events" if self._sse else "lines" if self.lines else "bytes"

    def feed(self, data: bytes) -> int:
        if self._sse is not None:
            return len(self._sse.feed(data))
        return self._lines.feed(data)

    def close(self) -> int:
        """The last line, when the body ends without a line break after it."""
        if self._sse is not None or not self.lines:
            return 0
        return self._lines.close()


@dataclass(frozen=True)
class Piece:
    """What one read of the body gave: how many bytes it decoded to, and the messages it completed."""

    decoded: int
    messages: int


class BodyReading:
    """One response body, followed read by read until its framing says it is whole. Its
    bounds are its codecs': what it may decode to, the longest line or SSE event it holds."""

    def __init__(
        self,
        head: Head,
        method: str = "GET",
        max_decoded: int | None = MAX_DECODED,
        max_message: int | None = MAX_EVENT,
    ) -> None:
        self._framing = body_reader(head, method)
        self._decoder = ContentDecoder(head.headers.get("content-encoding", ""), max_decoded)
        self.counter = MessageCounter(head.headers.get("content-type", ""), max_message)
        self.chunk_count = 0
        self.framing_bytes = 0

    @property
    def done(self) -> bool:
        return self._framing.done

    @property
    def delimited_by_close(self) -> bool:
        return self._framing.delimited_by_close

    def feed(self, data: bytes) -> Piece:
        """Raises WireError on framing or encoding that cannot be followed, TooLarge past a bound.

        What the read decodes to is counted a step (INFLATE_STEP) at a time and let go: a
        read of a gzip bomb costs a step of memory, not the bound's worth."""
        if self.done:
            return Piece(0, 0)  # what follows a whole body is not the body's
        decoded = messages = 0
        for step in self._decoder.steps(self._unframe(data)):
            decoded, messages = decoded + len(step), messages + self.counter.feed(step)
        if not self.done:
            return Piece(decoded, messages)
        last = self._end()
        return Piece(decoded + last.decoded, messages + last.messages)

    def finish(self) -> Piece:
        """The connection closed: whatever the decoder and the counter still hold."""
        return Piece(0, 0) if self.done else self._end()

    def _end(self) -> Piece:
        decoded = self._decoder.flush()
        return Piece(len(decoded), self.counter.feed(decoded) + self.counter.close())

    def _unframe(self, data: bytes) -> bytes:
        payload = bytearray()
        for part in self._framing.feed(data):
            if part.kind is PartKind.DATA:
                payload += part.raw
            else:
                self.framing_bytes += len(part.raw)
                self.chunk_count += part.kind is PartKind.SIZE
        return bytes(payload)


__all__ = ["BodyReading", "MessageCounter", "Piece"]
