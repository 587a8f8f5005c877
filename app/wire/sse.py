"""Server-Sent Events (WHATWG HTML, "Server-sent events"): the event stream format.

The encoder the server writes each message with (on every message's path, so it stays one
f-string), its arithmetic, the strict parser the terminal reads with (`SSEParser`, the
EventSource rules), and the counting decoder of the benchmark's load generator
(`EventCounter`: the same dispatches counted on bytes, nothing decoded).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import Limit, TooLarge
from .lines import OpenLine, as_text

__all__ = [
    "BOM",
    "MAX_EVENT",
    "MAX_LINE",
    "EventCounter",
    "SSEEvent",
    "SSEParser",
    "encode_comment",
    "encode_event",
    "encode_retry",
    "event_bytes",
]

#: What a stream may open with, once; it is not part of the first field.
BOM = "\ufeff"
_BOM_BYTES = BOM.encode()
_DATA_FIELD = "data: "
_LINE_ENDS = re.compile(rb"\r\n|\r|\n")
_LF = b"\n"
_BLANK_LINE = b"\n\n"
_DATA = b"data:"
#: What a data line's start or a blank line needs of the bytes before a read: `\ndata` of
#: `\ndata:` or of `\ndata\n` (the first five bytes of either).
_TAIL = len(b"\ndata")
#: The longest line, and the most data an event may gather, in bytes, unless the parser's
#: reader says otherwise: a line or an event without end would be held whole.
MAX_LINE = 4 * 1024 * 1024
MAX_EVENT = 4 * 1024 * 1024


def encode_event(event_id: int, data: str) -> str:
    """One event with its id; a multi-line payload becomes one `data:` line per line."""
    if "\n" not in data:  # every message of ours: no split on the hot path
        return f"id: {event_id}\ndata: {data}\n\n"
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"id: {event_id}\n{lines}\n"


def encode_comment(text: str) -> bytes:
    """A comment line EventSource ignores (a keep-alive), ended as an event would be."""
    return f": {text}\n\n".encode()


def encode_retry(ms: int) -> bytes:
    """Sets EventSource's reconnection time, dispatching no event."""
    return f"retry: {ms}\n\n".encode()


def event_bytes(event_id: int, data: str) -> int:
    """The bytes `encode_event(event_id, data)` puts on the wire, without building it:
    `id: N\\n`, a `data: ` line per payload line, the blank line."""
    lines = data.count("\n") + 1
    return len(f"id: {event_id}\n") + lines * (len(_DATA_FIELD) + 1) + len(data.encode()) - (lines - 1) + 1


@dataclass(frozen=True)
class SSEEvent:
    """One dispatched event, as EventSource hands it to `onmessage`."""

    data: str
    event: str = "message"
    last_event_id: str = ""
    retry: int | None = None


@dataclass
class _Pending:
    data: list[bytes] = field(default_factory=list)
    event: bytes = b""


class SSEParser:
    """The EventSource parsing rules, fed one read at a time.

    Lines end in CRLF, LF or CR; a CR at the end of one read and an LF at the start of
    the next are one line end. A blank line dispatches the event; a comment starts with
    `:`; `field: value` loses one leading space; an event without data is not dispatched.
    The id field fills a buffer that becomes the last event id only when a blank line
    dispatches (even an event without data), so an event cut off mid-way does not move it;
    it persists across events and, seeded by `last_event_id`, across reconnections.
    `retry` takes effect as soon as its line is read, dispatched or not.

    Lines are split on the bytes and decoded once whole (as LineSplitter does), so the
    bounds count bytes, as they cross the wire, whatever characters they carry.
    """

    def __init__(
        self, last_event_id: str = "", max_line: int | None = MAX_LINE, max_event: int | None = MAX_EVENT
    ) -> None:
        self._open = OpenLine()
        self._skip_lf = False
        self._start: bytes | None = b""  # the stream's first bytes while they may be its BOM
        self._pending = _Pending()
        self._pending_length = 0  # bytes of data the pending event holds, an LF after each line
        self._id_buffer = last_event_id
        self._max_line, self._max_event = max_line, max_event
        self.last_event_id = last_event_id
        self.retry: int | None = None

    def feed(self, data: bytes) -> list[SSEEvent]:
        """The events completed by `data`. TooLarge for a line of more than `max_line`
        bytes (ended or not), or an event whose data passes `max_event` bytes."""
        if self._start is not None:
            self._start, data = _after_bom(self._start + data)
        events: list[SSEEvent] = []
        for line in self._lines(data):
            event = self._process(line)
            if event is not None:
                events.append(event)
        return events

    def _lines(self, data: bytes) -> list[bytes]:
        """The lines `data` ends; only `data` is split, the open line kept as pieces."""
        if self._skip_lf and data:
            data = data.removeprefix(_LF)
            self._skip_lf = False
        *lines, rest = _LINE_ENDS.split(data)
        self._open.carry(lines, rest)
        if not rest and data.endswith(b"\r"):
            self._skip_lf = True
        longest = max(self._open.length, max(map(len, lines), default=0))
        if self._max_line is not None and longest > self._max_line:
            raise TooLarge(Limit.LINE, self._max_line)
        return lines

    def _process(self, line: bytes) -> SSEEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(b":"):
            return None
        name, _, value = line.partition(b":")
        value = value.removeprefix(b" ")
        if name == b"data":
            self._pending.data.append(value)
            self._pending_length += len(value) + 1
            if self._max_event is not None and self._pending_length > self._max_event + 1:
                raise TooLarge(Limit.EVENT, self._max_event)
        elif name == b"event":
            self._pending.event = value
        elif name == b"id" and b"\0" not in value:
            self._id_buffer = as_text(value)
        elif name == b"retry" and value.isdigit():  # bytes: ASCII digits only
            self.retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        pending, self._pending, self._pending_length = self._pending, _Pending(), 0
        self.last_event_id = self._id_buffer
        if not pending.data:
            return None
        return SSEEvent(
            data=as_text(_LF.join(pending.data)),
            event=as_text(pending.event) or "message",
            last_event_id=self.last_event_id,
            retry=self.retry,
        )


