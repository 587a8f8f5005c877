"""What the client reads into: each endpoint's messages and figures.

Each endpoint is read by the framing the registry declares for it, so a new endpoint is
read without client code as long as it is framed like an existing one.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import aiohttp

from ...endpoints import Endpoint
from ...wire.coding import MAX_DECODED
from ...wire.sse import MAX_EVENT


@dataclass(frozen=True)
class Message:
    endpoint: str
    t_ms: float  # since the client started
    text: str
    sent_ms: float | None = None  # the server's send stamp, epoch ms
    delay_ms: float | None = None  # arrival minus send stamp
    stream: str = ""  # the stream's label: `chunked`, or `chunked via gzip` beside it


@dataclass
class StreamResult:
    """What one endpoint delivered, for the summary."""

    endpoint: str
    shape: str
    url: str
    stream: str = ""  # the label: `chunked`, `chunked via gzip`
    via: str | None = None
    #: The faults asked of it (`--drop`, `--idle`, `--heartbeat`), None where not: a value
    #: no JSON number holds (`nan`, which the server refuses) stays the text sent.
    drop: int | None = None
    idle: float | str | None = None
    heartbeat: float | str | None = None
    connections: int = 0  # requests answered; SSE's reconnections included
    status: int | None = None
    ttfb_ms: float | None = None
    first_ms: float | None = None
    last_ms: float | None = None
    messages: int = 0
    body_bytes: int = 0  # decoded, as the parsers read it
    encoded_bytes: int | None = None  # the body as it crossed the wire, when it had a Content-Encoding
    payload_bytes: int = 0
    chunks: int = 0
    transfer_bytes: int = 0  # chunk size lines and CRLFs, or WebSocket frame headers
    syntax_bytes: int = 0  # SSE's `id:`/`data:` fields and blank lines
    close_code: int | None = None
    error: str | None = None
    messages_not_kept: int = 0  # --json: messages counted here but not listed (document.KEPT_MESSAGES)


class StreamError(Exception):
    """The server refused a stream; `message` is what it said."""

    def __init__(self, endpoint: str, status: int, message: str) -> None:
        super().__init__(f"{endpoint}: HTTP {status}: {message}")
        self.endpoint, self.status, self.message = endpoint, status, message


def counted(number: int, noun: str) -> str:
    """`1 message`, `2 messages`."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


class StreamCut(Exception):
    """The connection closed before the end of the body (no last chunk, short of Content-Length)."""


Sink = Callable[[Message], None]
#: A line about a stream that is not a message (a reconnection), for the live view.
Note = Callable[[str, str], None]


def _no_note(stream: str, text: str) -> None:
    pass


@dataclass
class Context:
    """Shared by every reader of one run: the session, the start instant and the sink."""

    session: aiohttp.ClientSession
    sink: Sink
    note: Note = _no_note
    start: float = field(default_factory=time.perf_counter)
    start_epoch_ms: float = field(default_factory=lambda: time.time() * 1000)
    #: Bytes of one response read from the wire, what its body may decode to, and the
    #: longest line, SSE event, JSON item or WebSocket message: past one, a stream stops (TooLarge).
    max_bytes: int | None = None
    max_decoded: int | None = MAX_DECODED
    max_message: int | None = MAX_EVENT

    def now_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000


def deliver(ctx: Context, result: StreamResult, text: str, sent_ms: float | None, wire_bytes: int) -> None:
    """Record one message and hand it to the sink at once."""
    t_ms = ctx.now_ms()
    delay = None if sent_ms is None else round(time.time() * 1000 - sent_ms, 3)
    message = Message(result.endpoint, round(t_ms, 3), text, sent_ms, delay, result.stream)
    if result.first_ms is None:
        result.first_ms = message.t_ms
    result.last_ms = message.t_ms
    result.messages += 1
    result.payload_bytes += wire_bytes
    ctx.sink(message)


#: The most of a refusal's body read for its message: an `{"error": ...}` is far shorter,
#: and a refusal whose body never ends must not be read, and held, for ever.
REFUSAL_BYTES = 64 * 1024


async def refusal_message(response: aiohttp.ClientResponse) -> str:
    """The server's `{"error": ...}` text, or the start of whatever body it sent."""
    body = await read_at_most(response.content, REFUSAL_BYTES)
    try:
        document = json.loads(body)
        return str(document["error"])
    except (ValueError, KeyError, TypeError):
        return body[:200].decode(errors="replace") or response.reason or "no message"


async def read_at_most(content: aiohttp.StreamReader, limit: int) -> bytes:
    """A body's first `limit` bytes (fewer if it ends first); the rest is left unread."""
    body = bytearray()
    while len(body) < limit and (data := await content.read(limit - len(body))):
        body += data
    return bytes(body)


def seconds_or_text(text: str | None) -> float | str | None:
    """A fault's seconds as typed, as a number when one holds it (`nan` does not)."""
    if text is None:
        return None
    value = float(text)
    return value if math.isfinite(value) else text


def new_result(
    endpoint: Endpoint,
    url: str,
    label: str = "",
    via: str | None = None,
    faults: Mapping[str, str] | None = None,
) -> StreamResult:
    """The result to fill for one stream; `faults` maps a fault's name to its value as typed."""
    faults = faults or {}
    drop = faults.get("drop")
    return StreamResult(
        endpoint=endpoint.name,
        shape=endpoint.framing.value,
        url=url,
        stream=label or endpoint.name,
        via=via,
        drop=None if drop is None else int(drop),
        idle=seconds_or_text(faults.get("idle")),
        heartbeat=seconds_or_text(faults.get("heartbeat")),
    )
