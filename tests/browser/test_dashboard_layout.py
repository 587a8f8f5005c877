"""The page as a new user first sees it: the first screen, the summary, what to notice,
what differs, readable badges in both schemes, and even rows of columns at any width."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page

from app.differences import DIFFERENCES
from app.endpoints import ENDPOINTS

from .dashboard import open_dashboard, run_until_settled

SCREENS = {"desktop": (1280, 800), "wide": (1920, 1080), "phone": (390, 844)}

FIRST_SCREEN = """() => {
    const bottom = (selector) => document.querySelector(selector).getBoundingClientRect().bottom;
    return {
        run: bottom('#run'),
        timeline: bottom('#timeline'),
        summary: bottom('#summary'),
        rows: document.querySelectorAll('#summary-rows tr').length,
    };
}"""

ROWS_OF_COLUMNS = """() => {
    const tops = new Map();
    for (const column of document.querySelectorAll('.column:not([hidden])')) {
        const top = Math.round(column.getBoundingClientRect().top);
        tops.set(top, (tops.get(top) ?? 0) + 1);
    }
    return [...tops.values()];
}"""

# WCAG's relative luminance and contrast ratio, from the colours the browser computed.
BADGE_CONTRASTS = """() => {
    const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    const rgb = (text) => {
        const probe = document.createElement('canvas').getContext('2d');
        probe.fillStyle = text;
        probe.fillRect(0, 0, 1, 1);
        return [...probe.getImageData(0, 0, 1, 1).data].slice(0, 3);
    };
    const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    const ratio = (a, b) => {
        const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
        return (hi + 0.05) / (lo + 0.05);
    };
    const panel = rgb(getComputedStyle(document.querySelector('.column')).backgroundColor);
    const out = {};
    for (const state of ['idle', 'waiting', 'streaming', 'done', 'error', 'aborted']) {
        const column = document.querySelector('.column');
        column.dataset.state = state;
        const badge = column.querySelector('.state');
        const style = getComputedStyle(badge);
        const back = style.backgroundColor === 'rgba(0, 0, 0, 0)' ? panel : rgb(style.backgroundColor);
        out[state] = ratio(rgb(style.color), back);
    }
    const input = getComputedStyle(document.querySelector('input[name=count]'));
    out.input_edge = ratio(rgb(input.borderTopColor), panel);
    return out;
}"""


async def test_the_first_screen_shows_controls_timeline_and_a_summary_row_per_stream(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, interval="0.05")
    await run_until_settled(page)
    seen = await page.evaluate(FIRST_SCREEN)
    height = SCREENS["desktop"][1]
    assert seen["rows"] == len(ENDPOINTS)
    assert max(seen["run"], seen["timeline"], seen["summary"]) <= height, seen


async def test_the_summary_says_what_to_notice_about_the_buffered_response(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, interval="0.2", endpoints="chunked,non-chunked,sse,ws")
    await run_until_settled(page)
    rows = await page.eval_on_selector_all(
        "#summary-rows tr", "rows => rows.map((row) => [row.dataset.endpoint, row.dataset.state])"
    )
    assert rows == [[name, "done"] for name in ("chunked", "non-chunked", "sse", "ws")]
    notes = await page.eval_on_selector_all("#notice-list li", "items => items.map((item) => item.textContent)")
    # Five messages 0.2 s apart, all produced before the buffered body goes out.
    held = [note for note in notes if note.startswith("non-chunked delivered nothing for")]
    assert held and "then all 5 messages at once: content-length — fix: " in held[0], notes
    assert not [note for note in notes if note.startswith("chunked delivered nothing")], notes
    # The most and the least framing among the streaming transports: SSE's fields, WebSocket's 2-byte headers.
    assert [note for note in notes if note.startswith("sse spent ") and note.endswith(", ws 2 bytes.")], notes


async def test_what_differs_has_a_row_per_transport(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)
    rows = await page.eval_on_selector_all(
        ".differs-table tbody tr", "rows => rows.map((row) => [row.dataset.transport, row.cells[1].textContent])"
    )
    transports = list(dict.fromkeys(endpoint.transport.value for endpoint in ENDPOINTS))
    assert [transport for transport, _ in rows] == transports
    for transport, endpoints in rows:
        assert set(endpoints.split()) == {e.name for e in ENDPOINTS if e.transport.value == transport}
        assert transport in DIFFERENCES


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_badges_and_input_edges_are_readable(page: Page, base_url: str, scheme: str) -> None:
    await page.emulate_media(color_scheme=scheme)
    await open_dashboard(page, base_url)
    contrasts = await page.evaluate(BADGE_CONTRASTS)
    edge = contrasts.pop("input_edge")
    assert edge >= 3.0, (scheme, edge)  # WCAG non-text contrast
    assert all(ratio >= 4.5 for ratio in contrasts.values()), (scheme, contrasts)


@pytest.mark.parametrize("screen", SCREENS)
async def test_columns_fill_even_rows_and_a_screenshot_is_kept(
    page: Page, base_url: str, artifacts: Path, screen: str
) -> None:
    width, height = SCREENS[screen]
    await page.set_viewport_size({"width": width, "height": height})
    await open_dashboard(page, base_url, interval="0.05")
    await run_until_settled(page)
    rows = await page.evaluate(ROWS_OF_COLUMNS)
    assert max(rows) - min(rows) <= 1, rows  # 4 + 4, never 6 + 2
    overflow = await page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    await page.screenshot(path=str(artifacts / f"layout-{screen}.png"))
    await page.emulate_media(color_scheme="dark")
    await page.screenshot(path=str(artifacts / f"layout-{screen}-dark.png"))


async def test_message_details_are_reachable_by_keyboard_and_tap(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, interval="0.01", endpoints="chunked")
    await run_until_settled(page)
    column = page.locator('.column[data-endpoint="chunked"]')
    detail = column.locator("[data-role=row-detail]")
    assert await detail.is_hidden()
    await column.locator("[data-role=messages]").focus()
    await page.keyboard.press("Home")
    await page.keyboard.press("ArrowDown")
    assert (await detail.text_content() or "").startswith("message 2, received at ")
    await column.locator(".row").nth(3).click()
    assert (await detail.text_content() or "").startswith("message 4, received at ")


async def test_a_culprit_lane_is_a_plain_summary_row(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, interval="0.01", endpoints="chunked", culprits="chunked:gzip-flush")
    await run_until_settled(page)
    rows = await page.eval_on_selector_all(
        "#summary-rows tr", "rows => rows.map((row) => [row.dataset.endpoint, getComputedStyle(row).display])"
    )
    assert rows == [["chunked", "table-row"], ["chunked:gzip-flush", "table-row"]]
