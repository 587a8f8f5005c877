"""WebSocket frames as a client meets them (RFC 6455), pure: no socket.

`FrameDecoder` turns what arrives from a server into frames, one read at a time;
`client_frame` builds the masked frames a client must send (a pong, a close).
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from dataclasses import dataclass
from enum import IntEnum

#: RFC 6455's GUID, hashed with the client's key to prove the server speaks WebSocket.
_ACCEPT_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Opcode(IntEnum):
    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA


class FrameError(ValueError):
    """Bytes that are not a server's WebSocket frames."""


@dataclass(frozen=True)
class Frame:
    opcode: Opcode
    fin: bool
    payload: bytes
    #: The frame's size on the wire: header and payload.
    wire_bytes: int


def handshake_key() -> str:
    return base64.b64encode(os.urandom(16)).decode()


def expected_accept(key: str) -> str:
    """The Sec-WebSocket-Accept a real WebSocket server answers `key` with."""
    return base64.b64encode(hashlib.sha1(key.encode() + _ACCEPT_GUID).digest()).decode()


def client_frame(opcode: Opcode, payload: bytes = b"") -> bytes:
    """One final frame, masked as every client frame must be (payloads under 126 bytes)."""
    if len(payload) > 125:
        raise ValueError("control frames carry at most 125 bytes")
    mask = os.urandom(4)
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


class FrameDecoder:
    """Server frames from a byte stream, fed one read at a time."""

    def __init__(self, max_payload: int) -> None:
        self._buffer = bytearray()
        self._max_payload = max_payload

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames = []
        while (frame := self._next()) is not None:
            frames.append(frame)
        return frames

    def _next(self) -> Frame | None:
        header = self._header()
        if header is None:
            return None
        first, size, offset = header
        if len(self._buffer) < offset + size:
            return None
        payload = bytes(self._buffer[offset : offset + size])
        del self._buffer[: offset + size]
        try:
            opcode = Opcode(first & 0x0F)
        except ValueError:
            raise FrameError(f"unknown opcode 0x{first & 0x0F:x}") from None
        return Frame(opcode, bool(first & 0x80), payload, offset + size)

    def _header(self) -> tuple[int, int, int] | None:
        """(first byte, payload size, header size), or None until the header is whole."""
        if len(self._buffer) < 2:
            return None
        first, second = self._buffer[0], self._buffer[1]
        if second & 0x80:
            raise FrameError("a server's frames must not be masked")
        size, offset = second & 0x7F, 2
        if size >= 126:
            width = 2 if size == 126 else 8
            if len(self._buffer) < 2 + width:
                return None
            (size,) = struct.unpack(">H" if width == 2 else ">Q", self._buffer[2 : 2 + width])
            offset += width
        if size > self._max_payload:
            raise FrameError(f"a frame of {size} bytes is more than the {self._max_payload} allowed")
        return first, size, offset
