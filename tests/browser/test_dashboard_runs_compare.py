"""The Runs panel's comparison bolds what differs between two runs, not a few milliseconds
of scheduling; and forgetting the kept runs asks first, since nothing brings them back."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Dialog, Page

from tests.browser.dashboard import open_dashboard, run_until_settled

DIFFERS_IN_PAGE = """async (cases) => {
    const { differs } = await import("/static/js/history.js");
    return cases.map(([kind, a, b]) => differs(kind, a, b));
}"""

BOLD = """() => Object.fromEntries([...document.querySelectorAll('#runs-compare-rows tr')].map((row) => [
    row.dataset.endpoint,
    [...row.querySelectorAll('td.differs')].map((td) => td.dataset.field),
]))"""


@pytest.mark.parametrize(
    ("kind", "a", "b", "bold"),
    [
        ("time", 20.1, 20.9, False),  # sub-millisecond
        ("time", 20.0, 29.0, False),  # 45% apart but 9 ms: scheduling
        ("time", 1000.0, 1090.0, False),  # 90 ms but 8%
        ("time", 1000.0, 1200.0, True),
        ("time", 20.0, 40.0, True),
        ("time", None, 40.0, True),  # a stream that never sent against one that did
        ("count", 3, 3, False),
        ("count", 3, 4, True),  # every message counts
        ("wire", 104, 105, True),
        ("outcome", "done", "error", True),
        ("outcome", "done", "done", False),
    ],
)
async def test_times_differ_by_10_ms_and_10_percent_counts_by_any(
    page: Page, base_url: str, kind: str, a: Any, b: Any, bold: bool
) -> None:
    await open_dashboard(page, base_url)
    assert await page.evaluate(DIFFERS_IN_PAGE, [[kind, a, b]]) == [bold]


async def kept(page: Page, n: int) -> None:
    await page.wait_for_function("(n) => document.querySelectorAll('#runs-rows tr').length === n", arg=n)


async def test_two_runs_apart_only_in_their_pace_are_bold_only_where_the_pace_shows(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,non-chunked", count=3, interval=0.05)
    await run_until_settled(page)
    await kept(page, 1)
    await page.fill('input[name="interval"]', "0.3")
    await run_until_settled(page)
    await kept(page, 2)
    # A: the newer run (2 gaps of 300 ms), B: the one before (2 of 50 ms): their last messages
    # are ~500 ms apart, and so is the buffered response's first (it comes with its last);
    # counts, bytes and outcomes are the same. (A chunked first message a busy machine delayed
    # by 10 ms and 10% may be bold too: that is a difference, measured.)
    bold = await page.evaluate(BOLD)
    assert bold["non-chunked"] == ["first", "last"], bold
    assert bold["chunked"] in (["last"], ["first", "last"]), bold


async def test_forgetting_the_runs_asks_first_and_keeps_them_when_told_no(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked", count=1, interval=0)
    await run_until_settled(page)
    await kept(page, 1)
    asked: list[str] = []

    async def answer(dialog: Dialog, accept: bool) -> None:
        asked.append(dialog.message)
        await (dialog.accept() if accept else dialog.dismiss())

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    await page.click("#runs-forget")
    await page.wait_for_function(
        "() => document.getElementById('runs-status').textContent === 'Nothing was forgotten.'"
    )
    assert await page.locator("#runs-rows tr").count() == 1
    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    await page.click("#runs-forget")
    await kept(page, 0)
    assert asked == ["Forget the run kept in this browser? It cannot be brought back."] * 2


async def test_overlaying_b_from_the_runs_panel_brings_the_timeline_into_view(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked", count=2, interval=0)
    for n in (1, 2):
        await run_until_settled(page)
        await kept(page, n)
    await page.locator("#runs-overlay").scroll_into_view_if_needed()
    assert await page.evaluate("() => document.getElementById('timeline-panel').getBoundingClientRect().bottom") < 0
    await page.click("#runs-overlay")
    in_view = """() => {
        const r = document.getElementById('timeline-panel').getBoundingClientRect();
        return r.top >= -1 && r.top < innerHeight / 2;
    }"""
    await page.wait_for_function(in_view, timeout=5_000)
    assert await page.locator("#timeline .ghost-mark").count() == 2


async def test_a_table_wider_than_a_phone_shows_there_is_more_to_scroll(page: Page, base_url: str) -> None:
    await page.set_viewport_size({"width": 390, "height": 844})
    await open_dashboard(page, base_url, endpoints="chunked", count=1, interval=0)
    box = page.locator(".summary-panel .summary-scroll")
    assert await box.evaluate("(node) => node.scrollWidth > node.clientWidth")
    # The shadow on the side there is more to scroll to (drawn by the box's own background).
    assert "radial-gradient" in await box.evaluate("(node) => getComputedStyle(node).backgroundImage")
