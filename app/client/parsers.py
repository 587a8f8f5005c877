"""Pure parsers of what the client reads: lines, Server-Sent Events and send stamps.

Nothing here touches a socket. Every parser is fed the bytes of one read at a time and
keeps the partial tail, because a read may end anywhere: inside a line, inside a UTF-8
character, between the CR and the LF of a line end.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

__all__ = ["LineSplitter", "SSEEvent", "SSEParser", "split_stamp"]

#: ` @<epoch ms with 3 decimals>` at the end of a stamped text message.
_STAMP = re.compile(r" @(\d+\.\d{3})$")


def split_stamp(text: str) -> tuple[str, float | None]:
    """`("Chunk 0", 1764000000000.0)` for `"Chunk 0 @1764000000000.000"`; no stamp gives None."""
    match = _STAMP.search(text)
    if match is None:
        return text, None
    return text[: match.start()], float(match.group(1))


class LineSplitter:
    """Complete `\\n`-terminated lines out of arbitrary reads (NDJSON, text, ijson events)."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._tail = ""

    def feed(self, data: bytes) -> list[str]:
        """The lines completed by `data`, without their line end (a trailing CR is dropped too)."""
        text = self._tail + self._decoder.decode(data)
        *lines, self._tail = text.split("\n")
        return [line.removesuffix("\r") for line in lines]

    def close(self) -> list[str]:
        """At end of stream: the unterminated last line, if there is one."""
        text = self._tail + self._decoder.decode(b"", final=True)
        self._tail = ""
        return [text.removesuffix("\r")] if text else []


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
    """The WHATWG EventSource parsing rules, fed one read at a time.

    Lines end in CRLF, LF or CR; a CR at the end of one read and an LF at the start of
    the next are one line end. A blank line dispatches the event; a comment starts with
    `:`; `field: value` loses one leading space; an event without data is not dispatched.
    The id field fills a buffer that becomes the last event id only when a blank line
    dispatches (even an event without data), so an event cut off mid-way does not move it;
    it persists across events and, seeded by `last_event_id`, across reconnections.
    `retry` takes effect as soon as its line is read, dispatched or not.
    """

    def __init__(self, last_event_id: str = "") -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""
        self._skip_lf = False
        self._first = True
        self._pending = _Pending()
        self._id_buffer = last_event_id
        self.last_event_id = last_event_id
        self.retry: int | None = None

    def feed(self, data: bytes) -> list[SSEEvent]:
        """The events completed by `data`."""
        text = self._decoder.decode(data)
        if self._first and text:
            # A stream may begin with one BOM, which is not part of the first field.
            text = text.removeprefix("\ufeff")
            self._first = False
        events: list[SSEEvent] = []
        for line in self._lines(text):
            event = self._process(line)
            if event is not None:
                events.append(event)
        return events

    def _lines(self, text: str) -> list[str]:
        if self._skip_lf and text:
            text = text.removeprefix("\n")
            self._skip_lf = False
        parts = re.split(r"\r\n|\r|\n", self._buffer + text)
        self._buffer = parts.pop()
        if self._buffer == "" and text.endswith("\r"):
            self._skip_lf = True
        return parts

    def _process(self, line: str) -> SSEEvent | None:
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._pending.data.append(value)
        elif name == "event":
            self._pending.event = value
        elif name == "id" and "\0" not in value:
            self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)
        return None

    def _dispatch(self) -> SSEEvent | None:
        pending, self._pending = self._pending, _Pending()
        self.last_event_id = self._id_buffer
        if not pending.data:
            return None
        return SSEEvent(
            data="\n".join(pending.data),
            event=pending.event or "message",
            last_event_id=self.last_event_id,
            retry=self.retry,
        )
