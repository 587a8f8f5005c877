"""The HTTP side of every stream: its headers, its framing, and writes that wait for a
reader who is behind, so no stream holds more than one message plus a small buffer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from time import perf_counter

from aiohttp import HttpVersion11, hdrs, web
from multidict import istr

from ..fairness import LoopShare
from ..keys import relay_share_key
from ..streams import Connection, StreamRecord
from .relays import Relay

X_ACCEL_BUFFERING = istr("X-Accel-Buffering")
# Header names are multidict's `istr` (aiohttp's hdrs are): a plain str name makes every
# response build and keep its case-folded copy, ~100 bytes a name for a stream's whole life.
STREAM_HEADERS: dict[str, str] = {
    # Caches and proxies must pass each chunk on as it comes, and browsers must not
    # hold the first KiB back to sniff the type.
    hdrs.CACHE_CONTROL: "no-cache",
    X_ACCEL_BUFFERING: "no",
    hdrs.X_CONTENT_TYPE_OPTIONS: "nosniff",
}
#: What a connection may hold unsent before its stream waits for the reader (asyncio's
#: default is 64 KiB; at ten thousand streams that would be 640 MiB).
WRITE_BUFFER_BYTES = 16 * 1024
#: A relay takes a message this much at a time, so its share is looked at between pieces
#: (gzip spends ~0.2 ms on 64 KiB here, ~3 ms on a whole 1 MiB message).
RELAY_PIECE_BYTES = 64 * 1024

Write = Callable[[bytes], Awaitable[None]]
#: Sends one message, counting the bytes it puts on the wire into the stream's record.
Send = Callable[[str], Awaitable[None]]


def stream_headers(content_type: str) -> dict[str, str]:
    """Headers of every streamed response."""
    return {hdrs.CONTENT_TYPE: content_type, **STREAM_HEADERS}


def bound_write_buffer(request: web.Request) -> None:
    """Make the connection's writes wait once WRITE_BUFFER_BYTES are unsent."""
    if request.transport is not None:
        request.transport.set_write_buffer_limits(high=WRITE_BUFFER_BYTES)


def stream_response(
    request: web.Request, content_type: str, content_length: int | None = None, relay: Relay | None = None
) -> web.StreamResponse:
    """The response of a stream, framed for the request: chunked over HTTP/1.1; over
    HTTP/1.0 (no chunked framing; what nginx speaks to its upstreams by default) a body
    that ends when the connection closes (which framing.py makes sure of, keep-alive or
    not); with `content_length`, a body of that length.
    A relay that encodes the body names its encoding."""
    response = web.StreamResponse(headers=stream_headers(content_type))
    if relay is not None and relay.content_encoding is not None:
        response.headers[hdrs.CONTENT_ENCODING] = relay.content_encoding
    if relay is not None and relay.via is not None:
        response.headers[hdrs.VIA] = relay.via
    if relay is not None and relay.takes_accel_buffering:
        # As nginx does: X-Accel-Buffering is a header for it, not for the client.
        del response.headers[X_ACCEL_BUFFERING]
    # A relay that holds the whole response sets its length once the body is whole (end_body).
    whole = relay is not None and relay.whole_response
    if content_length is not None:
        response.content_length = content_length
    elif request.version >= HttpVersion11 and not whole:
        response.enable_chunked_encoding()
    bound_write_buffer(request)
    return response


def holds_head(relay: Relay | None) -> bool:
    return relay is not None and relay.holds_head


async def begin(request: web.Request, response: web.StreamResponse, relay: Relay | None) -> None:
    """Send the head, unless the relay holds it: then it goes with the first bytes the relay
    lets go (RelayWriter), or at the end (end_body). Until then the response is not
    prepared, so a stream stopped before (the idle timeout) can still answer otherwise."""
    if not holds_head(relay):
        await response.prepare(request)


