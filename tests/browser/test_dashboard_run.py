"""A run at the tutorial's defaults (interval scaled down): what every column and lane shows."""

from __future__ import annotations

import csv
import io
import itertools
import os
from collections.abc import AsyncIterator
from pathlib import Path
from statistics import median

import pytest_asyncio
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page

from app import Settings, create_app
from app.endpoints import ENDPOINTS
from tests.browser.conftest import LOOP, checked_page
from tests.browser.dashboard import (
    by_name,
    export_json,
    open_dashboard,
    page_lag_ms,
    run_until_settled,
    shown,
    source_messages,
    start_lag_probe,
)
from tests.conftest import TEST_SHUTDOWN_TIMEOUT

#: The tutorial paces at 1 s (0.5 s for nested JSON and ijson); one tenth keeps its shape.
SCALED_INTERVAL = 0.1
CSV_HEADER = ["endpoint", "index", "receive_ms", "server_sent_ms", "delay_ms", "payload_bytes", "wire_bytes", "text"]
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"


# One run at the tutorial's defaults, on a server and a page of its own, for the tests that
# only read it (its columns, its exports, its screenshots): made once for the module.
@pytest_asyncio.fixture(scope="module", loop_scope=LOOP)
async def tutorial_server() -> AsyncIterator[str]:
    served = TestServer(create_app(Settings()), host="127.0.0.1")
    await served.start_server(shutdown_timeout=TEST_SHUTDOWN_TIMEOUT)
    yield f"http://127.0.0.1:{served.port}"
    await served.close()


@pytest_asyncio.fixture(scope="module", loop_scope=LOOP)
async def tutorial_page(browser: Browser) -> AsyncIterator[Page]:
    async with checked_page(browser) as opened:
        yield opened


@pytest_asyncio.fixture(scope="module", loop_scope=LOOP)
async def tutorial_run(tutorial_page: Page, tutorial_server: str) -> dict[str, dict]:
    await open_dashboard(tutorial_page, tutorial_server, interval=SCALED_INTERVAL)
    return await run_until_settled(tutorial_page)


async def test_every_column_ends_done_with_the_tutorial_messages(tutorial_run: dict[str, dict]) -> None:
    for endpoint in ENDPOINTS:
        column = tutorial_run[endpoint.name]
        expected = [shown(message) for message in source_messages(endpoint)]
        assert column["state"] == "done", (endpoint.name, column)
        assert column["messages"] == len(expected), endpoint.name
        assert [shown(text) for text in column["texts"]] == expected, endpoint.name
        assert column["error"] is None


async def test_the_timeline_has_one_mark_per_message(tutorial_run: dict[str, dict]) -> None:
    for name, column in tutorial_run.items():
        assert column["marks"] == column["messages"], name


async def test_chunked_arrives_progressively_and_non_chunked_all_at_the_end(page: Page, base_url: str) -> None:
    interval_ms = 200
    await open_dashboard(page, base_url, endpoints="chunked,non-chunked", interval=interval_ms / 1000)
    await run_until_settled(page)
    run = by_name(await export_json(page))
    chunked = [m["receive_ms"] for m in run["chunked"]["messages"]]
    buffered = [m["receive_ms"] for m in run["non-chunked"]["messages"]]
    schedule_ms = 5 * interval_ms

    assert chunked[0] < 0.3 * schedule_ms, chunked
    assert chunked[-1] - chunked[0] > 0.6 * schedule_ms, chunked
    assert buffered[0] > 0.9 * schedule_ms, buffered
    assert buffered[-1] - buffered[0] < 0.05 * schedule_ms, buffered
    # The server stamps each buffered line when it is produced: the first waited for all the rest.
    assert run["non-chunked"]["messages"][0]["delay_ms"] > 0.6 * schedule_ms
    assert median(m["delay_ms"] for m in run["chunked"]["messages"]) < 0.25 * interval_ms


async def test_websocket_round_trips_are_measured(tutorial_run: dict[str, dict], tutorial_page: Page) -> None:
    ws = by_name(await export_json(tutorial_page))["ws"]
    assert ws["round_trips_ms"], ws
    assert all(0 <= rtt < 1000 for rtt in ws["round_trips_ms"])
    assert "median" in await tutorial_page.inner_text('.column[data-endpoint="ws"] [data-role="rtt"]')


async def test_csv_export_has_a_row_per_message(tutorial_run: dict[str, dict], tutorial_page: Page) -> None:
    async with tutorial_page.expect_download() as download_info:
        await tutorial_page.click("#export-csv")
    text = (await (await download_info.value).path()).read_text(encoding="utf-8")
    header, *rows = csv.reader(io.StringIO(text))
    assert header == CSV_HEADER
    for name, column in tutorial_run.items():
        mine = [dict(zip(header, row, strict=True)) for row in rows if row[0] == name]
        assert [int(row["index"]) for row in mine] == list(range(column["messages"])), name
        assert [shown(row["text"]) for row in mine] == [shown(text) for text in column["texts"]], name
    assert len(rows) == sum(column["messages"] for column in tutorial_run.values())


async def test_chunked_intervals_follow_the_server_schedule(page: Page, base_url: str) -> None:
    interval_ms = 250
    await open_dashboard(page, base_url, endpoints="chunked,ws", count=6, interval=interval_ms / 1000)
    await start_lag_probe(page)
    await run_until_settled(page)
    # A gap is two wake-ups of the browser: each may be as late as the machine makes any.
    lags = await page_lag_ms(page)
    for name in ("chunked", "ws"):
        times = [m["receive_ms"] for m in by_name(await export_json(page))[name]["messages"]]
        errors = [abs(later - earlier - interval_ms) for earlier, later in itertools.pairwise(times)]
        # Two busy cores (server, browser, test) jitter single gaps; the typical one must be tight.
        assert median(errors) < 0.05 * interval_ms + 2 * median(lags), (name, errors, lags)
        assert max(errors) < 0.6 * interval_ms + 2 * max(lags), (name, errors, lags)


async def test_screenshot_of_a_finished_run(
    tutorial_run: dict[str, dict], tutorial_page: Page, page: Page, base_url: str, artifacts: Path
) -> None:
    """Written where the run keeps artifacts; UPDATE_SCREENSHOT=1 also refreshes the README's."""
    assert {column["state"] for column in tutorial_run.values()} == {"done"}
    target = artifacts / "dashboard.png"
    await tutorial_page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
    await tutorial_page.emulate_media(color_scheme="dark")
    await tutorial_page.screenshot(path=str(artifacts / "dashboard-dark.png"), full_page=True)
    await tutorial_page.emulate_media(color_scheme="light")
    if os.environ.get("UPDATE_SCREENSHOT") == "1":
        # The README shows the tutorial itself: its real one-second pacing.
        await open_dashboard(page, base_url)
        await run_until_settled(page)
        await page.screenshot(path=str(DOCS_SCREENSHOT), full_page=True)


def test_the_readme_screenshot_is_committed() -> None:
    assert DOCS_SCREENSHOT.exists() and DOCS_SCREENSHOT.stat().st_size > 10_000
