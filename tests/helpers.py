"""Small readers the tests share."""

from __future__ import annotations

import itertools

import aiohttp

from app.endpoints import ENDPOINTS, Endpoint
from app.transport import Transport

HTTP_ENDPOINTS = [endpoint for endpoint in ENDPOINTS if endpoint.transport is not Transport.WEBSOCKET]
STREAMING_ENDPOINTS = [endpoint for endpoint in HTTP_ENDPOINTS if endpoint.transport is not Transport.BUFFERED]
WS_ENDPOINTS = [endpoint for endpoint in ENDPOINTS if endpoint.transport is Transport.WEBSOCKET]
#: Fast enough for the suite, slow enough that every message is its own write.
FAST = "interval=0.005"


def ids(endpoint: Endpoint) -> str:
    return endpoint.name


def paced(endpoint: Endpoint, span: float, messages: int = 5) -> str:
    """`count=…&interval=…` for at least `messages` messages, the last one due `span` seconds
    after the first, whatever `count` counts for `endpoint`: at count 5 nested JSON sends 31
    messages and ijson 25, which at one interval for all would run six times as long."""
    count = next(n for n in itertools.count(1) if endpoint.rule.messages(n, 0) >= messages)
    interval = span / max(1, endpoint.rule.messages(count, 0) - 1)
    return f"count={count}&interval={interval:.4g}"


async def ws_texts(session: aiohttp.ClientSession, url: str) -> tuple[list[str], int | None]:
    """Every text message until the server closes, and the close code."""
    texts: list[str] = []
    async with session.ws_connect(url) as ws:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                texts.append(message.data)
        return texts, ws.close_code
