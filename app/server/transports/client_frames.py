"""What RFC 6455 makes a server refuse in a client's frames and aiohttp (3.14) lets through:
an unmasked frame (section 5.1) and a close code no endpoint may send (section 7.4). Both
fail the connection with 1002, as aiohttp does for the checks it makes itself.

`ClientFrameCheck` is pure: it follows the frames by their headers as the bytes pass,
skipping every payload but a close frame's. `CheckedWebSocketResponse` puts it in front
of aiohttp's own frame reader.
"""

from __future__ import annotations

from typing import Any

from aiohttp import WebSocketError, WSCloseCode, web
from aiohttp.http_websocket import WebSocketWriter
from aiohttp.web_request import BaseRequest

from ...wire.websocket import MAX_CONTROL_PAYLOAD, Opcode, apply_mask, close_code, parse_header

__all__ = ["CheckedWebSocketResponse", "ClientFrameCheck", "Violation", "is_valid_close_code"]

#: Codes RFC 6455 (section 7.4.1) and IANA's registry define for a close frame; 1004 is
#: reserved, and 1005, 1006 and 1015 stand for what a close frame never carries.
DEFINED_CLOSE_CODES = frozenset({1000, 1001, 1002, 1003, *range(1007, 1015)})
#: Codes for libraries, frameworks (3000-3999) and applications (4000-4999).
OPEN_CLOSE_CODES = range(3000, 5000)
MASK_BYTES = 4


def is_valid_close_code(code: int) -> bool:
    return code in DEFINED_CLOSE_CODES or code in OPEN_CLOSE_CODES


class Violation(Exception):
    """A client frame the server must refuse. `offset`: how many bytes of the data just
    fed come before the offending frame (they are the client's earlier, valid frames)."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


class ClientFrameCheck:
    """A client's frames followed read by read: `feed` raises Violation at the first bad
    one (nothing is to be fed after that)."""

    def __init__(self) -> None:
        self._head = b""  # a frame header cut by the end of a read
        self._left = 0  # payload bytes of the current frame still to come
        self._close: bytearray | None = None  # the current close frame's payload, still masked
        self._key = b""

    def feed(self, data: bytes) -> None:
        carried = len(self._head)
        data, self._head = self._head + data, b""
        # Where the current frame began in `data` (0: in an earlier read).
        position, frame_start = 0, 0
        while position < len(data):
            if self._left:
                position = self._take(data, position)
                if not self._left and self._close is not None:
                    self._check_close(max(0, frame_start - carried))
                continue
            header = parse_header(data, position)
            if header is None:
                self._head = data[position:]
                return
            first, size, header_bytes, masked = header
            if not masked:
                raise Violation("a client's frames must be masked", max(0, position - carried))
            frame_start, position = position, position + header_bytes
            self._left = size
            # A longer close frame is refused by aiohttp itself (a control frame over its bound).
            is_close = first & 0x0F == Opcode.CLOSE and 0 < size <= MAX_CONTROL_PAYLOAD
            self._close = bytearray() if is_close else None
            self._key = data[position - MASK_BYTES : position]

    def _take(self, data: bytes, position: int) -> int:
        taken = min(self._left, len(data) - position)
        if self._close is not None:
            self._close += data[position : position + taken]
        self._left -= taken
        return position + taken

    def _check_close(self, offset: int) -> None:
        assert self._close is not None
        payload, self._close = apply_mask(bytes(self._close), self._key), None
        if len(payload) < 2:
            raise Violation("a close frame's code takes two bytes", offset)
        if not is_valid_close_code(code := close_code(payload)):
            raise Violation(f"invalid close code {code}", offset)


class CheckedReader:
    """aiohttp's frame reader behind a ClientFrameCheck: what passes goes on to it; a
    violation reaches the socket's message queue as the WebSocketError aiohttp raises
    for its own checks, so `receive()` closes with 1002 as it does for those."""

    __slots__ = ("_check", "_failed", "_queue", "_reader")

    def __init__(self, reader: Any, queue: Any) -> None:
        self._check = ClientFrameCheck()
        self._reader = reader
        self._queue = queue
        self._failed = False

    def feed_data(self, data: bytes | bytearray | memoryview) -> tuple[bool, bytes]:
        if self._failed:
            return True, b""
        data = bytes(data)
        try:
            self._check.feed(data)
        except Violation as violation:
            self._failed = True
            if violation.offset:
                self._reader.feed_data(data[: violation.offset])
            self._queue.set_exception(WebSocketError(WSCloseCode.PROTOCOL_ERROR, violation.reason))
            return True, b""
        result: tuple[bool, bytes] = self._reader.feed_data(data)
        return result

    def feed_eof(self) -> None:
        self._reader.feed_eof()


class CheckedWebSocketResponse(web.WebSocketResponse):
    """A WebSocketResponse whose incoming bytes all pass ClientFrameCheck first.

    aiohttp offers no hook for this: its connection gets the frame reader in `_post_start`
    (which also feeds it whatever came right behind the handshake), so the reader is
    wrapped there. tests/server/test_websocket.py pins that this still takes effect.
    """

    def _post_start(self, request: BaseRequest, protocol: str | None, writer: WebSocketWriter) -> None:
        connection = request.protocol
        # Frames sent right behind the handshake: held back here to pass the check too.
        early, connection._message_tail = connection._message_tail, b""
        super()._post_start(request, protocol, writer)
        checked = CheckedReader(connection._payload_parser, self._reader)
        connection._payload_parser = checked
        if early:
            checked.feed_data(early)
