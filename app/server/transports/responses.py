"""The HTTP side of every stream: its headers, its framing, and writes that wait for a
reader who is behind, so no stream holds more than one message plus a small buffer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import HttpVersion11, web

from .relays import Relay

STREAM_HEADERS = {
    # Caches and proxies must pass each chunk on as it comes, and browsers must not
    # hold the first KiB back to sniff the type.
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",
    "X-Content-Type-Options": "nosniff",
}
#: What a connection may hold unsent before its stream waits for the reader (asyncio's
#: default is 64 KiB; at ten thousand streams that would be 640 MiB).
WRITE_BUFFER_BYTES = 16 * 1024

Write = Callable[[bytes], Awaitable[None]]
#: Sends one message; returns the bytes it put on the wire.
Send = Callable[[str], Awaitable[int]]


def stream_headers(content_type: str) -> dict[str, str]:
    """Headers of every streamed response."""
    return {"Content-Type": content_type, **STREAM_HEADERS}


def bound_write_buffer(request: web.Request) -> None:
    """Make the connection's writes wait once WRITE_BUFFER_BYTES are unsent."""
    if request.transport is not None:
        request.transport.set_write_buffer_limits(high=WRITE_BUFFER_BYTES)


def stream_response(
    request: web.Request, content_type: str, content_length: int | None = None, relay: Relay | None = None
) -> web.StreamResponse:
    """The response of a stream, framed for the request: chunked over HTTP/1.1; over
    HTTP/1.0 (no chunked framing; what nginx speaks to its upstreams by default) a body
    that ends when the connection closes; with `content_length`, a body of that length.
    A relay that encodes the body names its encoding."""
    response = web.StreamResponse(headers=stream_headers(content_type))
    if relay is not None and relay.content_encoding is not None:
        response.headers["Content-Encoding"] = relay.content_encoding
    if relay is not None and relay.via is not None:
        # As nginx does: it names itself, and keeps X-Accel-Buffering to itself.
        response.headers["Via"] = relay.via
        del response.headers["X-Accel-Buffering"]
    if content_length is not None:
        response.content_length = content_length
    elif request.version >= HttpVersion11:
        response.enable_chunked_encoding()
    bound_write_buffer(request)
    return response


def body_writer(response: web.StreamResponse, relay: Relay | None) -> Write:
    """Writes to the response, through the relay when the stream has one."""
    if relay is None:
        return response.write

    async def write(data: bytes) -> None:
        out = relay.feed(data)
        if out:
            await response.write(out)

    return write


async def end_body(response: web.StreamResponse, relay: Relay | None) -> None:
    """Whatever the relay still holds, then the end of the body."""
    if relay is not None and (held := relay.end()):
        await response.write(held)
    await response.write_eof()


def sender(request: web.Request, write: Write, frame: Callable[[str], bytes] = str.encode) -> Send:
    """Frame each message, write it, and wait while the reader is behind.

    aiohttp itself waits only after 64 KiB written since its last wait, so a reader
    that stopped would let each stream pile up that much more; checking the pause flag
    after every write keeps a stream at one message plus WRITE_BUFFER_BYTES.
    """
    protocol = request.protocol
    drain = request.writer.drain

    async def send(message: str) -> int:
        data = frame(message)
        await write(data)
        if protocol.writing_paused:
            await drain()
        return len(data)

    return send


async def write_whole(request: web.Request, response: web.StreamResponse, data: bytes | bytearray) -> None:
    """Write a whole body in WRITE_BUFFER_BYTES pieces, waiting while the reader is behind,
    so a reader that stopped holds one piece of unsent data, not a second copy of it."""
    protocol = request.protocol
    view = memoryview(data)
    for start in range(0, len(view), WRITE_BUFFER_BYTES):
        await response.write(view[start : start + WRITE_BUFFER_BYTES])
        if protocol.writing_paused:
            await request.writer.drain()
