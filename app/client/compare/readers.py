"""How the client reads each endpoint: one async reader per framing, as the registry declares it.

A reader turns what arrives into messages and hands each one to a sink the moment it is
complete, while counting what the wire carried: body bytes, chunk framing, SSE syntax,
WebSocket frame headers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

import aiohttp
import ijson

from ...endpoints import Framing
from ...sources import split_stamp
from ...wire.chunked import LAST_CHUNK_BYTES
from ...wire.errors import Limit, TooLarge
from ...wire.lines import LineSplitter
from .body import CountingBody, open_body
from .event_source import read_event_source
from .model import Context, StreamCut, StreamError, StreamResult, counted, deliver, refusal_message
from .websocket import read_websocket


async def read_http(ctx: Context, result: StreamResult, framing: Framing) -> None:
    # Decoded by CountingBody, not aiohttp, so the compressed bytes on the wire are counted.
    async with ctx.session.get(result.url, auto_decompress=False) as response:
        result.connections += 1
        result.status = response.status
        result.ttfb_ms = round(ctx.now_ms(), 3)
        if response.status != 200:
            raise StreamError(result.endpoint, response.status, await refusal_message(response))
        try:
            await HTTP_READERS[framing](ctx, result, open_body(response, result, ctx))
        except aiohttp.ClientPayloadError:
            # The moment, in the live view; the error itself is said once, at the end.
            ctx.note(result.stream, f"the connection was cut after {counted(result.messages, 'message')}")
            raise StreamCut(cut_short(result, response)) from None
        if result.chunks:
            result.transfer_bytes += LAST_CHUNK_BYTES


def cut_short(result: StreamResult, response: aiohttp.ClientResponse) -> str:
    """What the reader saw of a body the connection did not finish."""
    chunked = "chunked" in response.headers.get("Transfer-Encoding", "").lower()
    end = "the chunked body's last chunk" if chunked else "the end of the body"
    messages = counted(result.messages, "message")
    return f"cut short: the connection closed after {messages}, before {end} (incomplete body)"


async def read_lines(ctx: Context, result: StreamResult, body: CountingBody) -> None:
    splitter = LineSplitter(ctx.max_message)
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
    splitter = LineSplitter(ctx.max_message)
    while data := await body.read():
        for line in splitter.feed(data):
            deliver(ctx, result, *unstamped_json(json.loads(line)), len(line.encode()) + 1)
    for line in splitter.close():
        if line.strip():
            deliver(ctx, result, *unstamped_json(json.loads(line)), len(line.encode()))


class ItemBound:
    """A body as ijson reads it, counting the bytes read since the last item came out: ijson
    holds an item until it ends, so one that does not (a string that goes on) would be held
    to the body's own bounds. TooLarge once more than `max_message` bytes were read for one
    item (counted from the item before it: off by what ijson reads ahead, a read at most)."""

    def __init__(self, body: CountingBody, max_message: int | None) -> None:
        self._body, self._max_message = body, max_message
        self.since_item = 0

    async def read(self, size: int = -1) -> bytes:
        data = await self._body.read(size)
        self.since_item += len(data)
        if self._max_message is not None and self.since_item > self._max_message:
            raise TooLarge(Limit.MESSAGE, self._max_message)
        return data


async def read_json_items(ctx: Context, result: StreamResult, body: CountingBody) -> None:
    bounded = ItemBound(body, ctx.max_message)
    async for item in ijson.items_async(bounded, "item", use_float=True):
        bounded.since_item = 0  # the next item's count starts
        text, sent = unstamped_json(item)
        deliver(ctx, result, text, sent, len(text))


async def read_chunks(ctx: Context, result: StreamResult, body: CountingBody) -> None:
    pending = bytearray()  # a chunk's pieces: added to in place, not copied at every read
    while True:
        data, chunk_end = await body.read_chunk()
        if not data and not chunk_end:
            break
        pending += data
        if ctx.max_message is not None and len(pending) > ctx.max_message:
            raise TooLarge(Limit.MESSAGE, ctx.max_message)
        if chunk_end and pending:
            deliver(ctx, result, pending.decode(errors="replace"), None, len(pending))
            pending = bytearray()
    if pending:
        deliver(ctx, result, pending.decode(errors="replace"), None, len(pending))


HTTP_READERS: dict[Framing, Callable[[Context, StreamResult, CountingBody], Awaitable[None]]] = {
    Framing.LINES: read_lines,
    Framing.NDJSON: read_ndjson,
    Framing.JSON_ITEMS: read_json_items,
    Framing.CHUNKS: read_chunks,
}


async def read_stream(ctx: Context, result: StreamResult) -> StreamResult:
    """Read one endpoint to its end, filling `result` as messages arrive.

    Raises StreamError when the server refuses the stream, StreamCut when a connection
    ends before its body does (SSE reconnects instead, as EventSource does).
    """
    framing = Framing(result.shape)
    if framing is Framing.WEBSOCKET:
        await read_websocket(ctx, result)
    elif framing is Framing.SSE:
        await read_event_source(ctx, result)
    else:
        await read_http(ctx, result, framing)
    return result
