"""Starlette's StreamingResponse on uvicorn, as users run it for speed: uvicorn takes httptools and
uvloop when they are installed (the bench extra installs both), else h11 and asyncio."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ..extra import bench_extra
from .common import Query, port_argument

with bench_extra("starlette baseline"):
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import StreamingResponse
    from starlette.routing import Route


async def chunked(request: Request) -> StreamingResponse:
    query = Query.parse(request.query_params)

    async def lines() -> AsyncIterator[bytes]:
        for index in range(query.count):
            yield f"{query.text('Chunk', index)}\n".encode()

    return StreamingResponse(lines(), media_type="text/plain")


def main() -> None:
    app = Starlette(routes=[Route("/chunked", chunked)])
    uvicorn.run(
        app, host="127.0.0.1", port=port_argument(__doc__ or ""), log_level="warning", access_log=False, backlog=4096
    )


if __name__ == "__main__":
    main()
