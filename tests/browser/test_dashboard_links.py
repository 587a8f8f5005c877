"""What a shared link asks for that the page cannot do is said, never dropped silently: lanes
no endpoint or culprit has, a stream URL of a scheme the page does not read, and a stream
the browser could not read (said in the page's console too, where a developer looks)."""

from __future__ import annotations

import pytest
from playwright.async_api import ConsoleMessage, Page

from app.endpoints import ENDPOINTS
from tests.browser.dashboard import open_dashboard, run_until_settled
from tests.processes import free_port

NOTE = "() => { const n = document.getElementById('link-note'); return n.hidden ? null : n.textContent; }"
CHECKED = """() => [...document.querySelectorAll('input[name="endpoint"]:checked, input[name="culprit"]:checked')]
    .map((input) => input.value)"""


async def test_unknown_endpoints_and_culprit_lanes_are_named_and_left_out(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,nope", culprits="foo:bar,chunked:gzip")
    note = await page.evaluate(NOTE)
    assert note is not None
    assert "endpoints=“nope”: no such endpoint (there are " + ", ".join(e.name for e in ENDPOINTS) + ")" in note
    assert "culprits=“foo:bar”: no such culprit lane (one is ENDPOINT:CULPRIT, as " in note
    assert await page.evaluate(CHECKED) == ["chunked", "chunked:gzip"]
    # The address keeps what the page does: the unknown names are gone from it.
    assert "nope" not in page.url and "foo" not in page.url


async def test_a_link_with_only_known_lanes_says_nothing(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,sse", culprits="chunked:gzip")
    assert await page.evaluate(NOTE) is None


async def test_many_unknown_names_are_counted_not_all_listed(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints=",".join(f"x{i}" for i in range(12)))
    note = await page.evaluate(NOTE) or ""
    assert "“x0”, “x1”, “x2”, “x3”, “x4” and 7 more" in note


@pytest.mark.parametrize(("url", "said"), [("javascript:alert(1)", "“javascript:”"), ("ftp://a.test/x", "“ftp:”")])
async def test_a_stream_url_of_another_scheme_is_named_as_written(
    page: Page, base_url: str, url: str, said: str
) -> None:
    await open_dashboard(page, base_url, stream=url)
    problem = await page.text_content("#yours-problem") or ""
    assert f"The page reads http:// and https:// streams, not {said} URLs." in problem
    assert "://." not in problem


async def test_a_stream_the_browser_cannot_read_is_said_in_the_page_console(page: Page, base_url: str) -> None:
    said: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "warning":
            said.append(message.text)

    page.on("console", on_console)
    closed = f"http://127.0.0.1:{free_port()}/events"
    await open_dashboard(page, base_url, endpoints="chunked", count="1", interval="0", stream=closed)
    await run_until_settled(page)
    assert any(text.startswith(f"Transport Lab: your stream {closed} could not be read.") for text in said), said
