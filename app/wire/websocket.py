"""WebSocket frames (RFC 6455, section 5) and the opening handshake's keys, for both ends.

One codec serves both directions, masking a parameter (as in the `websockets` library):
`encode_frame` writes a client's masked frames (a pong, a close) and a server's plain ones
(the tests' servers); `FrameDecoder` is the strict decoder `diagnose` reads a server with;
`FrameCounter` is the benchmark's, which counts messages and skips their payload. Both
read a header with `parse_header`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from dataclasses import dataclass
from enum import IntEnum

from .errors import Limit, TooLarge, WireError

__all__ = [
    "DATA_OPCODES",
    "MAX_CONTROL_PAYLOAD",
    "Frame",
    "FrameCounter",
    "FrameDecoder",
    "Opcode",
    "accept_key",
    "apply_mask",
    "close_code",
    "close_payload",
    "encode_frame",
    "frame_header_bytes",
    "handshake_headers",
    "handshake_key",
    "parse_header",
]

#: RFC 6455's GUID, hashed with the client's key to prove the server speaks WebSocket.
_ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: A control frame (close, ping, pong) carries at most this many bytes, in one frame.
MAX_CONTROL_PAYLOAD = 125
#: The close code a close frame without a payload stands for.
NO_STATUS = 1005
#: Bytes of extended payload length after the 7-bit length 126 or 127.
_EXTENDED = {126: 2, 127: 8}
_MASK_BYTES = 4


class Opcode(IntEnum):
    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


#: The opcodes of a message's frames: a message is one or more, the last one final.
DATA_OPCODES = frozenset({Opcode.CONTINUATION, Opcode.TEXT, Opcode.BINARY})
_OPCODES = frozenset(Opcode)


@dataclass(frozen=True)
class Frame:
    opcode: Opcode
    payload: bytes = b""
    fin: bool = True


def frame_header_bytes(payload: int, masked: bool = False) -> int:
    """A frame's header size: 2 bytes, +2 or +8 for the extended length, +4 masked."""
    extended = 0 if payload < 126 else 2 if payload < 65536 else 8
    return 2 + extended + (_MASK_BYTES if masked else 0)


