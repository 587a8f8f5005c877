"""Bare aiohttp: one `write()` or `send_str()` per message, nothing else. The baseline."""

from __future__ import annotations

import asyncio

from aiohttp import web

from .common import Query, serve


async def pause(query: Query, start: float, index: int) -> None:
    # The same absolute schedule as Transport Lab, so lateness compares like with like.
    loop = asyncio.get_running_loop()
    await asyncio.sleep(max(0.0, start + (index + 1) * query.interval - loop.time()))


async def chunked(request: web.Request) -> web.StreamResponse:
    query = Query.parse(request.query)
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    start = asyncio.get_running_loop().time()
    for index in range(query.count):
        await response.write(f"{query.text('Chunk', index)}\n".encode())
        if query.interval:
            await pause(query, start, index)
    await response.write_eof()
    return response


async def sse(request: web.Request) -> web.StreamResponse:
    query = Query.parse(request.query)
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    start = asyncio.get_running_loop().time()
    for index in range(query.count):
        await response.write(f"id: {index}\ndata: {query.text('SSE message', index)}\n\n".encode())
        if query.interval:
            await pause(query, start, index)
    await response.write_eof()
    return response


async def websocket(request: web.Request) -> web.WebSocketResponse:
    query = Query.parse(request.query)
    ws = web.WebSocketResponse(compress=False)
    await ws.prepare(request)
    start = asyncio.get_running_loop().time()
    for index in range(query.count):
        await ws.send_str(query.text("WebSocket message", index))
        if query.interval:
            await pause(query, start, index)
    await ws.close()
    return ws


def main() -> None:
    serve({"/chunked": chunked, "/sse": sse, "/ws": websocket}, __doc__ or "")


if __name__ == "__main__":
    main()
