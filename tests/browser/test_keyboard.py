"""The page by keyboard alone: every Tab stop, before a run and after one, is something on
screen that shows it has the focus; an empty lane or message list is no stop at all."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

from tests.browser.dashboard import open_dashboard, run_until_settled

#: More Tab presses than the page has stops: a walk that never comes back to the page fails.
MAX_STOPS = 200

#: A fresh walk from the top of the page, and how a stop looks: an element and the two that
#: hold it, since a focus ring may be drawn on what holds the element (a checkbox's pill).
START = """() => {
    window.tabStops = [];
    window.focusRings = (element) => [element, element.parentElement, element.parentElement?.parentElement]
        .filter(Boolean).map((node) => {
            const style = getComputedStyle(node);
            return [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow].join(' ');
        });
    document.activeElement?.blur();
    window.scrollTo(0, 0);
}"""

#: The focused element, kept for later, as the walk sees it: where it is and how it looks focused.
FOCUSED = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    window.tabStops.push(element);
    const box = element.getBoundingClientRect();
    const name = element.dataset.endpoint ?? element.getAttribute('aria-label') ?? element.textContent ?? '';
    return {
        name: `${element.tagName.toLowerCase()}${element.id ? '#' + element.id : ''} "${name.trim().slice(0, 40)}"`,
        kind: element.matches('.lane') ? 'lane' : element.matches('.messages') ? 'list' : 'other',
        x: box.left + scrollX, y: box.top + scrollY, width: box.width, height: box.height,
        // Where a reader meets it: a list by its column (the row of columns, then across).
        place: [(element.closest('.column') ?? element).getBoundingClientRect().top + scrollY, box.left + scrollX]
            .map(Math.round),
        shown: element.checkVisibility({ opacityProperty: true, visibilityProperty: true }),
        rings: window.focusRings(element),
    };
}"""

#: How each stop of the walk looks when it does not have the focus.
UNFOCUSED = """() => {
    document.activeElement?.blur();
    return window.tabStops.map(window.focusRings);
}"""


async def tab_stops(page: Page) -> list[dict[str, Any]]:
    """Every Tab stop from the top of the page to its end, each with how it looks unfocused."""
    await page.evaluate(START)
    stops: list[dict[str, Any]] = []
    for _ in range(MAX_STOPS):
        await page.keyboard.press("Tab")
        stop = await page.evaluate(FOCUSED)
        if stop is None or (stops and stop["name"] == stops[0]["name"] and stop["y"] == stops[0]["y"]):
            break
        stops.append(stop)
    else:
        raise AssertionError(f"Tab never left the page after {MAX_STOPS} stops")
    for stop, unfocused in zip(stops, await page.evaluate(UNFOCUSED), strict=True):
        stop["unfocused"] = unfocused
    return stops


def shows_focus(stop: dict[str, Any]) -> bool:
    """Some ring, on the element or on what holds it, that is there only while it is focused."""
    return any(
        focused != unfocused and not focused.startswith("none")
        for focused, unfocused in zip(stop["rings"], stop["unfocused"], strict=True)
    )


def hidden_or_unmarked(stops: list[dict[str, Any]]) -> list[str]:
    """The stops a sighted keyboard user could not follow: nothing on screen, or no visible change."""
    problems = []
    for stop in stops:
        if not stop["shown"] or stop["width"] <= 0 or stop["height"] <= 0 or stop["x"] + stop["width"] <= 0:
            problems.append(f"{stop['name']}: not on screen ({stop['width']:.0f}x{stop['height']:.0f})")
        elif not shows_focus(stop):
            problems.append(f"{stop['name']}: looks the same focused ({stop['rings'][0]})")
    return problems


async def test_before_a_run_every_tab_stop_is_visible_and_shows_its_focus(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, count=3, interval=0)
    stops = await tab_stops(page)
    assert not hidden_or_unmarked(stops), hidden_or_unmarked(stops)
    # Nothing to read yet: no lane and no message list is a stop.
    assert [stop["name"] for stop in stops if stop["kind"] != "other"] == [], stops


async def test_after_a_run_each_lane_and_list_with_messages_is_a_visible_stop_in_reading_order(
    page: Page, base_url: str
) -> None:
    await open_dashboard(page, base_url, count=3, interval=0)
    shown = await run_until_settled(page)
    stops = await tab_stops(page)
    assert not hidden_or_unmarked(stops), hidden_or_unmarked(stops)
    with_messages = {name for name, column in shown.items() if column["messages"]}
    lanes = [stop for stop in stops if stop["kind"] == "lane"]
    lists = [stop for stop in stops if stop["kind"] == "list"]
    assert len(lanes) == len(lists) == len(with_messages), (len(lanes), len(lists), sorted(with_messages))
    # Lanes top to bottom, lists column by column as they are read: Tab never jumps back among them.
    for kind in (lanes, lists):
        places = [stop["place"] for stop in kind]
        assert places == sorted(places), kind
