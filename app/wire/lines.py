"""Newline-delimited text: a text stream's lines, NDJSON's records, ijson's event lines.

A line ends with LF; a CR before it is dropped; the body's end ends an unterminated last
line. `LineSplitter` is the strict decoder (the lines as text, for the terminal);
`LineCounter` counts the same lines on the bytes without decoding them, for `diagnose` and
the benchmark's load generator. (The sources write their lines themselves, as one f-string
per message ending in `\\n`: the server's hot path.)
"""

from __future__ import annotations

from .errors import Limit, TooLarge

__all__ = ["MAX_LINE", "LineCounter", "LineSplitter", "OpenLine", "as_text"]

_LF = b"\n"
#: The longest line, in bytes, unless its reader says otherwise: no message of a stream is
#: this long, and a line without end would otherwise be held whole.
MAX_LINE = 4 * 1024 * 1024


class OpenLine:
    """The line a decoder has begun and not ended, kept as the bytes that came and joined
    once, when it ends: a long line costs time in proportion to its length, not a re-scan
    of it per read. Shared by every text decoder (lines here, SSE's fields).

    Lines are split on the bytes and each decoded once it is whole: a line end is ASCII,
    never part of a UTF-8 sequence, so the text is what decoding the stream would give, and
    a bound counts the bytes a line has on the wire, whatever its characters."""

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        #: Bytes held.
        self.length = 0

    def carry(self, lines: list[bytes], rest: bytes) -> None:
        """`lines` ended by a read (the first one completes the open line, joined in place)
        and `rest`, what the read left open."""
        if lines and self.pieces:
            lines[0] = b"".join([*self.pieces, lines[0]])
            self.pieces, self.length = [], 0
        if rest:
            self.pieces.append(rest)
            self.length += len(rest)

    def take(self) -> bytes:
        """The open line, now ended by the stream's end."""
        line = b"".join(self.pieces)
        self.pieces, self.length = [], 0
        return line


def as_text(line: bytes) -> str:
    """A whole line's bytes as text: UTF-8, each bad sequence replaced by U+FFFD."""
    return line.decode(errors="replace")


class LineSplitter:
    """Complete lines out of arbitrary reads, decoded as UTF-8 (bad bytes replaced).

    Only the new bytes of each read are searched for line ends; a line still open is kept as
    its pieces, joined once it ends, so a long line costs time in proportion to its length.
    TooLarge for a line of more than `max_line` bytes, ended or not (None: no bound)."""

    def __init__(self, max_line: int | None = MAX_LINE) -> None:
        self._max_line = max_line
        self._open = OpenLine()

    def feed(self, data: bytes) -> list[str]:
        """The lines completed by `data`, without their line end (a trailing CR is dropped too)."""
        *lines, rest = data.split(_LF)
        self._open.carry(lines, rest)
        lines = [line.removesuffix(b"\r") for line in lines]
        self._check(lines)
        return [as_text(line) for line in lines]

    def close(self) -> list[str]:
        """At end of stream: the unterminated last line, if there is one."""
        line = self._open.take()
        return [as_text(line.removesuffix(b"\r"))] if line else []

    def _check(self, lines: list[bytes]) -> None:
        if self._max_line is None:
            return
        # A CR at the open line's end may be the first half of its CRLF: not the line's.
        pieces = self._open.pieces
        open_length = self._open.length - (pieces[-1].endswith(b"\r") if pieces else 0)
        if max(max(map(len, lines), default=0), open_length) > self._max_line:
            raise TooLarge(Limit.LINE, self._max_line)


class LineCounter:
    """The lines LineSplitter would give, counted on the bytes (`bytes.count`, in C), one read
    at a time; only the end of the last read is kept.

    With `suffix`, only the lines that end with it right before their LF count (`b"}"`: the
    items of a JSON array written one per line). With `skip_blank`, lines of nothing but
    white space do not count (what `diagnose` calls a message), at a Python step a line.
    """

    def __init__(self, suffix: bytes = b"", skip_blank: bool = False) -> None:
        if _LF in suffix or (suffix and skip_blank):
            raise ValueError("a suffix is what a line ends with before its LF, and not with skip_blank")
        self._suffix, self._skip_blank = suffix, skip_blank
        self._marker = suffix + _LF
        #: The lines counted so far.
        self.messages = 0
        self.received = 0
        self._end = b""  # the last len(suffix) bytes before this read: a marker may straddle two
        self._open = False  # the line being read has begun (with skip_blank: has more than white space)

    def feed(self, data: bytes) -> int:
        """How many lines `data` completed."""
        if not data:
            return 0
        self.received += len(data)
        counted = self._count_non_blank(data) if self._skip_blank else self._count(data)
        self.messages += counted
        return counted

    def _count(self, data: bytes) -> int:
        self._open = not data.endswith(_LF)
        if not self._suffix:
            return data.count(_LF)
        window = self._end + data
        self._end = window[-len(self._suffix) :]
        return window.count(self._marker)

    def _count_non_blank(self, data: bytes) -> int:
        *ended, rest = data.split(_LF)
        counted = 0
        for line in ended:
            counted += self._open or bool(line.strip())
            self._open = False
        self._open = self._open or bool(rest.strip())
        return counted

    def close(self) -> int:
        """At the end of the body: 1 for an unterminated last line that counts, else 0."""
        last = self._open and (not self._suffix or self._end.endswith(self._suffix))
        self._open = False
        self.messages += last
        return int(last)
