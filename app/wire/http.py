"""HTTP/1.1 messages as a client meets them (RFC 9112): the request it sends, the response
head it reads, and the reader of the body after that head.

One request builder serves every hand-made request (`raw`, `diagnose`, the benchmark's
load generator). The body is read by one reader per framing, picked from a table by the
head, as h11 does: chunked coding, a Content-Length, or the connection's close. Every
reader gives the body's parts as they crossed the wire (a body without chunked coding is
all data), so a caller can show them (`raw`) or count them (`diagnose`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

from .chunked import ChunkDecoder, Part, PartKind
from .errors import WireError

__all__ = [
    "MAX_HEAD_BYTES",
    "READERS",
    "BodyFraming",
    "BodyReader",
    "CloseDelimitedReader",
    "ContentLengthReader",
    "Head",
    "body_framing",
    "body_reader",
    "encode_request",
    "parse_head",
    "request_target",
]

#: A response head longer than this is not one a stream would send.
MAX_HEAD_BYTES = 64 * 1024
_HEAD_END = b"\r\n\r\n"
#: Bytes that would end a field (or the head) early: a request built with one is refused.
_BREAKS = ("\r", "\n", "\0")


def request_target(url: str) -> tuple[str, str]:
    """(Host field, request target) of a URL: its host and port without user info, and
    its path (`/` when it has none) and query."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.netloc.rpartition("@")[2], target


def encode_request(
    method: str, target: str, host: str, headers: Iterable[tuple[str, str]] = (), body: bytes | None = None
) -> bytes:
    """An HTTP/1.1 request: its head (fields in the order given, a Content-Length added for
    a body without one) and its body. ValueError for a line break in any part of the head."""
    fields = [("Host", host), *headers]
    if body is not None and not any(name.lower() == "content-length" for name, _ in fields):
        fields.append(("Content-Length", str(len(body))))
    lines = [f"{method} {target} HTTP/1.1", *(f"{name}: {value}" for name, value in fields)]
    if any(bad in line for line in lines for bad in _BREAKS):
        raise ValueError("a line break or NUL in a request's method, target or field would end it early")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


@dataclass(frozen=True)
class Head:
    """A response's status line and headers (names lower-cased; a field sent more than once
    has its values joined with ", ", as HTTP reads a list)."""

    status: int
    reason: str
    headers: dict[str, str]
    raw: bytes

    @property
    def version(self) -> str:
        """`HTTP/1.1` or `HTTP/1.0`, as the status line says."""
        return self.raw.split(b" ", 1)[0].decode("latin-1")

    @property
    def chunked(self) -> bool:
        return "chunked" in self.headers.get("transfer-encoding", "").lower()

    @property
    def content_length(self) -> int | None:
        # A length sent twice reads "N, N": one length, as long as the copies agree.
        values = {part.strip() for part in self.headers.get("content-length", "").split(",")}
        value = values.pop() if len(values) == 1 else ""
        return int(value) if value.isascii() and value.isdigit() else None


def parse_head(buffer: bytes) -> tuple[Head, bytes] | None:
    """The head and what follows it, or None while its blank line has not arrived.
    WireError for a status line that is not HTTP/1.x, or no end in MAX_HEAD_BYTES."""
    end = buffer.find(_HEAD_END)
    if end < 0:
        if len(buffer) > MAX_HEAD_BYTES:
            raise WireError(f"no end to the response head in its first {MAX_HEAD_BYTES} bytes")
        return None
    raw, rest = buffer[: end + 4], buffer[end + 4 :]
    status_line, *lines = raw[:end].decode("latin-1").split("\r\n")
    version, _, status_reason = status_line.partition(" ")
    status, _, reason = status_reason.partition(" ")
    if not version.startswith("HTTP/1.") or not (status.isascii() and status.isdigit()):
        raise WireError(f"not an HTTP/1.1 status line: {status_line[:80]!r}")
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            continue
        key, value = name.strip().lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return Head(int(status), reason, headers, raw), rest


class BodyReader(Protocol):
    """A body's framing undone read by read (h11's readers): its parts as they crossed the wire."""

    #: The framing says the body is whole; what follows is not the body's.
    done: bool
    #: Only the connection's close ends this body.
    delimited_by_close: bool

    def feed(self, data: bytes) -> list[Part]:
        """The parts completed by `data`; WireError on framing that cannot be followed."""
        ...


class ContentLengthReader:
    """A body of a length the head announced (0: no body at all)."""

    delimited_by_close = False

    def __init__(self, length: int) -> None:
        self.remaining = length
        self.done = length == 0

    def feed(self, data: bytes) -> list[Part]:
        taken = data[: self.remaining]
        self.remaining -= len(taken)
        self.done = self.remaining == 0
        return [Part(PartKind.DATA, taken, len(taken))] if taken else []


class CloseDelimitedReader:
    """A body without a length or chunked coding (HTTP/1.0's way): it ends with the connection."""

    delimited_by_close = True
    done = False

    def feed(self, data: bytes) -> list[Part]:
        return [Part(PartKind.DATA, data, len(data))] if data else []


class BodyFraming(StrEnum):
    """How a response's body ends."""

    CHUNKED = "chunked"
    LENGTH = "content-length"
    CLOSE = "close"


def body_framing(head: Head, method: str = "GET") -> tuple[BodyFraming, int]:
    """The body's framing and length (RFC 9112, section 6.3): none after a HEAD, a 1xx, a
    204 or a 304; then chunked coding, then a Content-Length, else the connection's close."""
    if method == "HEAD" or head.status < 200 or head.status in (204, 304):
        return BodyFraming.LENGTH, 0
    if head.chunked:
        return BodyFraming.CHUNKED, 0
    length = head.content_length
    return (BodyFraming.CLOSE, 0) if length is None else (BodyFraming.LENGTH, length)


READERS: dict[BodyFraming, Callable[[int], BodyReader]] = {
    BodyFraming.CHUNKED: lambda _: ChunkDecoder(),
    BodyFraming.LENGTH: ContentLengthReader,
    BodyFraming.CLOSE: lambda _: CloseDelimitedReader(),
}


def body_reader(head: Head, method: str = "GET") -> BodyReader:
    """The reader of the body that follows `head`, the answer to a `method` request."""
    framing, length = body_framing(head, method)
    return READERS[framing](length)