class EventCounter:
    """The events SSEParser would dispatch, counted on the bytes, one read at a time: each
    blank line ends an event, which counts if one of its lines is a `data` field. Nothing is
    decoded; the blocks between blank lines are found by `bytes.split` in C, so a stream of
    small events costs a few hundred nanoseconds an event. CR and CRLF line ends are turned
    into LF first (only a read that has a CR pays for that).

    Like LineCounter, it holds no line and no event: only whether the event being read has
    a `data` line yet, and its last few bytes, where a `data` line's start or a blank line
    may straddle two reads. A line or an event without end costs no memory.
    """

    def __init__(self) -> None:
        #: The events counted so far.
        self.messages = 0
        self.received = 0
        # The open event's last bytes, after an LF that stands for the start of the stream or
        # of the event: every line of it is then found after an LF, its first one included.
        self._tail = _LF
        self._has_data = False  # the open event has a `data` line
        self._skip_lf = False  # the last read ended with a CR: an LF opening this one is its pair
        self._start: bytes | None = b""  # the stream's first bytes while they may be its BOM

    def feed(self, data: bytes) -> None:
        self.received += len(data)
        if self._skip_lf or b"\r" in data:
            data = self._lf_only(data)
        if self._start is not None:
            self._start, data = _after_bom(self._start + data)
        if not data:
            return
        # One function, no call per read: the load generator may feed each event on its own.
        window = self._tail + data  # a few bytes copied in front: each read is scanned once
        blocks = window.split(_BLANK_LINE)
        last = blocks.pop()
        if not blocks:  # no blank line: the open event goes on
            self._has_data = self._has_data or _has_data_line(window)
            self._tail = window[-_TAIL:]
            return
        # The first block ends the open event; every later one is an event from its first line.
        first = blocks[0]
        self.messages += self._has_data or b"\ndata:" in first or _has_data_line(first, ended=True)
        for block in blocks[1:]:
            # `in` and startswith settle every event of ours in C; other blocks take a step more.
            self.messages += b"\ndata:" in block or block.startswith(_DATA) or _has_bare_data(block)
        if last:
            opened = _LF + last
            self._has_data, self._tail = _has_data_line(opened), opened[-_TAIL:]
        else:
            self._has_data, self._tail = False, _LF

    def _lf_only(self, data: bytes) -> bytes:
        if not data:
            return data
        if self._skip_lf:
            data = data.removeprefix(_LF)
        self._skip_lf = data.endswith(b"\r")
        return data.replace(b"\r\n", _LF).replace(b"\r", _LF)


def _after_bom(opening: bytes) -> tuple[bytes | None, bytes]:
    """The stream's first bytes without the BOM it may open with: (what to hold while they
    may still be its start, None once they tell; what to read)."""
    if len(opening) < len(_BOM_BYTES) and _BOM_BYTES.startswith(opening):
        return opening, b""
    return None, opening.removeprefix(_BOM_BYTES)


def _has_data_line(block: bytes, ended: bool = False) -> bool:
    """Whether `block`, its lines each after an LF, has a `data` line: with a value, or bare
    (a line of `data` alone, which an `ended` block may end with)."""
    if b"\ndata" not in block:
        return False
    return b"\ndata:" in block or b"\ndata\n" in block or (ended and block.endswith(b"\ndata"))


def _has_bare_data(block: bytes) -> bool:
    """Whether one of the block's lines is a `data` field without a colon (an empty line of data)."""
    return b"data" in block and b"data" in block.split(_LF)
