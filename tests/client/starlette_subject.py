"""A stream served by another framework with its own compression, for diagnose to judge:
Starlette's GZipMiddleware on uvicorn (run by the tests as `uvicorn ...:app`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route

TICKS = 5
INTERVAL = 0.15


async def ticks(request: Request) -> StreamingResponse:
    async def lines() -> AsyncIterator[str]:
        for tick in range(TICKS):
            yield f"tick {tick}\n"
            await asyncio.sleep(INTERVAL)

    return StreamingResponse(lines(), media_type="text/plain")


async def healthz(request: Request) -> PlainTextResponse:
    return PlainTextResponse("ok")


app = Starlette(
    routes=[Route("/ticks", ticks), Route("/healthz", healthz)], middleware=[Middleware(GZipMiddleware, minimum_size=0)]
)
