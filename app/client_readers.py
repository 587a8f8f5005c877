"""How the client reads each endpoint: one async reader per shape, chosen from the registry.

A reader turns what arrives into messages and hands each one to a sink the moment it is
complete, while counting what the wire carried: body bytes, chunk framing, SSE syntax,
WebSocket frame headers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

import aiohttp
import ijson

from app.client_parsers import LineSplitter, SSEParser, split_stamp
from app.client_wire import LAST_CHUNK_BYTES, chunk_framing_bytes, ws_frame_header_bytes
from app.endpoints import Endpoint, Transport


class Shape(StrEnum):
    """How a body divides into messages."""

    LINES = "lines"  # text and ijson events: one message per line
    NDJSON = "ndjson"  # one JSON object per line
    JSON_ITEMS = "json-items"  # a JSON array read item by item with ijson.items_async
    CHUNKS = "chunks"  # JSON tokens: one message per HTTP chunk
    SSE = "sse"
    WEBSOCKET = "websocket"


def shape_of(endpoint: Endpoint) -> Shape:
    """The reading shape, derived from the registry entry's transport, type and example."""
    if endpoint.transport is Transport.WEBSOCKET:
        return Shape.WEBSOCKET
    if endpoint.transport is Transport.SSE:
        return Shape.SSE
    if endpoint.content_type.startswith("application/json"):
        # A streamed array opens with `[`; any other JSON document is read token by token.
        return Shape.JSON_ITEMS if endpoint.example(stamp=False).lstrip().startswith("[") else Shape.CHUNKS
    if endpoint.content_type.startswith("application/x-ndjson"):
        return Shape.NDJSON
    return Shape.LINES


@dataclass(frozen=True)
class Message:
    endpoint: str
    t_ms: float  # since the client started
    text: str
    sent_ms: float | None = None  # the server's send stamp, epoch ms
    delay_ms: float | None = None  # arrival minus send stamp


@dataclass
class StreamResult:
    """What one endpoint delivered, for the summary."""

    endpoint: str
    shape: str
    url: str
    status: int | None = None
    ttfb_ms: float | None = None
    first_ms: float | None = None
    last_ms: float | None = None
    messages: int = 0
    body_bytes: int = 0
    payload_bytes: int = 0
    chunks: int = 0
    transfer_bytes: int = 0  # chunk size lines and CRLFs, or WebSocket frame headers
    syntax_bytes: int = 0  # SSE's `id:`/`data:` fields and blank lines
    close_code: int | None = None
    error: str | None = None


class StreamError(Exception):
    """The server refused a stream; `message` is what it said."""

    def __init__(self, endpoint: str, status: int, message: str) -> None:
        super().__init__(f"{endpoint}: HTTP {status}: {message}")
        self.endpoint, self.status, self.message = endpoint, status, message


Sink = Callable[[Message], None]


@dataclass
class Context:
    """Shared by every reader of one run: the session, the start instant and the sink."""

    session: aiohttp.ClientSession
    sink: Sink
    start: float = field(default_factory=time.perf_counter)
    start_epoch_ms: float = field(default_factory=lambda: time.time() * 1000)

    def now_ms(self) -> float:
        return (time.perf_counter() - self.start) * 1000


def deliver(ctx: Context, result: StreamResult, text: str, sent_ms: float | None, wire_bytes: int) -> None:
    """Record one message and hand it to the sink at once."""
    t_ms = ctx.now_ms()
    delay = None if sent_ms is None else round(time.time() * 1000 - sent_ms, 3)
    message = Message(result.endpoint, round(t_ms, 3), text, sent_ms, delay)
    if result.first_ms is None:
        result.first_ms = message.t_ms
    result.last_ms = message.t_ms
    result.messages += 1
    result.payload_bytes += wire_bytes
    ctx.sink(message)


class CountingBody:
    """An async `read()` over a response body that notes HTTP chunk boundaries as it goes.

    ijson.items_async and the line readers pull from this, so one pass both parses and
    counts what chunked encoding put on the wire.
    """

    def __init__(self, content: aiohttp.StreamReader, result: StreamResult) -> None:
        self._content = content
        self._result = result
        self._chunk = 0

    async def read_chunk(self) -> tuple[bytes, bool]:
        """`(data, ends_a_chunk)` as aiohttp reports it; `(b"", False)` at the end."""
        data, chunk_end = await self._content.readchunk()
        self._chunk += len(data)
        self._result.body_bytes += len(data)
        # aiohttp also reports the zero-size last chunk; that one is counted once, at the end.
        if chunk_end and self._chunk:
            self._result.chunks += 1
            self._result.transfer_bytes += chunk_framing_bytes(self._chunk)
            self._chunk = 0
        return data, chunk_end

    async def read(self, size: int = -1) -> bytes:
        """The next bytes that arrived, whatever `size` asks (b"" only at the end)."""
        if size == 0:
            # ijson reads 0 bytes first to learn whether it gets bytes or text.
            return b""
        while True:
            data, chunk_end = await self.read_chunk()
            if data or not chunk_end:
                return data


