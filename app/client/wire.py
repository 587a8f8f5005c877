"""Pure HTTP/1.1 and WebSocket wire arithmetic: response heads, chunk framing, frame headers.

`ChunkDecoder` splits a chunked body into the pieces a user should see on the wire (the
hex size line, the data, the CRLF after it), fed one read at a time; the size functions
say how many framing bytes a message costs on each transport. `BodyDecoder` undoes a
Content-Encoding (gzip) one read at a time, so a reader counts the compressed bytes that
crossed the wire and still parses the decoded ones.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "LAST_CHUNK_BYTES",
    "BodyDecoder",
    "ChunkDecoder",
    "ChunkPart",
    "Head",
    "PartKind",
    "WireError",
    "chunk_framing_bytes",
    "escape_bytes",
    "parse_head",
    "ws_frame_header_bytes",
]

#: `0\r\n\r\n`: the last chunk and the end of an empty trailer.
LAST_CHUNK_BYTES = 5
#: A size line longer than this is not HTTP a server of ours would send.
MAX_SIZE_LINE = 1024


class WireError(ValueError):
    """The bytes are not valid HTTP/1.1 framing."""


def chunk_framing_bytes(size: int) -> int:
    """Bytes chunked encoding adds around `size` bytes of data: `<hex>\\r\\n` and `\\r\\n`."""
    return len(f"{size:x}") + 4


def ws_frame_header_bytes(payload: int, masked: bool = False) -> int:
    """RFC 6455 frame header size: 2 bytes, +2 or +8 for the extended length, +4 masked."""
    extended = 0 if payload < 126 else 2 if payload < 65536 else 8
    return 2 + extended + (4 if masked else 0)


def escape_bytes(data: bytes, limit: int = 0) -> str:
    """Bytes as one printable line: `\\r`, `\\n`, `\\t` and `\\xNN` spelled out.

    With `limit`, data longer than that shows its start, then how many bytes were left out.
    """
    shown = data[:limit] if limit and len(data) > limit else data
    text = shown.decode("ascii", errors="backslashreplace")
    text = "".join(_ESCAPES.get(char, char) for char in text)
    if len(shown) < len(data):
        text += f"... (+{len(data) - len(shown)} bytes)"
    return text


_ESCAPES = {"\r": "\\r", "\n": "\\n", "\t": "\\t"} | {
    chr(c): f"\\x{c:02x}" for c in (*range(32), 127) if c not in (9, 10, 13)
}


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
        return int(value) if value.isdigit() else None


def parse_head(buffer: bytes) -> tuple[Head, bytes] | None:
    """The head and what follows it, or None while the blank line has not arrived."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    raw, rest = buffer[: end + 4], buffer[end + 4 :]
    status_line, *lines = raw[:end].decode("latin-1").split("\r\n")
    version, _, status_reason = status_line.partition(" ")
    status, _, reason = status_reason.partition(" ")
    if not version.startswith("HTTP/1.") or not status.isdigit():
        raise WireError(f"not an HTTP/1.1 status line: {status_line[:80]!r}")
    headers: dict[str, str] = {}
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            continue
        key, value = name.strip().lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return Head(int(status), reason, headers, raw), rest


class PartKind(StrEnum):
    SIZE = "size"  # `<hex>\r\n`: the chunk's length
    DATA = "data"  # the chunk's bytes (a long chunk may come in several parts)
    END = "end"  # the `\r\n` after the data
    LAST = "last"  # `0\r\n`: the last chunk
    TRAILER = "trailer"  # the blank line (or a trailer field) after the last chunk


@dataclass(frozen=True)
class ChunkPart:
    kind: PartKind
    raw: bytes
    size: int = 0


class ChunkDecoder:
    """Chunked transfer coding, decoded incrementally into the parts seen on the wire."""

    def __init__(self) -> None:
        self._buffer = b""
        self._remaining = 0
        self._state = PartKind.SIZE
        self.done = False

    def feed(self, data: bytes) -> list[ChunkPart]:
        """The parts completed by `data`; raises WireError on malformed framing."""
        self._buffer += data
        parts: list[ChunkPart] = []
        while self._buffer and not self.done:
            part = self._step()
            if part is None:
                break
            parts.append(part)
        return parts

    def _step(self) -> ChunkPart | None:
        if self._state is PartKind.DATA:
            taken, self._buffer = self._buffer[: self._remaining], self._buffer[self._remaining :]
            self._remaining -= len(taken)
            if not self._remaining:
                self._state = PartKind.END
            return ChunkPart(PartKind.DATA, taken, len(taken))
        if self._state is PartKind.END:
            return self._data_end()
        line = self._line()
        if line is None:
            return None
        if self._state is PartKind.TRAILER:
            self.done = line == b"\r\n"
            return ChunkPart(PartKind.TRAILER, line)
        return self._size_line(line)

    def _data_end(self) -> ChunkPart | None:
        if len(self._buffer) < 2:
            if self._buffer != b"\r"[: len(self._buffer)]:
                raise WireError(f"chunk data not followed by CRLF: {escape_bytes(self._buffer, 20)}")
            return None
        if not self._buffer.startswith(b"\r\n"):
            raise WireError(f"chunk data not followed by CRLF: {escape_bytes(self._buffer, 20)}")
        self._buffer = self._buffer[2:]
        self._state = PartKind.SIZE
        return ChunkPart(PartKind.END, b"\r\n")

    def _line(self) -> bytes | None:
        end = self._buffer.find(b"\r\n")
        if end < 0:
            if len(self._buffer) > MAX_SIZE_LINE:
                raise WireError("no CRLF where a chunk size line should end")
            return None
        line, self._buffer = self._buffer[: end + 2], self._buffer[end + 2 :]
        return line

    def _size_line(self, line: bytes) -> ChunkPart:
        digits = line[:-2].split(b";", 1)[0].strip()
        if not digits or len(digits) > 16 or digits.strip(b"0123456789abcdefABCDEF"):
            raise WireError(f"bad chunk size line: {escape_bytes(line, 40)}")
        size = int(digits, 16)
        if size == 0:
            self._state = PartKind.TRAILER
            return ChunkPart(PartKind.LAST, line)
        self._remaining = size
        self._state = PartKind.DATA
        return ChunkPart(PartKind.SIZE, line, size)


class BodyDecoder:
    """A body's Content-Encoding undone incrementally: `gzip` (or `deflate`), or none.

    Decoded bytes come out as soon as the compressor flushed them: a sync flush per
    message gives each message at once, an unflushed stream gives nothing until the end.
    """

    def __init__(self, content_encoding: str = "") -> None:
        self.encoding = content_encoding.strip().lower()
        if self.encoding in ("", "identity"):
            self.encoding, self._zlib = "", None
        elif self.encoding in ("gzip", "x-gzip", "deflate"):
            self._zlib = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)  # gzip or zlib, from the header
        else:
            raise WireError(f"cannot decode Content-Encoding {content_encoding!r}")

    def feed(self, data: bytes) -> bytes:
        if self._zlib is None:
            return data
        try:
            return self._zlib.decompress(data)
        except zlib.error as error:
            raise WireError(f"bad {self.encoding} body: {error}") from None

    def flush(self) -> bytes:
        """At the end of the body: whatever the decompressor still holds."""
        return b"" if self._zlib is None else self._zlib.flush()
