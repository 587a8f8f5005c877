"""How the client reads each endpoint: one async reader per shape, chosen from the registry.

A reader turns what arrives into messages and hands each one to a sink the moment it is
complete, while counting what the wire carried: body bytes, chunk framing, SSE syntax,
WebSocket frame headers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import aiohttp
import ijson

from .model import Context, Shape, StreamError, StreamResult, deliver, refusal_message
from .parsers import LineSplitter, SSEParser, split_stamp
from .wire import LAST_CHUNK_BYTES, chunk_framing_bytes
from .ws import read_websocket


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