async def refusal_message(response: aiohttp.ClientResponse) -> str:
    """The server's `{"error": ...}` text, or the start of whatever body it sent."""
    body = await response.read()
    try:
        document = json.loads(body)
        return str(document["error"])
    except (ValueError, KeyError, TypeError):
        return body[:200].decode(errors="replace") or response.reason or "no message"


async def read_http(ctx: Context, result: StreamResult, shape: Shape) -> None:
    async with ctx.session.get(result.url) as response:
        result.status = response.status
        result.ttfb_ms = round(ctx.now_ms(), 3)
        if response.status != 200:
            raise StreamError(result.endpoint, response.status, await refusal_message(response))
        body = CountingBody(response.content, result)
        await HTTP_READERS[shape](ctx, result, body)
        if result.chunks:
            result.transfer_bytes += LAST_CHUNK_BYTES


async def read_lines(ctx: Context, result: StreamResult, body: CountingBody) -> None:
    splitter = LineSplitter()
    while data := await body.read():
        for line in splitter.feed(data):
            deliver(ctx, result, *split_stamp(line), len(line.encode()) + 1)
    for line in splitter.close():
        deliver(ctx, result, *split_stamp(line), len(line.encode()))


def unstamped_json(item: object) -> tuple[str, float | None]:
    """An item's text without its `"ts"` member, and that member as the send stamp."""
    sent = item.pop("ts", None) if isinstance(item, dict) else None
    return json.dumps(item), float(sent) if isinstance(sent, int | float) else None


async def read_ndjson(ctx: Context, result: StreamResult, body: CountingBody) -> None:
    splitter = LineSplitter()
    while data := await body.read():
        for line in splitter.feed(data):
            deliver(ctx, result, *unstamped_json(json.loads(line)), len(line.encode()) + 1)
    for line in splitter.close():
        if line.strip():
            deliver(ctx, result, *unstamped_json(json.loads(line)), len(line.encode()))


async def read_sse(ctx: Context, result: StreamResult, body: CountingBody) -> None:
    parser = SSEParser()
    while data := await body.read():
        for event in parser.feed(data):
            deliver(ctx, result, *split_stamp(event.data), len(event.data.encode()))
    # The event syntax (`id:`, `data:`, blank lines) is framing too.
    result.syntax_bytes = result.body_bytes - result.payload_bytes


async def read_json_items(ctx: Context, result: StreamResult, body: CountingBody) -> None:
    async for item in ijson.items_async(body, "item", use_float=True):
        text, sent = unstamped_json(item)
        deliver(ctx, result, text, sent, len(text))


async def read_chunks(ctx: Context, result: StreamResult, body: CountingBody) -> None:
    pending = b""
    while True:
        data, chunk_end = await body.read_chunk()
        if not data and not chunk_end:
            break
        pending += data
        if chunk_end and pending:
            deliver(ctx, result, pending.decode(errors="replace"), None, len(pending))
            pending = b""
    if pending:
        deliver(ctx, result, pending.decode(errors="replace"), None, len(pending))


HTTP_READERS: dict[Shape, Callable[[Context, StreamResult, CountingBody], Awaitable[None]]] = {
    Shape.LINES: read_lines,
    Shape.NDJSON: read_ndjson,
    Shape.SSE: read_sse,
    Shape.JSON_ITEMS: read_json_items,
    Shape.CHUNKS: read_chunks,
}


async def read_websocket(ctx: Context, result: StreamResult) -> None:
    try:
        ws = await ctx.session.ws_connect(result.url, autoping=True)
    except aiohttp.WSServerHandshakeError as error:
        raise await handshake_refusal(ctx, result, error) from None
    async with ws:
        result.status = 101
        result.ttfb_ms = round(ctx.now_ms(), 3)
        async for frame in ws:
            if frame.type is aiohttp.WSMsgType.TEXT:
                size = len(frame.data.encode())
                result.body_bytes += size
                result.transfer_bytes += ws_frame_header_bytes(size)
                deliver(ctx, result, *split_stamp(frame.data), size)
    result.close_code = ws.close_code
    if ws.close_code not in (1000, None):
        result.error = f"closed with code {ws.close_code}"


async def handshake_refusal(ctx: Context, result: StreamResult, error: aiohttp.WSServerHandshakeError) -> StreamError:
    """The server validates a WebSocket's query before upgrading, so a plain GET of the same
    URL answers with the same JSON refusal the handshake got."""
    async with ctx.session.get(result.url) as response:
        message = await refusal_message(response) if response.status >= 400 else error.message
    return StreamError(result.endpoint, error.status, message)


def new_result(endpoint: Endpoint, url: str) -> StreamResult:
    return StreamResult(endpoint=endpoint.name, shape=shape_of(endpoint).value, url=url)


async def read_stream(ctx: Context, result: StreamResult) -> StreamResult:
    """Read one endpoint to its end, filling `result` as messages arrive.

    Raises StreamError when the server refuses the stream.
    """
    shape = Shape(result.shape)
    if shape is Shape.WEBSOCKET:
        await read_websocket(ctx, result)
    else:
        await read_http(ctx, result, shape)
    return result
