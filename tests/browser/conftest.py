"""Headless Chromium, driven by async Playwright in pytest-aiohttp's own event loop.

Locally the browser tests skip when no Chromium is installed; in CI (`CI=true`) a
missing browser fails them instead, so they can never pass by not running.

Playwright's driver and Chromium belong to the event loop that started them, and starting
them costs about a second (more on a busy machine): every browser test, and every async
fixture it uses, runs in one event loop for the whole session, so they start once and each
test gets a fresh browser context (its own storage, cookies and downloads) and page.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, ConsoleMessage, Page, Playwright, async_playwright
from pytest_aiohttp import AiohttpServer

from tests.conftest import TEST_SHUTDOWN_TIMEOUT

CHROMIUM = Path(os.environ.get("TRANSPORT_LAB_CHROMIUM", "/usr/bin/chromium"))
#: Without the background-networking flags Chromium keeps trying to reach the internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
VIEWPORT = {"width": 1280, "height": 800}


#: The one event loop of every browser test and of the async fixtures they use.
LOOP = "session"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if inspect.iscoroutinefunction(getattr(item, "function", None)):
                item.add_marker(pytest.mark.asyncio(loop_scope=LOOP), append=False)


def installed(path: Path, missing: str) -> Path:
    """`path` when it is there; else the test skips, but never in CI, where it fails."""
    if path.exists():
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"{missing}; a test that needs it may not skip in CI")
    pytest.skip(missing)


@pytest.fixture(scope="session")
def chromium() -> Path:
    return installed(CHROMIUM, f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")


@pytest_asyncio.fixture(scope="session", loop_scope=LOOP)
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as driver:
        yield driver


@pytest_asyncio.fixture(scope="session", loop_scope=LOOP)
async def browser(chromium: Path, playwright: Playwright) -> AsyncIterator[Browser]:
    launched = await playwright.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        await launched.close()


# The root conftest's servers and session, in the browser tests' loop (pytest-aiohttp's
# own `aiohttp_server` runs in each test's own loop, which is not running here).
@pytest_asyncio.fixture(loop_scope=LOOP)
async def aiohttp_server() -> AsyncIterator[AiohttpServer]:
    servers: list[TestServer] = []

    async def serve(
        app: web.Application, *, host: str = "127.0.0.1", port: int | None = None, **kwargs: Any
    ) -> TestServer:
        started = TestServer(app, host=host, port=port)
        await started.start_server(**kwargs)
        servers.append(started)
        return started

    yield serve
    while servers:
        await servers.pop().close()


@pytest_asyncio.fixture(loop_scope=LOOP)
async def server(app: web.Application, aiohttp_server: AiohttpServer) -> TestServer:
    return await aiohttp_server(app, host="127.0.0.1", shutdown_timeout=TEST_SHUTDOWN_TIMEOUT)


@pytest_asyncio.fixture(loop_scope=LOOP)
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@asynccontextmanager
async def checked_page(browser: Browser) -> AsyncIterator[Page]:
    """A page in a fresh context that fails its user on any script error or CSP violation."""
    context = await browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    opened = await context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(f"CSP: {message.text}")

    opened.on("console", on_console)
    yield opened
    await context.close()
    assert not problems, problems


@pytest_asyncio.fixture(loop_scope=LOOP)
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A fresh page that fails the test on any script error or CSP violation."""
    async with checked_page(browser) as opened:
        yield opened
