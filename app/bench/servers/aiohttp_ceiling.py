"""The framework's own ceiling: bare aiohttp writing one precomputed bytes object per
message (the longest of the stream's messages, built once), nothing formatted per message.
Transport Lab's messages cost something to make; this says what aiohttp itself allows."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import WSMsgType, web

from .aiohttp_bare import pause
from .common import Query, serve


async def repeat(query: Query, write: Callable[[bytes], Awaitable[object]], message: bytes) -> None:
    start = asyncio.get_running_loop().time()
    for index in range(query.count):
        await write(message)
        if query.interval:
            await pause(query, start, index)


async def written(request: web.Request, content_type: str, message: bytes) -> web.StreamResponse:
    """A chunked response of `message`, `count` times, on the stream's schedule."""
    query = Query.parse(request.query)
    response = web.StreamResponse(headers={"Content-Type": content_type})
    response.enable_chunked_encoding()
    await response.prepare(request)
    await repeat(query, response.write, message)
    await response.write_eof()
    return response


async def chunked(request: web.Request) -> web.StreamResponse:
    query = Query.parse(request.query)
    return await written(request, "text/plain", f"{query.text('Chunk', query.count - 1)}\n".encode())


async def sse(request: web.Request) -> web.StreamResponse:
    query = Query.parse(request.query)
    last = query.count - 1
    event = f"id: {last}\ndata: {query.text('SSE message', last)}\n\n"
    return await written(request, "text/event-stream", event.encode())


async def websocket(request: web.Request) -> web.WebSocketResponse:
    query = Query.parse(request.query)
    message = query.text("WebSocket message", query.count - 1).encode()
    ws = web.WebSocketResponse(compress=False)
    await ws.prepare(request)

    async def send(data: bytes) -> None:
        await ws.send_frame(data, WSMsgType.TEXT)

    await repeat(query, send, message)
    await ws.close()
    return ws


def main() -> None:
    serve({"/chunked": chunked, "/sse": sse, "/ws": websocket}, __doc__ or "")


if __name__ == "__main__":
    main()
