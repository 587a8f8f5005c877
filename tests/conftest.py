"""Shared fixtures: the app from the real factory, served on a real loopback port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from app import Settings, create_app
from app.server.keys import stream_stats_key
from app.server.run import HANDLER_CANCELLATION
from tests.processes import ServerProcess, app_server


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return create_app(settings)


@dataclass(frozen=True)
class LiveServer:
    """A real server on a loopback port."""

    app: web.Application
    host: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def make_url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@pytest.fixture
async def server(app: web.Application) -> AsyncIterator[LiveServer]:
    """The app on 127.0.0.1 and a free port, run with the production runner options."""
    runner = web.AppRunner(app, handler_cancellation=HANDLER_CANCELLATION, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield LiveServer(app, "127.0.0.1", port)
    finally:
        await runner.cleanup()


@pytest.fixture
def base_url(server: LiveServer) -> str:
    return server.base_url


async def wait_for_no_active_streams(app: web.Application, within: float = 5.0) -> int:
    """Poll the live count until it is zero or `within` seconds pass; returns the last count."""
    stats = app[stream_stats_key]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    # Polled as /healthz would be: the count is observed from outside, not signalled.
    while stats.active and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    return stats.active


@pytest.fixture
def app_process(tmp_path: Path) -> Iterator[ServerProcess]:
    """`python -m app` as a real process, for what only a process shows (RSS, fds, signals)."""
    with app_server(tmp_path) as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def client(server: LiveServer) -> AsyncIterator[aiohttp.ClientSession]:
    """A client session whose relative URLs (`client.get("/chunked")`) go to `server`."""
    async with aiohttp.ClientSession(base_url=server.base_url) as client_session:
        yield client_session
