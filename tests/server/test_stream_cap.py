"""The per-process stream cap: past it, new streams get 503 with Retry-After; the
streams already running are untouched."""

from __future__ import annotations

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from app import Settings


@pytest.fixture
def settings() -> Settings:
    return Settings(max_streams=2)


async def test_stream_past_the_cap_gets_503_and_running_streams_continue(
    client: TestClient[web.Request, None],
) -> None:
    running = [await client.get("/chunked?count=3&interval=0.1") for _ in range(2)]
    for response in running:
        assert await response.content.readline() == b"Chunk 0\n"
    async with client.get("/chunked") as refused:
        assert refused.status == 503
        assert refused.headers["Retry-After"].isdigit()
        assert "maximum of 2 streams" in (await refused.json())["error"]
    for response in running:
        assert await response.content.read() == b"Chunk 1\nChunk 2\n"
        response.release()
    async with client.get("/chunked?interval=0") as admitted:
        assert admitted.status == 200
