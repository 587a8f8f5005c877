"""Shared fixtures: the app from the real factory, served on a real loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from app import Settings, create_app
from app.keys import stream_stats_key
from app.server import HANDLER_CANCELLATION


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return create_app(settings)


@pytest.fixture
async def server(app: web.Application, aiohttp_server: Callable[..., Awaitable[TestServer]]) -> TestServer:
    """The app on 127.0.0.1 and a free port, cancelling handlers exactly as production does."""
    return await aiohttp_server(app, handler_cancellation=HANDLER_CANCELLATION)


@pytest.fixture
def base_url(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


@pytest.fixture
async def client(server: TestServer, aiohttp_client: Callable[..., Awaitable[TestClient]]) -> TestClient:
    return await aiohttp_client(server)


async def wait_for_no_active_streams(app: web.Application, timeout: float = 5.0) -> int:
    """Poll the live count until it is zero or `timeout` passes; returns the last count."""
    stats = app[stream_stats_key]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while stats.active and loop.time() < deadline:
        await asyncio.sleep(0.01)
    return stats.active


@pytest.fixture
async def session() -> aiohttp.ClientSession:
    async with aiohttp.ClientSession() as client_session:
        yield client_session
