"""HTTP/1.1 chunked transfer coding (RFC 9112, section 7.1).

The encoder and its arithmetic (what framing a chunk of N bytes costs); `ChunkDecoder`, the
strict decoder that gives every element as it crossed the wire (`raw` shows them,
`diagnose` counts them); `ChunkCounter`, the counting decoder of the benchmark's load
generator, which hands the payload on as slices of each read and builds nothing per chunk.
Both read a size line with `chunk_size` and bound it with MAX_SIZE_LINE, so they accept and
refuse the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum

from .errors import WireError
from .escape import escape_bytes

__all__ = [
    "LAST_CHUNK",
    "LAST_CHUNK_BYTES",
    "MAX_SIZE_LINE",
    "ChunkCounter",
    "ChunkDecoder",
    "Part",
    "PartKind",
    "chunk_framing_bytes",
    "chunk_size",
    "encode_chunk",
    "encode_chunked",
]

#: `0\r\n\r\n`: the last chunk and the end of an empty trailer.
LAST_CHUNK = b"0\r\n\r\n"
LAST_CHUNK_BYTES = len(LAST_CHUNK)
#: A size line (or trailer field) longer than this is not HTTP a stream would send.
MAX_SIZE_LINE = 1024
#: 16 hex digits are 64 bits: a longer size is no size.
_MAX_DIGITS = 16
_HEX = b"0123456789abcdefABCDEF"
_CRLF = b"\r\n"


def encode_chunk(data: bytes) -> bytes:
    """One chunk: its size in hex, CRLF, the data, CRLF. Empty data would end the body:
    that is LAST_CHUNK, written on purpose."""
    if not data:
        raise ValueError("an empty chunk is the last chunk: write LAST_CHUNK")
    return b"%x\r\n%s\r\n" % (len(data), data)


def encode_chunked(payloads: Iterable[bytes]) -> bytes:
    """A whole chunked body: one chunk per payload, then the last chunk."""
    return b"".join(encode_chunk(payload) for payload in payloads) + LAST_CHUNK


def chunk_framing_bytes(size: int) -> int:
    """Bytes chunked coding adds around `size` bytes of data: `<hex>\\r\\n` and `\\r\\n`."""
    return len(f"{size:x}") + 4


def chunk_size(line: bytes) -> int:
    """The size a size line announces (`1a;ext=1`, its CRLF left off); WireError unless
    it is hex digits, an extension after `;` ignored."""
    digits = line
    if not 0 < len(digits) <= _MAX_DIGITS or digits.strip(_HEX):  # not bare digits, the usual line
        digits = line.split(b";", 1)[0].strip()
        if not digits or len(digits) > _MAX_DIGITS or digits.strip(_HEX):
            raise WireError(f"bad chunk size line: {escape_bytes(line, 40)}")
    return int(digits, 16)


def _line_too_long() -> WireError:
    return WireError(f"no CRLF in {MAX_SIZE_LINE} bytes where a chunk size line should end")


class PartKind(StrEnum):
    """An element of a body as it crosses the wire (a body without chunked coding is all data)."""

    SIZE = "size"  # `<hex>\r\n`: the chunk's length
    DATA = "data"  # the chunk's bytes (a long chunk may come in several parts)
    END = "end"  # the `\r\n` after the data
    LAST = "last"  # `0\r\n`: the last chunk
    TRAILER = "trailer"  # the blank line (or a trailer field) after the last chunk


@dataclass(frozen=True)
class Part:
    kind: PartKind
    raw: bytes
    #: The chunk's size (SIZE) or the data's length (DATA).
    size: int = 0


class ChunkDecoder:
    """Chunked coding decoded strictly, read by read, into the parts seen on the wire.

    The read is walked with an offset and only what is left at its end (a size line or a
    CRLF cut by the end of the read, at most MAX_SIZE_LINE bytes) is kept, so a read of
    many small chunks costs time in proportion to its length, not to its length squared."""

    #: The framing says where the body ends; the connection's close does not.
    delimited_by_close = False

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._position = 0
        self._remaining = 0
        self._state = PartKind.SIZE
        self.done = False

    def feed(self, data: bytes) -> list[Part]:
        """The parts completed by `data` (nothing after the body's end); WireError on bad framing."""
        self._buffer += data
        parts: list[Part] = []
        try:
            while self._position < len(self._buffer) and not self.done:
                part = self._step()
                if part is None:
                    break
                parts.append(part)
        finally:
            del self._buffer[: self._position]
            self._position = 0
        return parts

    def _step(self) -> Part | None:
        if self._state is PartKind.DATA:
            start = self._position
            taken = bytes(self._buffer[start : start + self._remaining])
            self._position += len(taken)
            self._remaining -= len(taken)
            if not self._remaining:
                self._state = PartKind.END
            return Part(PartKind.DATA, taken, len(taken))
        if self._state is PartKind.END:
            return self._data_end()
        line = self._line()
        if line is None:
            return None
        if self._state is PartKind.TRAILER:
            self.done = line == _CRLF
            return Part(PartKind.TRAILER, line)
        size = chunk_size(line[:-2])
        if size == 0:
            self._state = PartKind.TRAILER
            return Part(PartKind.LAST, line)
        self._remaining, self._state = size, PartKind.DATA
        return Part(PartKind.SIZE, line, size)

    def _data_end(self) -> Part | None:
        start = self._position
        if not _CRLF.startswith(self._buffer[start : start + 2]):
            shown = bytes(self._buffer[start : start + 20])
            raise WireError(f"chunk data not followed by CRLF: {escape_bytes(shown, 20)}")
        if len(self._buffer) - start < 2:
            return None
        self._position += 2
        self._state = PartKind.SIZE
        return Part(PartKind.END, _CRLF)

    def _line(self) -> bytes | None:
        start = self._position
        end = self._buffer.find(_CRLF, start)
        if end < 0:
            if len(self._buffer) - start > MAX_SIZE_LINE:
                raise _line_too_long()
            return None
        self._position = end + 2
        return bytes(self._buffer[start : end + 2])


class ChunkCounter:
    """Chunked coding decoded as cheaply as Python can: chunks and payload bytes counted,
    the payload handed to `payload` (when given) as slices of the reads, nothing kept but
    a size line cut by the end of a read. `done` once the last chunk and its trailer came."""

    def __init__(self, payload: Callable[[bytes], object] | None = None) -> None:
        self._payload = payload
        self.chunks = 0
        self.payload_bytes = 0
        self.done = False
        self._left = 0  # payload bytes of the current chunk still to come
        self._crlf = 0  # bytes of the CRLF after a chunk's payload still to come
        self._trailer = False  # past the last chunk: lines until a blank one
        self._line = b""  # a size line (or trailer field) cut by the end of a read

    def feed(self, data: bytes) -> None:
        """WireError on bad framing; bytes after the body's end are ignored."""
        if self._line:
            data, self._line = self._line + data, b""
        position, end = 0, len(data)
        while position < end and not self.done:
            if self._left:
                position = self._take_payload(data, position, end)
            elif self._crlf:
                position = self._take_crlf(data, position, end)
            else:
                line_end = data.find(_CRLF, position)
                if line_end < 0:
                    self._line = data[position:]
                    if len(self._line) > MAX_SIZE_LINE:
                        raise _line_too_long()
                    return
                position = self._read_line(data, position, line_end, end)

    def _read_line(self, data: bytes, position: int, line_end: int, end: int) -> int:
        """Past the line at `position`; a chunk that came whole, with its CRLF, is taken too
        (the usual case, kept to a few steps: it is every message of a fast stream)."""
        line, position = data[position:line_end], line_end + 2
        if self._trailer:
            self.done = not line
            return position
        size = chunk_size(line)
        stop = position + size
        if not size:
            self._trailer = True
        elif stop + 2 <= end and data[stop : stop + 2] == _CRLF:
            if self._payload is not None:
                self._payload(data[position:stop])
            self.payload_bytes += size
            self.chunks += 1
            return stop + 2
        else:
            self._left = size
        return position

    def _take_payload(self, data: bytes, position: int, end: int) -> int:
        stop = min(end, position + self._left)
        if self._payload is not None:
            self._payload(data if position == 0 and stop == end else data[position:stop])
        self.payload_bytes += stop - position
        self._left -= stop - position
        if not self._left:
            self.chunks += 1
            self._crlf = 2
        return stop

    def _take_crlf(self, data: bytes, position: int, end: int) -> int:
        stop = min(end, position + self._crlf)
        expected = _CRLF[2 - self._crlf : 2 - self._crlf + stop - position]
        if data[position:stop] != expected:
            raise WireError(f"chunk data not followed by CRLF: {escape_bytes(data[position : position + 20])}")
        self._crlf -= stop - position
        return stop
