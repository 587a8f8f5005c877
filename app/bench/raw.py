"""Reading a body as cheaply as a load generator can: HTTP/1.1 chunked framing and
WebSocket frames decoded by hand from raw reads, so counting a message costs far less
than the server spends making it (aiohttp's client pays a few microseconds of Python per
chunk or frame, as much as the servers it would measure: at 64-byte messages the figures
were the load generator's speed, not the server's). Pure: no sockets here.
"""

from __future__ import annotations

from .stats import DelimiterCounter


class ChunkedBody:
    """The payload of a chunked body, read by read: counted by `delimiter`, or one message
    per chunk when it is None (nested JSON, whose messages have no end marker)."""

    def __init__(self, delimiter: bytes | None) -> None:
        self._counter = DelimiterCounter(delimiter) if delimiter is not None else None
        self.chunks = 0
        self.payload_bytes = 0
        self.done = False
        self._left = 0  # payload bytes of the current chunk still to come
        self._skip = 0  # bytes of the CRLF after a chunk's payload still to come
        self._head = b""  # a size line cut by the end of a read

    @property
    def messages(self) -> int:
        return self._counter.messages if self._counter is not None else self.chunks

    def feed(self, data: bytes) -> None:
        if self._head:
            data, self._head = self._head + data, b""
        position, end = 0, len(data)
        while position < end and not self.done:
            if self._left:
                stop = min(end, position + self._left)
                self._payload(data if position == 0 and stop == end else data[position:stop])
                self._left -= stop - position
                position = stop
                if not self._left:
                    self.chunks += 1
                    self._skip = 2
            elif self._skip:
                taken = min(self._skip, end - position)
                self._skip -= taken
                position += taken
            else:
                line_end = data.find(b"\r\n", position)
                if line_end < 0:
                    self._head = data[position:]
                    return
                size = int(data[position:line_end].split(b";", 1)[0], 16)
                position = line_end + 2
                if size == 0:
                    self.done = True
                else:
                    self._left = size

    def _payload(self, data: bytes) -> None:
        self.payload_bytes += len(data)
        if self._counter is not None:
            self._counter.feed(data)


TEXT, CLOSE = 0x1, 0x8
#: Bytes of extended payload length after the 7-bit length 126 or 127.
EXTENDED_LENGTH = {126: 2, 127: 8}
#: What a client answers a server's close with: a masked close frame, code 1000 (a zero
#: mask leaves the payload as it is).
CLOSE_REPLY = b"\x88\x82\x00\x00\x00\x00\x03\xe8"


class Frames:
    """Server-to-client WebSocket frames (unmasked), read by read: text messages counted,
    their payload skipped over without being kept."""

    def __init__(self) -> None:
        self.messages = 0
        self.payload_bytes = 0
        self.closed = False
        self._left = 0
        self._counting = False
        self._head = b""

    def feed(self, data: bytes) -> None:
        if self._head:
            data, self._head = self._head + data, b""
        position, end = 0, len(data)
        while position < end and not self.closed:
            if self._left:
                taken = min(self._left, end - position)
                if self._counting:
                    self.payload_bytes += taken
                self._left -= taken
                position += taken
                continue
            header = _frame_header(data, position)
            if header is None:
                self._head = data[position:]
                return
            opcode, length, header_bytes = header
            position += header_bytes
            self.closed = opcode == CLOSE
            self._counting = opcode == TEXT
            self.messages += self._counting
            self._left = length


def _frame_header(data: bytes, position: int) -> tuple[int, int, int] | None:
    """(opcode, payload length, header length) of the frame at `position`, or None when the
    read ends inside its header."""
    if len(data) - position < 2:
        return None
    opcode, length = data[position] & 0x0F, data[position + 1] & 0x7F
    extra = EXTENDED_LENGTH.get(length, 0)
    masked = 4 if data[position + 1] & 0x80 else 0
    if len(data) - position < 2 + extra + masked:
        return None
    if extra:
        length = int.from_bytes(data[position + 2 : position + 2 + extra], "big")
    return opcode, length, 2 + extra + masked
