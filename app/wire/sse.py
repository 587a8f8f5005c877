"""Server-Sent Events (WHATWG HTML, "Server-sent events"): the event stream format.

The encoder the server writes each message with (on every message's path, so it stays one
f-string), its arithmetic, the strict parser the terminal reads with (`SSEParser`, the
EventSource rules), and the counting decoder of the benchmark's load generator
(`EventCounter`: the same dispatches counted on bytes, nothing decoded).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from .errors import Limit, TooLarge
from .lines import OpenLine

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
_LINE_ENDS = re.compile(r"\r\n|\r|\n")
#: The longest line, and the most data an event may gather, in characters, unless the
#: parser's reader says otherwise: a line or an event without end would be held whole.
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
    data: list[str] = field(default_factory=list)
    event: str = ""


class SSEParser:
    """The EventSource parsing rules, fed one read at a time.

    Lines end in CRLF, LF or CR; a CR at the end of one read and an LF at the start of
    the next are one line end. A blank line dispatches the event; a comment starts with
    `:`; `field: value` loses one leading space; an event without data is not dispatched.
    The id field fills a buffer that becomes the last event id only when a blank line
    dispatches (even an event without data), so an event cut off mid-way does not move it;
    it persists across events and, seeded by `last_event_id`, across reconnections.
    `retry` takes effect as soon as its line is read, dispatched or not.
    """

    def __init__(
        self, last_event_id: str = "", max_line: int | None = MAX_LINE, max_event: int | None = MAX_EVENT
    ) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._open = OpenLine()
        self._skip_lf = False
        self._first = True
        self._pending = _Pending()
        self._pending_length = 0  # characters of data the pending event holds
        self._id_buffer = last_event_id
        self._max_line, self._max_event = max_line, max_event
        self.last_event_id = last_event_id
        self.retry: int | None = None

    def feed(self, data: bytes) -> list[SSEEvent]:
        """The events completed by `data`. TooLarge for a line of more than `max_line`
        characters (ended or not), or an event whose data passes `max_event`."""
        text = self._decoder.decode(data)
        if self._first and text:
            text = text.removeprefix(BOM)
            self._first = False
        events: list[SSEEvent] = []
        for line in self._lines(text):
            event = self._process(line)
            if event is not None:
                events.append(event)
        return events

    def _lines(self, text: str) -> list[str]:
        """The lines `text` ends; only `text` is split, the open line kept as pieces."""
        if self._skip_lf and text:
            text = text.removeprefix("\n")
            self._skip_lf = False
        *lines, rest = _LINE_ENDS.split(text)
        self._open.carry(lines, rest)
        if not rest and text.endswith("\r"):
            self._skip_lf = True
        longest = max(self._open.length, max(map(len, lines), default=0))
        if self._max_line is not None and longest > self._max_line:
            raise TooLarge(Limit.LINE, self._max_line)
        return lines

    def _process(self, line: str) -> SSEEvent | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._pending.data.append(value)
            self._pending_length += len(value) + 1
            if self._max_event is not None and self._pending_length > self._max_event + 1:
                raise TooLarge(Limit.EVENT, self._max_event)
        elif name == "event":
            self._pending.event = value
        elif name == "id" and "\0" not in value:
            self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        pending, self._pending, self._pending_length = self._pending, _Pending(), 0
        self.last_event_id = self._id_buffer
        if not pending.data:
            return None
        return SSEEvent(
            data="\n".join(pending.data),
            event=pending.event or "message",
            last_event_id=self.last_event_id,
            retry=self.retry,
        )


class EventCounter:
    """The events SSEParser would dispatch, counted on the bytes, one read at a time: each
    blank line ends an event, which counts if one of its lines is a `data` field. Nothing is
    decoded; the blocks between blank lines are found by `bytes.split` in C, so a stream of
    small events costs a few hundred nanoseconds an event. CR and CRLF line ends are turned
    into LF first (only a read that has a CR pays for that). Holds the event being read."""

    def __init__(self) -> None:
        #: The events counted so far.
        self.messages = 0
        self.received = 0
        self._block: list[bytes] = []  # the event being read, from its first line, as its reads
        self._skip_lf = False  # the last read ended with a CR: an LF opening this one is its pair
        self._first = True  # the stream's first event, which may open with a BOM

    def feed(self, data: bytes) -> None:
        self.received += len(data)
        if self._skip_lf or b"\r" in data:
            data = self._lf_only(data)
        if not data:
            return
        if self._block and b"\n\n" not in data and not (data[:1] == b"\n" and self._block[-1].endswith(b"\n")):
            self._block.append(data)  # the event goes on: joined once it ends, not at every read
            return
        blocks = b"".join([*self._block, data]).split(b"\n\n")
        last = blocks.pop()
        self._block = [last] if last else []
        if blocks and self._first:
            blocks[0] = blocks[0].removeprefix(_BOM_BYTES)
            self._first = False
        for block in blocks:
            # `in` and startswith settle every event of ours in C; other blocks take a step more.
            if b"\ndata:" in block or block.startswith(b"data:") or _has_bare_data(block):
                self.messages += 1

    def _lf_only(self, data: bytes) -> bytes:
        if not data:
            return data
        if self._skip_lf:
            data = data.removeprefix(b"\n")
        self._skip_lf = data.endswith(b"\r")
        return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _has_bare_data(block: bytes) -> bool:
    """Whether one of the block's lines is a `data` field without a colon (an empty line of data)."""
    return b"data" in block and b"data" in block.split(b"\n")
