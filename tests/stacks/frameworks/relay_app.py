"""FastAPI on uvicorn relaying another server's streams (the port in LAB_PORT, on loopback):
an API gateway or "backend for frontend" in Python, as the lab's `via=middleware` imitates.

- `/relay/PATH?QUERY`: GET http://127.0.0.1:LAB_PORT/PATH?QUERY, answered as a
  StreamingResponse of the upstream's body, each piece as it comes: progressive;
- `/logged/relay/PATH?QUERY`: the same under fastapi_app's LogsWholeBody, a
  BaseHTTPMiddleware that reads the whole body to log it and answers a new Response with it
  (the recipe of modelcontextprotocol/python-sdk#2702): held, head and all, and sent with a
  Content-Length.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import aiohttp
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse

from .fastapi_app import LogsWholeBody


async def relay(request: Request) -> StreamingResponse:
    target = f"http://127.0.0.1:{os.environ['LAB_PORT']}/{request.path_params['rest']}"
    target += f"?{request.url.query}" if request.url.query else ""
    session = aiohttp.ClientSession(auto_decompress=False)
    answer = await session.get(target, headers={"Accept-Encoding": "identity"})

    async def pieces() -> AsyncIterator[bytes]:
        try:
            async for piece in answer.content.iter_any():
                yield piece
        finally:
            answer.release()
            await session.close()

    kind = answer.headers.get("Content-Type", "text/plain")
    return StreamingResponse(pieces(), answer.status, media_type=kind, headers={"Cache-Control": "no-cache"})


def relaying() -> FastAPI:
    app = FastAPI()
    app.add_api_route("/relay/{rest:path}", relay)
    return app


logged = relaying()
logged.add_middleware(LogsWholeBody)
app = relaying()
app.mount("/logged", logged)


@app.get("/healthz")
async def healthz() -> str:
    return "ok"
