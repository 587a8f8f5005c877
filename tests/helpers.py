"""Small readers the tests share."""

from __future__ import annotations

import aiohttp

from app.endpoints import ENDPOINTS, Endpoint, Transport

HTTP_ENDPOINTS = [endpoint for endpoint in ENDPOINTS if endpoint.transport is not Transport.WEBSOCKET]
STREAMING_ENDPOINTS = [endpoint for endpoint in HTTP_ENDPOINTS if endpoint.transport is not Transport.BUFFERED]
WS_ENDPOINTS = [endpoint for endpoint in ENDPOINTS if endpoint.transport is Transport.WEBSOCKET]
#: Fast enough for the suite, slow enough that every message is its own write.
FAST = "interval=0.005"


def ids(endpoint: Endpoint) -> str:
    return endpoint.name


async def ws_texts(session: aiohttp.ClientSession, url: str) -> tuple[list[str], int | None]:
    """Every text message until the server closes, and the close code."""
    texts: list[str] = []
    async with session.ws_connect(url) as ws:
        async for message in ws:
            if message.type is aiohttp.WSMsgType.TEXT:
                texts.append(message.data)
        return texts, ws.close_code
