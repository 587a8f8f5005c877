"""The aiohttp-sse library: `EventSourceResponse.send()` per message."""

from __future__ import annotations

from aiohttp import web

from ..extra import bench_extra
from .common import Query, serve

with bench_extra("aiohttp-sse baseline"):
    from aiohttp_sse import sse_response


async def sse(request: web.Request) -> web.StreamResponse:
    query = Query.parse(request.query)
    # LF line ends, as Transport Lab sends: the same bytes on the wire (the default is CRLF).
    # No keep-alive comment during a run: it is not a message, and would be counted as one.
    async with sse_response(request, sep="\n", ping_interval=3600) as response:
        for index in range(query.count):
            await response.send(query.text("SSE message", index), id=str(index))
    return response


def main() -> None:
    serve({"/sse": sse}, __doc__ or "")


if __name__ == "__main__":
    main()
