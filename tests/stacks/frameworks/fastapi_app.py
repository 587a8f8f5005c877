"""FastAPI on uvicorn, with the two Starlette middlewares people put in front of a stream:

- `/tokens`: a StreamingResponse of NDJSON lines: progressive;
- `/logged/tokens`: the same, under a BaseHTTPMiddleware that reads the whole body to log it
  and answers a new Response with it (the common "log the response body" recipe): the body
  is built before it is sent, with a Content-Length: buffered;
- `/relayed/tokens`: under a BaseHTTPMiddleware that only adds a header and returns the
  streaming response it got: still progressive;
- `/v1/chat/completions`: an OpenAI-style SSE answer: `: PROCESSING` comments while "thinking"
  for 2 s, then 50 token events 20 ms apart, then `data: [DONE]`; `?model=` anything but
  `lab` is a 404, as the API answers an unknown model.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from .tokens import aticks, chat_chunk, line, pacing

#: The chat answer's shape: how long the model "thinks", how often a keep-alive comment
#: goes out meanwhile, then its tokens.
THINKING = 2.0
KEEP_ALIVE = 0.25
TOKENS = 50
TOKEN_INTERVAL = 0.02
NDJSON = "application/x-ndjson"


async def lines(request: Request) -> AsyncIterator[str]:
    count, interval = pacing(request.query_params)
    async for number in aticks(count, interval):
        yield line(number)


async def tokens(request: Request) -> StreamingResponse:
    return StreamingResponse(lines(request), media_type=NDJSON)


class LogsWholeBody(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        request.app.state.logged_bytes = len(body)
        headers = {k: v for k, v in response.headers.items() if k != "content-length"}
        return Response(body, response.status_code, headers)


class AddsHeader(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["X-Relayed"] = "yes"
        return response


def sub_app(middleware: type[BaseHTTPMiddleware]) -> FastAPI:
    app = FastAPI()
    app.add_api_route("/tokens", tokens)
    app.add_middleware(middleware)
    return app


async def chat_answer() -> AsyncIterator[str]:
    start = asyncio.get_running_loop().time()
    async for _ in aticks(round(THINKING / KEEP_ALIVE), KEEP_ALIVE, start):
        yield ": PROCESSING\n\n"
    async for number in aticks(TOKENS, TOKEN_INTERVAL, start + THINKING):
        yield chat_chunk(number)
    yield "data: [DONE]\n\n"


app = FastAPI()
app.add_api_route("/tokens", tokens)
app.mount("/logged", sub_app(LogsWholeBody))
app.mount("/relayed", sub_app(AddsHeader))


@app.get("/healthz")
async def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok")


@app.api_route("/v1/chat/completions", methods=["GET", "POST"])
async def chat_completions(model: str = "lab") -> StreamingResponse:
    if model != "lab":
        raise HTTPException(404, f"The model `{model}` does not exist")
    return StreamingResponse(chat_answer(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
