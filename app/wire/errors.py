"""What every decoder raises for bytes that are not the format they should be, or that go
past one of its size bounds."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Limit", "TooLarge", "WireError", "byte_size"]


class WireError(ValueError):
    """The bytes are not valid framing of their wire format (an HTTP head, chunked coding,
    a WebSocket frame, a content coding), or go past one of its bounds."""


class Limit(StrEnum):
    """A size bound a decoder keeps, so that no input makes it hold more."""

    BODY = "body"  # the bytes of a response read from the wire (a reader's own bound)
    DECODED = "decoded body"  # what a Content-Encoding inflates to, over the whole body
    LINE = "line"  # a line (SSE field, text or NDJSON line) before its end came
    EVENT = "event"  # an SSE event's data before the blank line that dispatches it
    MESSAGE = "message"  # a chunk read as one message, before its end came


class TooLarge(WireError):
    """The input went past one of the decoder's size bounds: `limit` says which, `size`
    what it was set to. Raised before more than one bounded step past it is held."""

    def __init__(self, limit: Limit, size: int) -> None:
        super().__init__(f"{limit.value} over {byte_size(size)}")
        self.limit, self.size = limit, size


def byte_size(size: int) -> str:
    """`64 MiB`, `4 KiB`, or `1000 bytes`: a bound as a person would set it."""
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size} bytes"
