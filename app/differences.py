"""What differs between the transports, said plainly: the facts the page's comparison shows.

Keyed by transport, so a new endpoint on an existing transport needs nothing here; a new
transport without its facts fails the tests. The page adds what each run measured beside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from .transport import Transport


@dataclass(frozen=True)
class Differences:
    """One transport as a user choosing between them needs it told. Text with `code` in backticks."""

    label: str
    browser_api: str
    framing: str
    direction: str
    reconnection: str
    in_the_way: str


DIFFERENCES: dict[Transport, Differences] = {
    Transport.CHUNKED: Differences(
        label="Chunked HTTP",
        browser_api="`fetch()` and a stream reader",
        framing="each chunk's size in hex and two CRLFs (5-8 B at these sizes), a 5-byte last chunk",
        direction="server to browser, one response",
        reconnection="none: the page fetches again and must say where to resume",
        in_the_way="held by a buffering proxy and by compression without a flush per message",
    ),
    Transport.BUFFERED: Differences(
        label="Buffered (Content-Length)",
        browser_api="`fetch()`, or any HTTP client",
        framing="none: `Content-Length` and the body as it is",
        direction="server to browser, one response",
        reconnection="none: fetch again",
        in_the_way="nothing to hold: the whole body comes at the end by design",
    ),
    Transport.SSE: Differences(
        label="Server-Sent Events",
        browser_api="`EventSource`",
        framing="`id:` and `data:` fields and a blank line per event, inside chunked transfer",
        direction="server to browser; the browser cannot send on it",
        reconnection="built in: EventSource reconnects after `retry` and resumes with `Last-Event-ID`",
        in_the_way="like chunked: send `X-Accel-Buffering: no`, leave `text/event-stream` uncompressed",
    ),
    Transport.WEBSOCKET: Differences(
        label="WebSocket",
        browser_api="`WebSocket`",
        framing="a 2-byte frame header up to 125 B (4 up to 64 KiB, 10 beyond); the browser's frames add a 4-byte mask",
        direction="full duplex: both sides send at any time",
        reconnection="none: the page opens a new socket and resumes itself",
        in_the_way="a proxy must pass the `Upgrade`; after it frames pass through unbuffered",
    ),
}


def differences_document(transports: Sequence[Transport]) -> list[dict[str, str]]:
    """The facts of each transport in `transports`, in that order, for the page."""
    return [{"transport": transport.value, **asdict(DIFFERENCES[transport])} for transport in transports]
