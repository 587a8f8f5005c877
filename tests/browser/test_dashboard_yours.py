"""The page's "your stream" lane in Chromium: a URL given on the page is read by the browser
itself, on the shared timeline, and judged by the same rules as `transport-lab diagnose`.

The streams are real servers on another loopback port: one that allows the page by CORS
and streams, one that allows it and answers whole after a wait, one that does not allow it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from playwright.async_api import Page
from pytest_aiohttp import AiohttpServer

from tests.browser.dashboard import open_dashboard, run_until_settled

CASES = json.loads((Path(__file__).parents[1] / "verdict_cases.json").read_text())["cases"]
TICKS = 6
INTERVAL = 0.2

VERDICT = """() => {
    const column = document.querySelector('.column[data-endpoint="your-stream"]');
    const text = (role) => {
        const node = column.querySelector(`[data-role="${role}"]`);
        return node.hidden ? null : node.textContent;
    };
    return {
        verdict: column.querySelector('[data-role=verdict]').dataset.verdict,
        reason: text('verdict-reason'), compare: text('verdict-compare'), error: text('error'),
        command: text('command'), status: text('status'), type: text('content-type'),
        marks: document.querySelectorAll('#timeline .lane[data-endpoint="your-stream"] .mark').length,
    };
}"""


def allowing(page_origin: str | None) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": page_origin} if page_origin else {}


def subject_app(page_origin: str) -> web.Application:
    async def ticks(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": "text/plain", "X-Content-Type-Options": "nosniff", **allowing(page_origin)}
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        for tick in range(TICKS):
            await response.write(f"tick {tick}\n".encode())
            await asyncio.sleep(INTERVAL)
        await response.write_eof()
        return response

    async def whole(request: web.Request) -> web.Response:
        await asyncio.sleep(TICKS * INTERVAL)
        return web.Response(text="".join(f"tick {t}\n" for t in range(TICKS)), headers=allowing(page_origin))

    async def private(request: web.Request) -> web.Response:
        return web.Response(text="not for other pages\n")

    app = web.Application()
    app.router.add_get("/ticks", ticks)
    app.router.add_get("/whole", whole)
    app.router.add_get("/private", private)
    return app


@pytest.fixture
async def subject(aiohttp_server: AiohttpServer, base_url: str) -> AsyncIterator[str]:
    server = await aiohttp_server(subject_app(base_url), host="127.0.0.1")
    yield f"http://127.0.0.1:{server.port}"


async def run_yours(page: Page, base_url: str, url: str, **query: str) -> dict[str, Any]:
    await open_dashboard(page, base_url, endpoints="chunked", count="3", interval="0.2", stream=url, **query)
    await run_until_settled(page)
    return await page.evaluate(VERDICT)


async def test_the_page_judges_like_the_terminal_on_every_shared_timeline(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)
    verdicts = await page.evaluate(
        """async (cases) => {
            const { judge } = await import("/static/js/verdict.js");
            return cases.map((c) => judge(
                c.arrivals.map(([tMs, decodedBytes, messages]) => ({ tMs, decodedBytes, messages })),
                c.life_ms, c.messages_known,
            ).verdict);
        }""",
        CASES,
    )
    assert verdicts == [case["verdict"] for case in CASES]


async def test_a_stream_that_streams_is_progressive_on_the_shared_timeline(
    page: Page, base_url: str, subject: str
) -> None:
    shown = await run_yours(page, base_url, f"{subject}/ticks")
    assert shown["verdict"] == "progressive", shown
    assert (shown["status"], shown["type"], shown["error"]) == ("200", "text/plain", None)
    assert shown["marks"] == TICKS  # one mark per line, beside the endpoints' lanes
    lanes = await page.eval_on_selector_all("#timeline .lane", "nodes => nodes.map((n) => n.dataset.endpoint)")
    assert lanes == ["your-stream", "chunked"]


async def test_a_response_built_whole_is_buffered(page: Page, base_url: str, subject: str) -> None:
    shown = await run_yours(page, base_url, f"{subject}/whole")
    assert shown["verdict"] == "buffered", shown
    assert "arrived in the last" in shown["reason"]


async def test_a_stream_that_refuses_cors_says_so_and_gives_the_terminal_command(
    page: Page, base_url: str, subject: str
) -> None:
    url = f"{subject}/private"
    shown = await run_yours(page, base_url, url)
    assert shown["verdict"] == ""
    assert "did not allow this page by CORS" in shown["error"]
    assert shown["command"] == f"In a terminal: transport-lab diagnose {url}"


@pytest.mark.parametrize(
    ("path", "terminal", "said"),
    [
        ("/whole", "buffered", "The terminal saw it buffered too"),
        ("/whole", "progressive", "something in this browser's path holds it"),
        ("/ticks", "buffered", "what holds it is on the terminal's way"),
        ("/ticks", "fast", "terminal=fast is not a verdict"),
    ],
)
async def test_the_terminals_verdict_is_compared_with_the_browsers(
    page: Page, base_url: str, subject: str, path: str, terminal: str, said: str
) -> None:
    shown = await run_yours(page, base_url, f"{subject}{path}", terminal=terminal)
    assert said in shown["compare"]


async def test_a_url_typed_in_is_checked_on_its_field_and_nothing_is_loaded(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)
    await page.click("#yours summary")
    for bad in ("example.com/events", "ftp://example.com/x", "http://user:pw@example.com/"):
        await page.fill("#yours-url", bad)
        await page.press("#yours-url", "Enter")
        assert await page.get_attribute("#yours-url", "aria-invalid") == "true"
        assert await page.is_visible("#yours-problem")
        assert "stream=" not in page.url


async def test_a_url_typed_in_reloads_the_page_with_a_link_to_share(page: Page, base_url: str, subject: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked")
    await page.click("#yours summary")
    await page.fill("#yours-url", f"{subject}/ticks")
    async with page.expect_navigation():
        await page.click("#yours-use")
    assert parse_qs(urlsplit(page.url).query) == {"endpoints": ["chunked"], "stream": [f"{subject}/ticks"]}
    assert await page.is_visible('.column[data-endpoint="your-stream"]')
    async with page.expect_navigation():
        await page.click("#yours-remove")
    assert "stream=" not in page.url
    assert await page.query_selector('.column[data-endpoint="your-stream"]') is None


async def test_screenshot_of_your_stream(page: Page, base_url: str, subject: str, artifacts: Path) -> None:
    await run_yours(page, base_url, f"{subject}/whole", terminal="progressive")
    await page.screenshot(path=str(artifacts / "your-stream.png"), full_page=True)
