"""What can stand between the server and the reader (`via`), and the faults a stream can be
asked to suffer (`drop`): the culprits lab's registry, read by the server, the page, the
client and the tests alike.

Sources say what is sent and transports how; a culprit says what it passes through on the
way. Each one reproduces a common reason a stream "arrives all at once", beside the
healthy stream, with its cause and its fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .transport import Transport


class Via(StrEnum):
    GZIP = "gzip"
    GZIP_FLUSH = "gzip-flush"
    PROXY = "proxy"


#: Transports a culprit stands in front of: the HTTP streams (a buffered body is held by
#: design, and a WebSocket's frames are not relayed this way).
VIA_TRANSPORTS = (Transport.CHUNKED, Transport.SSE)
#: Transports whose connection `drop` can cut.
DROP_TRANSPORTS = (Transport.CHUNKED, Transport.SSE, Transport.WEBSOCKET)
#: The block an emulated buffering proxy relays: nginx's default buffers are one memory
#: page each (proxy_buffer_size, proxy_buffers 8 x 4k here), and measured here it passes a
#: buffered response on 4096 bytes at a time (the first block less its headers).
PROXY_BLOCK_BYTES = 4096
#: With `drop`, SSE asks EventSource to reconnect after this many milliseconds (browsers
#: wait about 3 s by default), so the recovery is quick to watch.
DROP_RETRY_MS = 500


@dataclass(frozen=True)
class Culprit:
    via: Via
    label: str
    cause: str
    fix: str
    #: True when the app imitates the culprit rather than running the real thing.
    emulated: bool = False

    @property
    def name(self) -> str:
        return self.via.value

    def describe(self, applies_to: list[str]) -> dict[str, object]:
        return {
            "name": self.name,
            "label": self.label,
            "cause": self.cause,
            "fix": self.fix,
            "emulated": self.emulated,
            "applies_to": applies_to,
        }


CULPRITS: tuple[Culprit, ...] = (
    Culprit(
        Via.GZIP,
        "via gzip",
        "compressed the way a compression middleware does it, without a flush per message: "
        "the compressor holds everything until its buffer fills or the stream ends",
        "exempt streams from compression (text/event-stream, application/x-ndjson), "
        "or flush the compressor after every message",
    ),
    Culprit(
        Via.GZIP_FLUSH,
        "via gzip-flush",
        "compressed and flushed after every message (Z_SYNC_FLUSH): compressed and still progressive",
        "this is the fix for compression: flush per message",
    ),
    Culprit(
        Via.PROXY,
        "via proxy",
        f"relayed as a reverse proxy with default buffering does (nginx's proxy_buffering on): "
        f"in {PROXY_BLOCK_BYTES}-byte blocks, small messages only at the end. "
        "Emulated inside this app, and checked against real nginx by the tests",
        "send X-Accel-Buffering: no from the app, or set proxy_buffering off for the stream's location",
        emulated=True,
    ),
)
CULPRITS_BY_NAME = {culprit.name: culprit for culprit in CULPRITS}
VIA_NAMES = tuple(CULPRITS_BY_NAME)
DROP_DOC = (
    "cut the connection abruptly after N messages of that connection (no last chunk, no close frame): "
    "fetch fails, a WebSocket closes with 1006, EventSource reconnects with Last-Event-ID and resumes"
)


def misapplied(transport: Transport, via: str | None, drop: int | None) -> tuple[str, str] | None:
    """(param, message) when `via` or `drop` is asked of a transport it does not apply to."""
    if via is not None and transport not in VIA_TRANSPORTS:
        return "via", f"via applies to the HTTP streams ({', '.join(VIA_TRANSPORTS)}), not to a {transport} response"
    if drop is not None and transport not in DROP_TRANSPORTS:
        return "drop", f"drop applies to streams ({', '.join(DROP_TRANSPORTS)}), not to a {transport} response"
    return None
