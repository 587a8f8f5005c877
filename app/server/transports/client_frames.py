"""A client's frames on their way in: checked, and read no faster than they are answered.

What RFC 6455 makes a server refuse in a client's frames and aiohttp (3.14) lets through:
an unmasked frame (section 5.1) and a close code no endpoint may send (section 7.4). Both
fail the connection with 1002, as aiohttp does for the checks it makes itself.

`ClientFrameCheck` is pure: it follows the frames by their headers as the bytes pass,
skipping every payload but a close frame's, and asks whether each message may begin.
`CheckedWebSocketResponse` puts it in front of aiohttp's own frame reader, with an
`InboundFlow` (inbound.py) that charges each message to the memory budget before aiohttp reads it,
and stops reading the socket while a message waits for its answer or for the budget.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import WebSocketError, WSCloseCode, web
from aiohttp.http_websocket import WebSocketWriter
from aiohttp.web_request import BaseRequest

from ...wire.websocket import DATA_OPCODES, MAX_CONTROL_PAYLOAD, Opcode, apply_mask, close_code, parse_header
from .inbound import Budget, InboundFlow

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


#: Asked at a data frame's header (payload size, whether it begins a message): may it be read now?
Admit = Callable[[int, bool], bool]


class ClientFrameCheck:
    """A client's frames followed read by read: `feed` raises Violation at the first bad
    one (nothing is to be fed after that).

    `admit(size, begins)` is asked at each data frame's header (`size`: the payload it
    announces, counted up to `max_payload`, as aiohttp refuses a larger one; `begins`:
    whether it begins a message). Refused, the frame is not taken: `feed` returns where
    it begins, and the bytes from there are to be fed again. Each message completed is
    noted in `messages` as (payload bytes, frames), for the caller to take."""

    def __init__(self, max_payload: int = 1 << 63) -> None:
        self._max_payload = max_payload
        self._head = b""  # a frame header cut by the end of a read
        self._left = 0  # payload bytes of the current frame still to come
        self._close: bytearray | None = None  # the current close frame's payload, still masked
        self._key = b""
        self._ends_message = False  # the current frame is a message's last
        self._message = (0, 0)  # (payload bytes, frames) of the message in progress
        self.messages: list[tuple[int, int]] = []

    def feed(self, data: bytes, admit: Admit | None = None) -> int:
        """Follow `data`; how many of its bytes were taken (all, unless a frame was refused)."""
        carried = len(self._head)
        # Only a header cut by the last read costs a copy of this one.
        data, self._head = self._head + data, b""
        # Where the current frame began in `data` (0: in an earlier read).
        position, frame_start = 0, 0
        while position < len(data):
            if self._left:
                position = self._take(data, position)
                if not self._left:
                    self._frame_done(max(0, frame_start - carried))
                continue
            header = parse_header(data, position)
            if header is None:
                self._head = data[position:]
                break
            first, size, header_bytes, masked = header
            if not masked:
                raise Violation("a client's frames must be masked", max(0, position - carried))
            if admit is not None and not self._admitted(first, size, admit):
                # A header begun in the last read was taken then: it stays carried.
                self._head = data[position:carried]
                return max(0, position - carried)
            frame_start, position = position, position + header_bytes
            self._start_frame(first, size, data[position - MASK_BYTES : position])
            if not size:
                self._frame_done(max(0, frame_start - carried))
        return len(data) - carried

    def _admitted(self, first: int, size: int, admit: Admit) -> bool:
        return first & 0x0F not in DATA_OPCODES or admit(min(size, self._max_payload), self._message == (0, 0))

    def _start_frame(self, first: int, size: int, key: bytes) -> None:
        opcode = first & 0x0F
        self._left = size
        # A longer close frame is refused by aiohttp itself (a control frame over its bound).
        is_close = opcode == Opcode.CLOSE and 0 < size <= MAX_CONTROL_PAYLOAD
        self._close = bytearray() if is_close else None
        self._key = key
        self._ends_message = False
        if opcode in DATA_OPCODES:
            self._message = (self._message[0] + min(size, self._max_payload), self._message[1] + 1)
            self._ends_message = bool(first & 0x80)

    def _take(self, data: bytes, position: int) -> int:
        taken = min(self._left, len(data) - position)
        if self._close is not None:
            self._close += data[position : position + taken]
        self._left -= taken
        return position + taken

    def _frame_done(self, offset: int) -> None:
        if self._close is not None:
            self._check_close(offset)
        elif self._ends_message:
            self.messages.append(self._message)
            self._message = (0, 0)

    def _check_close(self, offset: int) -> None:
        assert self._close is not None
        payload, self._close = apply_mask(bytes(self._close), self._key), None
        if len(payload) < 2:
            raise Violation("a close frame's code takes two bytes", offset)
        if not is_valid_close_code(code := close_code(payload)):
            raise Violation(f"invalid close code {code}", offset)


class CheckedReader:
    """aiohttp's frame reader behind a ClientFrameCheck: what passes goes on to it, paced
    by the socket's InboundFlow (what it withholds is fed again by `retry`); a violation
    reaches the socket's message queue as the WebSocketError aiohttp raises for its own
    checks, so `receive()` closes with 1002 as it does for those."""

    __slots__ = ("_check", "_failed", "_flow", "_queue", "_reader", "_withheld")

    def __init__(self, reader: Any, queue: Any, flow: InboundFlow, max_payload: int) -> None:
        self._check = ClientFrameCheck(max_payload)
        self._reader = reader
        self._queue = queue
        self._flow = flow
        self._failed = False
        self._withheld = b""

    def feed_data(self, data: bytes | bytearray | memoryview) -> tuple[bool, bytes]:
        if self._failed:
            return True, b""
        # A copy only on a loop that reads into a bytearray: asyncio's and uvloop's give bytes.
        data = bytes(data)
        if self._withheld:  # read before the pause took effect: it waits its turn too
            self._withheld += data
            self._flow.withheld(len(data))
            return False, b""
        try:
            taken = self._check.feed(data, self._admit)
        except Violation as violation:
            self._failed = True
            if violation.offset:
                self._reader.feed_data(data[: violation.offset])
            self._queue.set_exception(WebSocketError(WSCloseCode.PROTOCOL_ERROR, violation.reason))
            return True, b""
        if taken < len(data):
            data, self._withheld = data[:taken], data[taken:]
            self._flow.withheld(len(self._withheld))
        result: tuple[bool, bytes] = self._reader.feed_data(data) if data else (False, b"")
        self._flow.read(self._check)
        return result

    def _admit(self, size: int, begins: bool) -> bool:
        # The messages completed earlier in this read wait for their answers first.
        self._flow.read(self._check)
        return self._flow.admit(size, begins)

    def retry(self) -> None:
        """Feed what was withheld (the budget has taken it, or the stream is ending)."""
        data, self._withheld = self._withheld, b""
        if data:
            self.feed_data(data)

    def feed_eof(self) -> None:
        self._reader.feed_eof()


class CheckedWebSocketResponse(web.WebSocketResponse):
    """A WebSocketResponse whose incoming bytes all pass ClientFrameCheck first, read at
    the pace of `inbound` (whose `answering`/`answered` its reader of messages calls).

    aiohttp offers no hook for this: its connection gets the frame reader in `_post_start`
    (which also feeds it whatever came right behind the handshake), so the reader is
    wrapped there. tests/server/test_websocket.py pins that this still takes effect.
    """

    def __init__(self, *, budget: Budget, **options: Any) -> None:
        super().__init__(**options)
        self.inbound = InboundFlow(budget)

    def ended(self) -> None:
        """The stream is over, whatever ended it: what the client's messages held goes back
        to the budget, the heartbeat stops and the frame reader (with the start of any
        message it holds) is let go, as aiohttp does once a socket is closed. A connection
        lost under a cancelled handler is never closed: the heartbeat's timer would hold
        this response and its connection for up to a heartbeat longer, and the reader
        would stay in their reference cycles until a full collection."""
        self.inbound.stop(read_on=False)
        self._cancel_heartbeat()
        self._parser = None

    def _post_start(self, request: BaseRequest, protocol: str | None, writer: WebSocketWriter) -> None:
        connection = request.protocol
        # Frames sent right behind the handshake: held back here to pass the check too.
        early, connection._message_tail = connection._message_tail, b""
        super()._post_start(request, protocol, writer)
        checked = CheckedReader(connection._payload_parser, self._reader, self.inbound, self._max_msg_size)
        self.inbound.attach(connection, checked.retry)
        connection._payload_parser = checked
        if early:
            checked.feed_data(early)
