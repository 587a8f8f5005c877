"""One exchange with any URL, over a plain socket (TLS when asked), recorded read by read.

No HTTP library in between: each read from the socket is recorded on the timeline, with
the bytes that crossed the wire and what they decode to (reads within a millisecond are one
arrival). HTTP/1.1 is spoken (and asked for by ALPN over TLS), so the chunk framing is what
the server or its proxy sent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

from ...exits import EXIT_BAD_RESPONSE, EXIT_TIMEOUT
from ...wire.coding import DECODABLE, MAX_DECODED
from ...wire.errors import TooLarge, WireError
from ...wire.http import Head, encode_request, parse_head, request_target
from ...wire.sse import MAX_EVENT
from ...wire.websocket import accept_key, handshake_headers, handshake_key
from .body import BodyReading, MessageCounter
from .connection import READ_SIZE, Clock, Connection, Failure, connect
from .exchange import Ending, Exchange
from .redirects import CREDENTIAL_HEADERS, DEFAULT_PORTS, Hop, follow
from .verdict import Arrival
from .websocket import read_frames

#: Redirects followed before giving up, as browsers and curl cap them too (both at 20; a
#: stream behind more than a few is a finding in itself).
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
#: Encodings the reader can undo, so it asks for them as a browser would.
ACCEPT_ENCODING = ", ".join(coding for coding in DECODABLE if not coding.startswith("x-"))
USER_AGENT = "transport-lab-diagnose"
#: An answer that is not a stream (an error status, a WebSocket URL not upgraded) is read for
#: what it says, not for its timing, which proves nothing: at most this many bytes, for at most
#: this long after its head (within --max-bytes and --timeout), so that a plain 200 streaming
#: in place of a WebSocket does not hold the command until --timeout...
NOT_A_STREAM_BYTES = 64 * 1024
NOT_A_STREAM_SECONDS = 2.0
#: ...and the start of what it decodes to is kept, then shown this long at most.
PREVIEW_BYTES = 1024
PREVIEW_CHARS = 200


@dataclass(frozen=True)
class Ask:
    """What to ask of the URL, and the bounds of the asking."""

    url: str
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    data: bytes | None = None
    timeout: float = 30.0
    max_bytes: int = 16 * 1024 * 1024
    insecure: bool = False
    #: More header names (lower-cased) to withhold from another origin, beside CREDENTIAL_HEADERS.
    sensitive: frozenset[str] = frozenset()
    #: What the body may decode to, and the longest line, SSE event or WebSocket message it may hold.
    max_decoded: int = MAX_DECODED
    max_message: int = MAX_EVENT


async def exchange(ask: Ask) -> Exchange:
    """The exchange with `ask.url`, following at most MAX_REDIRECTS redirects."""
    deadline = time.monotonic() + ask.timeout
    hop = Hop(ask.url, ask.method, ask.headers, ask.data)
    sensitive = CREDENTIAL_HEADERS | ask.sensitive
    redirects: list[str] = []
    while True:
        result, location = await one_exchange(ask, hop, deadline)
        if location is None:
            result.redirects = redirects
            result.withheld = [name for name, value in ask.headers if (name, value) not in hop.headers]
            return result
        if len(redirects) == MAX_REDIRECTS:
            raise Failure(EXIT_BAD_RESPONSE, f"more than {MAX_REDIRECTS} redirects; the last pointed to {location}")
        redirects.append(hop.url)
        hop = follow(hop, result.status, location, sensitive)


async def one_exchange(ask: Ask, hop: Hop, deadline: float) -> tuple[Exchange, str | None]:
    """One request and its answer: (the exchange, a redirect's Location or None)."""
    url, method, data = hop.url, hop.method, hop.data
    parts = urlsplit(url)
    websocket = parts.scheme in ("ws", "wss")
    result = Exchange(url=url, method=method)
    started = time.perf_counter()
    port, tls = parts.port or DEFAULT_PORTS[parts.scheme], parts.scheme in ("https", "wss")
    plain = without_tls(parts, port) if tls else ""
    connection = await connect(parts.hostname or "", port, tls, ask.insecure, deadline, plain)
    try:
        result.connect_ms = round((time.perf_counter() - started) * 1000, 3)
        key = handshake_key() if websocket else ""
        request = request_head(url, method, hop.headers, data, key)
        # From the moment the request is handed to the socket: a clock started after the
        # send returns starts late by however long this process waited for the loop
        # meanwhile (a busy machine made nginx's held head, 452 ms, read as 212 ms).
        clock = Clock()
        await send_request(connection, request)
        head, rest = await read_head(connection, websocket)
        result.headers_ms = clock.ms()
        note_head(result, head)
        location = result.header("location")
        if result.status in REDIRECTS and location:
            return result, location
        if websocket and result.status == 101:
            check_accept(result, key)
            await read_frames(connection, result, rest, clock, ask.max_bytes, ask.max_message)
        elif result.not_upgraded or result.error_status:
            await read_not_a_stream(connection, result, head, rest, ask, clock)
        else:
            body = BodyReading(head, method, max_decoded=ask.max_decoded, max_message=ask.max_message)
            await read_body(connection, result, body, rest, ask.max_bytes, clock)
        return result, None
    finally:
        await connection.close()


def without_tls(parts: SplitResult, port: int) -> str:
    """The URL over http:// or ws://, on the same port (named: the plain default is another)."""
    netloc = parts.netloc if parts.port else f"{parts.netloc}:{port}"
    return urlunsplit(parts._replace(scheme=parts.scheme.removesuffix("s"), netloc=netloc))


def request_head(url: str, method: str, headers: tuple[tuple[str, str], ...], data: bytes | None, key: str) -> bytes:
    """The request (its body too): defaults a browser would send, then the user's own headers."""
    host, target = request_target(url)
    fields = {"user-agent": USER_AGENT, "accept": "*/*"}
    if key:
        fields |= {name.lower(): value for name, value in handshake_headers(key)}
    else:
        fields |= {"accept-encoding": ACCEPT_ENCODING, "connection": "close"}
    if data is not None:
        fields["content-type"] = "application/json" if data.lstrip()[:1] in (b"{", b"[") else "text/plain"
    fields |= {name.lower(): value for name, value in headers}
    return encode_request(method, target, host, fields.items(), data)


async def send_request(connection: Connection, request: bytes) -> None:
    """The request written, within the deadline: a server that never reads a large body
    would otherwise hold the command for ever."""
    try:
        await connection.send(request)
    except TimeoutError:
        raise Failure(EXIT_TIMEOUT, "the request was not sent before --timeout: the server is not reading it") from None
    except OSError as error:
        raise Failure(EXIT_BAD_RESPONSE, f"the connection failed while sending the request: {error}") from None


async def read_head(connection: Connection, websocket: bool) -> tuple[Head, bytes]:
    """The final response head (interim 1xx heads skipped) and the bytes after it."""
    buffer = b""
    while True:
        try:
            parsed = parse_head(buffer)
        except WireError as error:
            raise Failure(EXIT_BAD_RESPONSE, f"the answer is not HTTP/1.1: {error}") from None
        if parsed is not None:
            head, buffer = parsed
            if 100 <= head.status < 200 and not (websocket and head.status == 101):
                continue
            return head, buffer
        buffer += await head_read(connection)


async def head_read(connection: Connection) -> bytes:
    try:
        data = await connection.read()
    except TimeoutError:
        raise Failure(EXIT_TIMEOUT, "no response head before --timeout") from None
    except OSError as error:
        raise Failure(EXIT_BAD_RESPONSE, f"the connection failed before an answer: {error}") from None
    if not data:
        raise Failure(EXIT_BAD_RESPONSE, "the server closed the connection without an answer")
    return data


def note_head(result: Exchange, head: Head) -> None:
    result.http_version, result.status, result.reason = head.version, head.status, head.reason
    result.headers = dict(head.headers)


def check_accept(result: Exchange, key: str) -> None:
    if result.header("sec-websocket-accept") != accept_key(key):
        raise Failure(EXIT_BAD_RESPONSE, "the server switched protocols without a valid Sec-WebSocket-Accept")


class KeptCounter(MessageCounter):
    """Counts a body's messages as MessageCounter does, and keeps its first `keep` decoded bytes."""

    def __init__(self, content_type: str, max_message: int | None, keep: int) -> None:
        super().__init__(content_type, max_message)
        self.kept = bytearray()
        self._keep = keep

    def feed(self, data: bytes) -> int:
        if len(self.kept) < self._keep:
            self.kept += data[: self._keep - len(self.kept)]
        return super().feed(data)


async def read_not_a_stream(
    connection: Connection, result: Exchange, head: Head, first: bytes, ask: Ask, clock: Clock
) -> None:
    """The body of an error or of a WebSocket URL's plain HTTP answer, read within
    NOT_A_STREAM_BYTES and NOT_A_STREAM_SECONDS, its start kept in `body_preview`."""
    body = BodyReading(head, result.method, max_decoded=ask.max_decoded, max_message=ask.max_message)
    body.counter = kept = KeptCounter(head.headers.get("content-type", ""), ask.max_message, PREVIEW_BYTES)
    connection.deadline = min(connection.deadline, time.monotonic() + NOT_A_STREAM_SECONDS)
    await read_body(connection, result, body, first, min(ask.max_bytes, NOT_A_STREAM_BYTES), clock)
    result.body_preview = preview(bytes(kept.kept))


def preview(data: bytes) -> str:
    """The start of a body as text, whitespace folded to single spaces, PREVIEW_CHARS at most."""
    text = " ".join(data.decode(errors="replace").split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


async def read_body(
    connection: Connection, result: Exchange, body: BodyReading, first: bytes, max_bytes: int, clock: Clock
) -> None:
    """Every read until the body is whole, the connection ends, or a bound is reached."""
    ending = Ending.COMPLETE
    if first and not take(result, body, first, clock):
        ending = Ending.CUT
    while not body.done and ending is Ending.COMPLETE:
        room = max_bytes - result.received
        if room <= 0:
            ending = Ending.MAX_BYTES
            break
        ending = await next_read(connection, result, body, min(room, READ_SIZE), clock)
    if result.stopped_by:
        ending = result.ending  # the bound that stopped it, not the cut that followed
    result.ending, result.end_ms, result.reading = ending, clock.ms(), body.counter.reading
    result.chunks, result.framing_bytes = body.chunk_count, body.framing_bytes


async def next_read(connection: Connection, result: Exchange, body: BodyReading, size: int, clock: Clock) -> Ending:
    try:
        data = await connection.read(size)
    except TimeoutError:
        return Ending.TIMEOUT
    except OSError:
        data = b""  # a reset: the body ends here, as a close would end it
    if not data:
        piece = body.finish()
        if piece.decoded or piece.messages:
            result.record(Arrival(clock.ms(), 0, piece.decoded, piece.messages))
        return Ending.CLOSED if body.delimited_by_close else Ending.CUT
    return Ending.COMPLETE if take(result, body, data, clock) else Ending.CUT


def take(result: Exchange, body: BodyReading, data: bytes, clock: Clock) -> bool:
    """Record one read; False when its framing or encoding cannot be followed, or it
    passes a size bound (what it decodes to, a line or an event)."""
    t_ms = clock.ms()
    try:
        piece = body.feed(data)
    except TooLarge as error:
        result.stop(error)
        result.record(Arrival(t_ms, len(data), 0, 0))
        return False
    except WireError as error:
        result.body_error = str(error)
        result.record(Arrival(t_ms, len(data), 0, 0))
        return False
    result.record(Arrival(t_ms, len(data), piece.decoded, piece.messages))
    return True
