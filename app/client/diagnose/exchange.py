"""What `diagnose` records of one exchange: its moments, its headers, every arrival of body data.

Times are milliseconds from the moment the request was sent (the connection's setup is
the only moment before it, as a duration).

An arrival is what came in one window of the timeline: reads within one are a single
arrival, timed at its first read, with the bytes and messages of all. A window is a
millisecond (the timeline is shown and judged in ms), made coarser only past MAX_ARRIVALS
windows, so that a server trickling a few bytes per read until --timeout holds the timeline
to MAX_ARRIVALS entries, not one per read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from ...wire.errors import Limit, TooLarge
from ..options import TIMEOUT_BOUNDS, stopped
from .verdict import Arrival

#: Reads in one window of this many ms (counted from the request's sending) are one arrival.
ARRIVAL_MS = 1.0
#: The coarsest window a timeline comes to within --timeout's longest (an hour). An arrival
#: is timed at its first read, so a stream read without pause may seem to pause between two
#: arrivals for up to two windows (under 128 ms): the verdict must weigh only longer
#: silences (it does: a fifth of the life, seconds once windows coarsen).
COARSEST_MS = 64.0
#: The most arrivals a timeline holds: an hour of the coarsest windows (about 8 MB). Past
#: them, the windows are doubled and the arrivals in each joined, as often as it takes.
MAX_ARRIVALS = int(TIMEOUT_BOUNDS[1] * 1000 / COARSEST_MS)


class Ending(StrEnum):
    """Why reading stopped."""

    COMPLETE = "complete"  # the body's framing said it was whole (or the close frame came)
    CLOSED = "closed"  # the server closed the connection, which is how this body ends
    CUT = "cut"  # the connection closed before the framing said the body was whole
    TIMEOUT = "timeout"  # --timeout came first (or NOT_A_STREAM_SECONDS): judged on what arrived until then
    MAX_BYTES = "max-bytes"  # --max-bytes came first (or NOT_A_STREAM_BYTES): judged on what arrived until then
    MAX_DECODED = "max-decoded-bytes"  # the body decoded to more than --max-decoded-bytes
    MAX_MESSAGE = "max-message-bytes"  # a line, an SSE event or a WebSocket message passed --max-message-bytes


#: How a reading stopped by each bound of the body's codecs ends.
BOUND_ENDINGS = {
    Limit.BODY: Ending.MAX_BYTES,
    Limit.DECODED: Ending.MAX_DECODED,
    Limit.LINE: Ending.MAX_MESSAGE,
    Limit.EVENT: Ending.MAX_MESSAGE,
    Limit.MESSAGE: Ending.MAX_MESSAGE,
}


#: The headers that decide whether a stream streams, in the order they are shown.
STREAMING_HEADERS = (
    "content-type",
    "content-length",
    "transfer-encoding",
    "content-encoding",
    "cache-control",
    "x-accel-buffering",
    "x-content-type-options",
    "server",
    "via",
)


@dataclass
class Exchange:
    url: str
    method: str = "GET"
    http_version: str = ""
    status: int = 0
    reason: str = ""
    #: Response header names lower-cased; repeated fields joined with ", ".
    headers: dict[str, str] = field(default_factory=dict)
    #: URLs that redirected here, in order.
    redirects: list[str] = field(default_factory=list)
    #: The user's request headers a redirect left behind (credentials kept from another
    #: origin, a body's type dropped with the body), as the user named them.
    withheld: list[str] = field(default_factory=list)
    connect_ms: float = 0.0
    headers_ms: float = 0.0
    arrivals: list[Arrival] = field(default_factory=list)
    #: Reads recorded (`record`): more than the arrivals when reads shared a window; and
    #: their bytes, the wire_bytes a reader holds to --max-bytes without summing the timeline.
    reads: int = 0
    received: int = 0
    #: The width of the timeline's windows: ARRIVAL_MS, or coarser past MAX_ARRIVALS.
    resolution_ms: float = ARRIVAL_MS
    ending: Ending = Ending.COMPLETE
    end_ms: float = 0.0
    #: "bytes", "events" (SSE), "lines" (NDJSON) or "messages" (WebSocket).
    reading: str = "bytes"
    #: HTTP/1.1 chunked framing seen: chunks and their size lines and CRLFs.
    chunks: int = 0
    framing_bytes: int = 0
    #: A WebSocket's close code (1005 when its close frame carried none).
    close_code: int | None = None
    #: Set when the body was not HTTP the reader could follow (bad chunk framing, bad gzip).
    body_error: str = ""
    #: Set when a size bound stopped the reading: the line that names it and its option.
    stopped_by: str = ""
    #: The start of the body of an answer that is not a stream (an error status, a WebSocket
    #: URL not upgraded), whitespace folded: what it says, to show.
    body_preview: str = ""

    @property
    def wire_bytes(self) -> int:
        return sum(arrival.wire_bytes for arrival in self.arrivals)

    @property
    def decoded_bytes(self) -> int:
        return sum(arrival.decoded_bytes for arrival in self.arrivals)

    @property
    def messages(self) -> int:
        return sum(arrival.messages for arrival in self.arrivals)

    @property
    def messages_known(self) -> bool:
        return self.reading != "bytes"

    @property
    def upgrade_asked(self) -> bool:
        """A ws:// or wss:// URL: the WebSocket handshake was asked for."""
        return urlsplit(self.url).scheme in ("ws", "wss")

    @property
    def not_upgraded(self) -> bool:
        """The WebSocket handshake was asked for and answered without 101 Switching Protocols."""
        return self.upgrade_asked and self.status != 101

    @property
    def error_status(self) -> bool:
        return self.status >= 400

    @property
    def first_content_ms(self) -> float | None:
        return next((arrival.t_ms for arrival in self.arrivals if arrival.decoded_bytes), None)

    def record(self, arrival: Arrival) -> None:
        """One read on the timeline: joined to the last arrival when in its window; the
        windows made coarser when the timeline would hold more than MAX_ARRIVALS."""
        self.reads, self.received = self.reads + 1, self.received + arrival.wire_bytes
        last = self.arrivals[-1] if self.arrivals else None
        if last is not None and same_window(last, arrival, self.resolution_ms):
            self.arrivals[-1] = joined(last, arrival)
            return
        self.arrivals.append(arrival)
        while len(self.arrivals) > MAX_ARRIVALS:
            self.resolution_ms *= 2
            self.arrivals[:] = merged(self.arrivals, self.resolution_ms)

    def stop(self, error: TooLarge) -> None:
        """A size bound stopped the reading: noted with the line that names it and its option."""
        self.stopped_by, self.ending = stopped(error), BOUND_ENDINGS[error.limit]
        self.body_error = self.stopped_by.removeprefix("stopped: ")

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    def timeline(self) -> list[dict[str, float | int]]:
        return [
            {"t_ms": a.t_ms, "wire_bytes": a.wire_bytes, "decoded_bytes": a.decoded_bytes, "messages": a.messages}
            for a in self.arrivals
        ]


def same_window(earlier: Arrival, later: Arrival, window_ms: float) -> bool:
    return earlier.t_ms // window_ms == later.t_ms // window_ms


def joined(earlier: Arrival, later: Arrival) -> Arrival:
    """One arrival of two: the earlier's time, the bytes and messages of both."""
    return Arrival(
        earlier.t_ms,
        earlier.wire_bytes + later.wire_bytes,
        earlier.decoded_bytes + later.decoded_bytes,
        earlier.messages + later.messages,
    )


def merged(arrivals: list[Arrival], window_ms: float) -> list[Arrival]:
    """`arrivals` (in time order) with those in one window of `window_ms` joined."""
    windows: list[Arrival] = []
    for arrival in arrivals:
        if windows and same_window(windows[-1], arrival, window_ms):
            windows[-1] = joined(windows[-1], arrival)
        else:
            windows.append(arrival)
    return windows
