"""All streams at once, errors, Stop, and messages that look like HTML."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiohttp import web
from playwright.async_api import Page

from app.endpoints import ENDPOINTS
from app.server.keys import stream_stats_key
from app.transport import Transport
from tests.browser.dashboard import ALL_SETTLED, by_name, columns, export_json, open_dashboard, run_until_settled
from tests.conftest import wait_for_no_active_streams

HTTP_STREAMS = [e.name for e in ENDPOINTS if e.transport in (Transport.CHUNKED, Transport.SSE)]
STREAMING = """(names) => names.every((name) =>
    Number(document.querySelector(`.column[data-endpoint="${name}"]`).dataset.messages) > 0)"""


async def first_messages(page: Page, names: list[str]) -> dict[str, float]:
    """Wait for every named stream's first message, then stop and read their times."""
    await page.click("#run")
    await page.wait_for_function(STREAMING, arg=names, timeout=20_000)
    await page.click("#stop")
    run = by_name(await export_json(page))
    return {name: run[name]["messages"][0]["receive_ms"] for name in names}


async def test_with_every_endpoint_on_every_http_stream_starts_at_once(page: Page, base_url: str) -> None:
    """More than six HTTP streams, none held back by the browser's per-host connection limit."""
    assert len(HTTP_STREAMS) + 1 > 6
    await open_dashboard(page, base_url, count=3, interval=1)
    firsts = await first_messages(page, HTTP_STREAMS)
    # A stream queued behind another would start when that one ends, 3 s later: within half
    # of that, every stream started at once, however busy the machine.
    assert max(firsts.values()) - min(firsts.values()) < 1500, firsts
    assert not any(column["notice"] for column in (await columns(page)).values())


async def test_on_one_host_the_stream_past_six_is_queued_and_says_so(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, count=3, interval=0.5, lanes=0)
    firsts = await first_messages(page, HTTP_STREAMS)
    # Measured, not predicted: the browser's Resource Timing of the stopped request says it.
    await page.wait_for_selector(".column [data-role=notice]:not([hidden])", state="attached", timeout=5_000)
    queued = {name: c["notice"] for name, c in (await columns(page)).items() if c["notice"]}
    assert queued, "a stream past the sixth must be reported as queued"
    for name, notice in queued.items():
        assert "queued" in notice.lower() and "connection limit" in notice and "(measured)" in notice, notice
        assert firsts[name] > 1000, (name, firsts)


async def test_a_refusal_only_the_server_can_make_shows_in_the_streams_column(page: Page, base_url: str) -> None:
    # Each value is within its bound and every stream fits the time cap (the page checks those
    # before Run); only the server knows the buffered body's byte cap, so it alone refuses.
    await open_dashboard(page, base_url, count=20, size=1048576, interval=0, endpoints="chunked,non-chunked")
    shown = await run_until_settled(page)
    refused = shown["non-chunked"]
    assert refused["state"] == "error" and refused["messages"] == 0, refused
    assert "HTTP 400" in refused["error"] and "byte cap" in refused["error"], refused
    assert "(parameter size)" in refused["error"]
    assert shown["chunked"]["state"] == "done" and shown["chunked"]["messages"] == 20, shown["chunked"]


async def test_stop_aborts_every_stream_on_both_sides(page: Page, base_url: str, app: web.Application) -> None:
    stats = app[stream_stats_key]
    await open_dashboard(page, base_url, count=1000, interval=0.05)
    await page.click("#run")
    await page.wait_for_function(STREAMING, arg=[*HTTP_STREAMS, "ws"], timeout=10_000)
    assert stats.active == len(ENDPOINTS)

    await page.click("#stop")
    await page.wait_for_function(ALL_SETTLED, arg=["aborted"], timeout=5_000)

    states = {name: column["state"] for name, column in (await columns(page)).items()}
    assert set(states.values()) == {"aborted"}, states
    assert await wait_for_no_active_streams(app) == 0
    counts = {name: column["messages"] for name, column in (await columns(page)).items()}
    await asyncio.sleep(0.3)
    assert counts == {name: column["messages"] for name, column in (await columns(page)).items()}
    assert await page.is_enabled("#export-json") and await page.is_disabled("#stop")


HOSTILE = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b>"


@pytest.fixture
def hostile_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The chunked endpoint, sending (and described by) text that is also HTML."""
    from dataclasses import replace

    from app.server import page, routes, views
    from app.sources import Body

    def source(params, clock):  # type: ignore[no-untyped-def]
        return Body(f"{HOSTILE} {i}\n" for i in range(params.count))

    hostile = replace(ENDPOINTS[0], source=source, description=HOSTILE)
    patched = (hostile, *ENDPOINTS[1:])
    monkeypatch.setattr(routes, "ENDPOINTS", patched)
    monkeypatch.setattr(views, "ENDPOINTS", patched)
    monkeypatch.setattr(page, "ENDPOINTS", patched)  # the page is rendered there
    yield


async def test_a_message_that_looks_like_html_is_shown_as_text(
    hostile_registry: None, page: Page, base_url: str
) -> None:
    await open_dashboard(page, base_url, endpoints="chunked", count=2, interval=0)
    shown = await run_until_settled(page)
    assert shown["chunked"]["texts"] == [f"{HOSTILE} 0", f"{HOSTILE} 1"]
    assert await page.locator("img, b").count() == 0
    assert await page.title() != "pwned"
    assert HOSTILE in await page.inner_text('.column[data-endpoint="chunked"] .column-desc')
