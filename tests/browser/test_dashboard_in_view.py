"""Run and the timeline stay in view whatever panel is open: beside the timeline the controls
scroll by themselves with Run at their foot; on a phone Run and Stop are a bar at the window's
foot and Run brings the timeline up. Before a first run, the timeline's place says what Run
will do (the plan), not empty lanes."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

from tests.browser.dashboard import ALL_SETTLED, FINAL_STATES, open_dashboard

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
#: Both panels open (a link that asks for culprits and a stream opens them), with enough culprit lanes to scroll.
BUSY = {
    "culprits": "chunked:gzip,chunked:gzip-flush,chunked:proxy,sse:cdn,json:middleware",
    "stream": "http://127.0.0.1:1/x",
    "count": "5",
    "interval": "0.1",
}

PLACES = """() => {
    const box = (selector) => {
        const node = document.querySelector(selector);
        const r = node.getBoundingClientRect();
        const visible = r.height > 0 && getComputedStyle(node).visibility !== 'hidden';
        return { top: r.top, bottom: r.bottom, height: r.height, shown: visible };
    };
    return {
        viewport: innerHeight, run: box('#run'), stop: box('#stop'), panel: box('.timeline-panel'),
        lanes: box('.timeline-box'), plan: box('#plan'), planOpen: document.getElementById('plan-box').open,
        bar: box('#controls > .actions'),
    };
}"""


def within(place: dict[str, Any], viewport: float, below: float = 0) -> bool:
    return place["shown"] and place["top"] >= below - 1 and place["bottom"] <= viewport + 1


async def places(page: Page) -> dict[str, Any]:
    return await page.evaluate(PLACES)


async def run(page: Page) -> dict[str, Any]:
    await page.click("#run")
    await page.wait_for_function("() => document.getElementById('timeline-panel').dataset.ran === 'true'")
    await page.wait_for_function("() => !document.getElementById('stop').disabled")
    return await places(page)


async def test_before_a_run_the_timeline_says_what_run_will_do(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,sse", count="3", interval="0.1")
    before = await places(page)
    assert before["planOpen"] and before["plan"]["shown"] and not before["lanes"]["shown"], before
    rows = await page.eval_on_selector_all("#plan .plan-name", "nodes => nodes.map((n) => n.textContent)")
    assert rows == ["chunked", "sse"]
    # The plan stands where the lanes will be: in the timeline's panel.
    assert await page.locator(".timeline-panel #plan").count() == 1
    after = await run(page)
    assert not after["planOpen"] and after["lanes"]["shown"], after
    await page.wait_for_function(ALL_SETTLED, arg=list(FINAL_STATES))


async def test_beside_the_timeline_run_and_the_timeline_stay_in_view_with_every_panel_open(
    page: Page, base_url: str
) -> None:
    await page.set_viewport_size(DESKTOP)
    await open_dashboard(page, base_url, **BUSY)
    assert await page.evaluate(
        "() => document.getElementById('culprits').open && document.getElementById('yours').open"
    )
    # Read down the controls to their end, as someone choosing culprits does.
    await page.evaluate("() => { const c = document.getElementById('controls'); c.scrollTop = c.scrollHeight; }")
    scrolled = await places(page)
    assert await page.evaluate("() => document.getElementById('controls').scrollTop") > 0, "the controls did not scroll"
    assert within(scrolled["run"], scrolled["viewport"]), scrolled
    assert 0 <= scrolled["panel"]["top"] < 200, scrolled
    started = await run(page)
    assert within(started["run"], started["viewport"]) and within(started["stop"], started["viewport"]), started
    assert within(started["lanes"], started["viewport"]) or started["lanes"]["top"] < started["viewport"] / 2, started
    await page.wait_for_function(ALL_SETTLED, arg=list(FINAL_STATES))


async def test_on_a_phone_run_is_always_at_hand_and_brings_the_timeline_up(page: Page, base_url: str) -> None:
    await page.set_viewport_size(PHONE)
    await open_dashboard(page, base_url, **BUSY)
    for where in ("top", "culprits", "yours", "bottom"):
        if where == "top":
            await page.evaluate("() => scrollTo(0, 0)")
        elif where == "bottom":
            await page.evaluate("() => scrollTo(0, document.documentElement.scrollHeight)")
        else:
            await page.locator(f"#{where} > summary").scroll_into_view_if_needed()
        shown = await places(page)
        assert within(shown["run"], shown["viewport"]), (where, shown)
    # Nothing at the page's end is left under the bar.
    end = await page.evaluate("() => document.querySelector('main').getBoundingClientRect().bottom")
    assert end <= shown["bar"]["top"] + 1, (end, shown)

    await page.locator("#culprits > summary").scroll_into_view_if_needed()
    await run(page)
    # The timeline comes up (smoothly, unless reduced motion is asked for).
    came_up = "() => Math.abs(document.getElementById('timeline-panel').getBoundingClientRect().top) < 100"
    await page.wait_for_function(came_up, timeout=5_000)
    started = await places(page)
    assert within(started["run"], started["viewport"]) and within(started["stop"], started["viewport"]), started
    # The timeline came up: its top in view, its lanes above the bar.
    assert 0 <= started["panel"]["top"] < 100, started
    assert started["lanes"]["top"] < started["bar"]["top"] - 150, started
    await page.wait_for_function(ALL_SETTLED, arg=list(FINAL_STATES))