def apply_mask(data: bytes, key: bytes) -> bytes:
    """`data` XORed with the 4-byte `key` repeated: masks, and unmasks what it masked."""
    size = len(data)
    repeated = (key * (size // 4 + 1))[:size]
    return (int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")).to_bytes(size, "little")


def encode_frame(opcode: Opcode, payload: bytes = b"", *, fin: bool = True, mask: bool = False) -> bytes:
    """One frame. A client masks every frame it sends (with a fresh random key); a server never does."""
    size = len(payload)
    if opcode not in DATA_OPCODES and (size > MAX_CONTROL_PAYLOAD or not fin):
        raise ValueError(f"a control frame is final and carries at most {MAX_CONTROL_PAYLOAD} bytes")
    first, mask_bit = (0x80 if fin else 0) | opcode, 0x80 if mask else 0
    if size < 126:
        header = bytes((first, mask_bit | size))
    elif size < 65536:
        header = struct.pack("!BBH", first, mask_bit | 126, size)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, size)
    if not mask:
        return header + payload
    key = os.urandom(_MASK_BYTES)
    return header + key + apply_mask(payload, key)


def close_payload(code: int, reason: str = "") -> bytes:
    return code.to_bytes(2, "big") + reason.encode()


def close_code(payload: bytes) -> int:
    """The code a close frame's payload carries (1005 when it carries none)."""
    return int.from_bytes(payload[:2], "big") if len(payload) >= 2 else NO_STATUS


def parse_header(data: bytes | bytearray, position: int = 0) -> tuple[int, int, int, bool] | None:
    """(first byte, payload length, header length, masked) of the frame at `position`, or
    None when the data ends inside its header."""
    available = len(data) - position
    if available < 2:
        return None
    second = data[position + 1]
    length, masked = second & 0x7F, bool(second & 0x80)
    extended = _EXTENDED.get(length, 0)
    header = 2 + extended + (_MASK_BYTES if masked else 0)
    if available < header:
        return None
    if extended:
        length = int.from_bytes(data[position + 2 : position + 2 + extended], "big")
    return data[position], length, header, masked


class FrameDecoder:
    """Frames decoded strictly, read by read: a server's plain frames (`masked=False`, what a
    client reads) or a client's masked ones, unmasked. WireError for a frame masked the other
    way, an unknown opcode, a control frame over its bounds, or a payload over `max_payload`;
    TooLarge(MESSAGE) for a message over `max_message` over all its fragments (None: no
    bound). Both are refused by the length a header declares, before the payload is held."""

    def __init__(self, max_payload: int, masked: bool = False, max_message: int | None = None) -> None:
        self._buffer = bytearray()
        self._max_payload = max_payload
        self._masked = masked
        self._max_message = max_message
        self._begun = 0  # bytes of the message begun: its fragments so far (a control frame may come between)

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames = []
        while (frame := self._next()) is not None:
            frames.append(frame)
        return frames

    def _next(self) -> Frame | None:
        header = parse_header(self._buffer)
        if header is None:
            return None
        first, size, offset, masked = header
        opcode = self._check(first, size, masked)
        if len(self._buffer) < offset + size:
            return None
        payload = bytes(self._buffer[offset : offset + size])
        if masked:
            payload = apply_mask(payload, bytes(self._buffer[offset - _MASK_BYTES : offset]))
        del self._buffer[: offset + size]
        if opcode in DATA_OPCODES:
            self._begun = 0 if first & 0x80 else self._message_bytes(opcode, size)
        return Frame(opcode, payload, bool(first & 0x80))

    def _message_bytes(self, opcode: Opcode, size: int) -> int:
        """The message's bytes with a data frame of `size`: a continuation adds to it."""
        return (self._begun if opcode is Opcode.CONTINUATION else 0) + size

    def _check(self, first: int, size: int, masked: bool) -> Opcode:
        if masked is not self._masked:
            whose = "a client's frames must be" if self._masked else "a server's frames must not be"
            raise WireError(f"{whose} masked")
        if first & 0x0F not in _OPCODES:
            raise WireError(f"unknown opcode 0x{first & 0x0F:x}")
        opcode = Opcode(first & 0x0F)
        if opcode not in DATA_OPCODES and (size > MAX_CONTROL_PAYLOAD or not first & 0x80):
            raise WireError(f"a {opcode.name} frame of {size} bytes: control frames are final and short")
        bound = self._max_message
        if opcode in DATA_OPCODES and bound is not None and self._message_bytes(opcode, size) > bound:
            raise TooLarge(Limit.MESSAGE, bound)
        if size > self._max_payload:
            raise WireError(f"a frame of {size} bytes is more than the {self._max_payload} allowed")
        return opcode


class FrameCounter:
    """Frames counted as cheaply as Python can: data messages (each ends with a final data
    frame) and their payload bytes, every payload skipped over without being kept; `closed`
    once a close frame came. Only a header cut by the end of a read is kept."""

    def __init__(self) -> None:
        self.messages = 0
        self.payload_bytes = 0
        self.closed = False
        self._left = 0  # payload bytes of the current frame still to come
        self._counting = False  # the current frame is a data frame
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
            header = parse_header(data, position)
            if header is None:
                self._head = data[position:]
                return
            first, self._left, header_bytes, _ = header
            position += header_bytes
            opcode = first & 0x0F
            self.closed = opcode == Opcode.CLOSE
            self._counting = opcode in DATA_OPCODES
            if self._counting and first & 0x80:  # a final data frame ends a message
                self.messages += 1


def handshake_key() -> str:
    """A fresh Sec-WebSocket-Key: 16 random bytes, base64."""
    return base64.b64encode(os.urandom(16)).decode()


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept a real WebSocket server answers `key` with."""
    return base64.b64encode(hashlib.sha1(key.encode() + _ACCEPT_GUID).digest()).decode()


def handshake_headers(key: str) -> list[tuple[str, str]]:
    """The fields that ask an HTTP/1.1 server to switch to WebSocket."""
    return [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
    ]
