"""What `diagnose` records of one exchange: its moments, its headers, every arrival of body data.

Times are milliseconds from the moment the request was sent (the connection's setup is
the only moment before it, as a duration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from .verdict import Arrival


class Ending(StrEnum):
    """Why reading stopped."""

    COMPLETE = "complete"  # the body's framing said it was whole (or the close frame came)
    CLOSED = "closed"  # the server closed the connection, which is how this body ends
    CUT = "cut"  # the connection closed before the framing said the body was whole
    TIMEOUT = "timeout"  # --timeout came first: judged on what arrived until then
    MAX_BYTES = "max-bytes"  # --max-bytes came first: judged on what arrived until then
    MAX_DECODED = "max-decoded-bytes"  # the body decoded to more than --max-decoded-bytes
    MAX_MESSAGE = "max-message-bytes"  # a line or an SSE event passed --max-message-bytes


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
    def first_content_ms(self) -> float | None:
        return next((arrival.t_ms for arrival in self.arrivals if arrival.decoded_bytes), None)

    def header(self, name: str) -> str:
        return self.headers.get(name, "")

    def timeline(self) -> list[dict[str, float | int]]:
        return [
            {"t_ms": a.t_ms, "wire_bytes": a.wire_bytes, "decoded_bytes": a.decoded_bytes, "messages": a.messages}
            for a in self.arrivals
        ]