def body_writer(
    request: web.Request,
    relay: Relay | None,
    wire: Callable[[Write], Write] | None = None,
    response: web.StreamResponse | None = None,
) -> Write:
    """Writes to the response's body, through the relay when the stream has one: to the
    connection's payload writer (the response's own, once it is prepared), as
    `response.write` would add a coroutine per message only to check that the body is
    not over, which the transports know. `wire` wraps the write that puts bytes on the
    wire (the idle timeout watches it); `response` is prepared before the first of them
    when the relay holds the head."""
    write: Write = request.writer.write
    if wire is not None:
        write = wire(write)
    if relay is None:
        return write
    if holds_head(relay) and response is not None:
        write = _heading(request, response, write)
    return RelayWriter(relay, write, request.app[relay_share_key])


def _heading(request: web.Request, response: web.StreamResponse, write: Write) -> Write:
    """`write`, sending the head first if it has not gone yet."""

    async def headed(data: bytes) -> None:
        if not response.prepared:
            await response.prepare(request)
        await write(data)

    return headed


class RelayWriter:
    """Feeds a relay piece by piece within the relays' share of the loop (fairness.py).

    Compressing for a reader that does not read is work its socket never pushes back on
    (a megabyte of text may come out as a few bytes), so it is counted in time instead:
    the relays together get RELAY_SHARE of a core, each piece waiting its turn past it.
    """

    __slots__ = ("_relay", "_share", "_write")

    def __init__(self, relay: Relay, write: Write, share: LoopShare) -> None:
        self._relay = relay
        self._write = write
        self._share = share

    async def __call__(self, data: bytes) -> None:
        view = memoryview(data)
        for start in range(0, len(view), RELAY_PIECE_BYTES):
            if self._share.spent():
                await self._share.wait()
            began = perf_counter()
            end = start + RELAY_PIECE_BYTES
            out = self._relay.feed(view[start:end], whole=end >= len(view))
            self._share.charge(perf_counter() - began)
            if out:
                await self._write(out)


async def end_body(request: web.Request, response: web.StreamResponse, relay: Relay | None) -> None:
    """Whatever the relay still holds, then the end of the body; a relay that held the
    whole response sends it now, head and all, with its length."""
    if relay is not None and relay.whole_response:
        body = relay.end()
        response.content_length = len(body)
        await response.prepare(request)
        await write_whole(request, response, body)
    elif relay is not None:
        held = relay.end()
        if not response.prepared:
            await response.prepare(request)
        if held:
            await response.write(held)
    await response.write_eof()


def sender(
    request: web.Request, write: Write, record: StreamRecord, frame: Callable[[str], bytes] = str.encode
) -> Send:
    """Frame each message, count it, and write it, first waiting while the reader is behind.

    aiohttp itself waits only after 64 KiB written since its last wait, so a reader
    that stopped would let each stream pile up that much more; checking the pause flag
    before every write keeps a stream at one message plus WRITE_BUFFER_BYTES.
    """
    return Sender(request.protocol, write, request.writer.drain, frame, record)


class Sender:
    """What `sender` returns: a slotted object rather than a closure (which with its cells
    is ~300 bytes more for every live stream), and no coroutine of its own: a call hands
    back the write itself, unless the reader is behind."""

    __slots__ = ("_drain", "_frame", "_protocol", "_record", "_write")

    def __init__(
        self,
        protocol: Connection,
        write: Write,
        drain: Callable[[], Awaitable[None]],
        frame: Callable[[str], bytes],
        record: StreamRecord,
    ) -> None:
        self._protocol = protocol
        self._write = write
        self._drain = drain
        self._frame = frame
        self._record = record

    def __call__(self, message: str) -> Awaitable[None]:
        data = self._frame(message)
        self._record.bytes_sent += len(data)
        if self._protocol.writing_paused:
            return self._write_when_drained(data)
        return self._write(data)

    async def _write_when_drained(self, data: bytes) -> None:
        await self._drain()
        await self._write(data)


async def write_whole(request: web.Request, response: web.StreamResponse, data: bytes | bytearray) -> None:
    """Write a whole body in WRITE_BUFFER_BYTES pieces, waiting while the reader is behind,
    so a reader that stopped holds one piece of unsent data, not a second copy of it."""
    protocol = request.protocol
    view = memoryview(data)
    for start in range(0, len(view), WRITE_BUFFER_BYTES):
        await response.write(view[start : start + WRITE_BUFFER_BYTES])
        if protocol.writing_paused:
            await request.writer.drain()
