"""The timeline tells each stream's life: its phases, marks stacked where they coincide, how
it ended, where Stop was pressed, each message's details (pointer and keyboard), zoom and pan,
and another run drawn over it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

from tests.browser.dashboard import by_name, export_json, open_dashboard, run_until_settled

COUNT = 5
INTERVAL_MS = 100
SCHEDULE_MS = COUNT * INTERVAL_MS
LANE = '#timeline .lane[data-endpoint="{}"]'

PHASES = """(lane) => Object.fromEntries([...lane.querySelectorAll('[data-phase]')].map((rect) => [
    rect.dataset.phase, [Number(rect.dataset.from), Number(rect.dataset.to)]]))"""

VIEW = """() => {
    const svg = document.getElementById('timeline');
    return {
        start: Number(svg.dataset.viewStart), span: Number(svg.dataset.viewSpan),
        ticks: [...svg.querySelectorAll('.tick')].map((tick) => tick.textContent),
    };
}"""


async def phases(page: Page, name: str) -> dict[str, list[float]]:
    return await page.locator(LANE.format(name)).evaluate(PHASES)


async def test_the_buffered_responses_five_messages_are_one_stack_counted_five(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,non-chunked", interval=INTERVAL_MS / 1000)
    shown = await run_until_settled(page)
    assert shown["non-chunked"]["messages"] == COUNT and shown["non-chunked"]["marks"] == COUNT

    stacks = page.locator(f"{LANE.format('non-chunked')} .stack")
    assert await stacks.count() == 1
    assert await stacks.get_attribute("data-count") == str(COUNT)
    label = stacks.locator(".stack-count")
    assert await label.text_content() == f"\N{MULTIPLICATION SIGN}{COUNT}" and await label.is_visible()
    # The glyph is wider than one mark, so five messages do not look like one.
    assert (await stacks.bounding_box() or {}).get("width", 0) >= 4
    # Progressive marks are apart: no stack.
    assert await page.locator(f"{LANE.format('chunked')} .stack").count() == 0


async def test_each_lane_draws_headers_first_byte_and_end_in_order(page: Page, base_url: str) -> None:
    """Buffered: headers only at the end. Chunked: headers at once, then streaming. Through gzip:
    connected at once, but the body held until the end (hatched "held")."""
    await open_dashboard(
        page, base_url, endpoints="chunked,non-chunked", culprits="chunked:gzip", interval=INTERVAL_MS / 1000
    )
    await run_until_settled(page)
    run = by_name(await export_json(page))
    lanes = {name: await phases(page, name) for name in ("chunked", "non-chunked", "chunked:gzip")}

    for name, drawn in lanes.items():
        assert list(drawn) == ["waiting", "held", "streaming"], (name, drawn)
        waiting, held, streaming = drawn["waiting"], drawn["held"], drawn["streaming"]
        assert waiting[0] <= waiting[1] == held[0] <= held[1] == streaming[0] <= streaming[1], (name, drawn)
        record = run[name]["summary"]
        assert abs(waiting[1] - record["headers_ms"]) < 0.2, (name, drawn, record)
        assert abs(streaming[1] - record["end_ms"]) < 0.2, (name, drawn, record)
        end = page.locator(f"{LANE.format(name)} .end")
        assert await end.get_attribute("data-end") == "done"
        assert abs(float(await end.get_attribute("data-t") or "nan") - record["end_ms"]) < 0.2

    assert lanes["non-chunked"]["waiting"][1] > 0.9 * SCHEDULE_MS, lanes["non-chunked"]
    assert lanes["chunked"]["waiting"][1] < 0.3 * SCHEDULE_MS, lanes["chunked"]
    assert lanes["chunked:gzip"]["waiting"][1] < 0.3 * SCHEDULE_MS, lanes["chunked:gzip"]
    for name in ("chunked", "non-chunked"):
        held = lanes[name]["held"]
        assert held[1] - held[0] < 0.3 * SCHEDULE_MS, (name, held)
    held = lanes["chunked:gzip"]["held"]
    assert held[1] - held[0] > 0.6 * SCHEDULE_MS, held
    box = await page.locator(f'{LANE.format("chunked:gzip")} [data-phase="held"]').bounding_box()
    assert box is not None and box["width"] > 20, box
    fill = await page.locator(f'{LANE.format("chunked:gzip")} [data-phase="held"]').get_attribute("fill")
    assert fill is not None and fill.startswith("url(#"), fill


async def test_done_and_stopped_lanes_end_differently_and_stop_is_marked(page: Page, base_url: str) -> None:
    """Nested JSON sends many more messages than chunked: Stop finds one done, one still going."""
    await open_dashboard(page, base_url, endpoints="chunked,json-nested", interval=0.05)
    await page.click("#run")
    await page.wait_for_function(
        """() => document.querySelector('.column[data-endpoint="chunked"]').dataset.state === 'done'
            && Number(document.querySelector('.column[data-endpoint="json-nested"]').dataset.messages) >= 3"""
    )
    await page.click("#stop")
    await page.wait_for_function("() => document.querySelector('#stop').disabled")
    run = await export_json(page)
    stopped_ms = run["run"]["stopped_ms"]
    assert stopped_ms is not None

    done = page.locator(f"{LANE.format('chunked')} .end")
    aborted = page.locator(f"{LANE.format('json-nested')} .end")
    assert await page.locator(LANE.format("chunked")).get_attribute("data-outcome") == "done"
    assert await page.locator(LANE.format("json-nested")).get_attribute("data-outcome") == "aborted"
    shapes = [await glyph.evaluate("(g) => [...g.children].map((c) => c.tagName).join()") for glyph in (done, aborted)]
    colours = [await glyph.evaluate("(g) => getComputedStyle(g).fill") for glyph in (done, aborted)]
    assert shapes[0] != shapes[1], shapes
    assert colours[0] != colours[1], colours

    marker = page.locator("#timeline .stop-marker")
    assert await marker.is_visible()
    assert abs(float(await marker.get_attribute("data-t") or "nan") - stopped_ms) < 0.2
    assert "stopped at" in (await marker.text_content() or "")
    # Drawn where the stopped stream's bar ends.
    line = await marker.locator(".stop-line").bounding_box()
    end = await aborted.bounding_box()
    assert line is not None and end is not None
    assert abs((line["x"] + line["width"] / 2) - (end["x"] + end["width"] / 2)) < 2, (line, end)

    await page.click("#run")
    await page.wait_for_function("() => document.querySelector('#stop').disabled === false")
    assert not await marker.is_visible()


async def tip(page: Page) -> dict[str, Any]:
    return await page.evaluate("""() => {
        const tip = document.querySelector('.tl-tip');
        const { message, endpoint } = tip.dataset;
        return { shown: !tip.hidden, message, endpoint, text: tip.innerText };
    }""")


async def test_a_marks_details_show_on_hover_and_from_the_keyboard(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,sse", interval=INTERVAL_MS / 1000)
    shown = await run_until_settled(page)
    assert not (await tip(page))["shown"]

    mark = page.locator(f"{LANE.format('chunked')} .mark").nth(2)
    box = await mark.bounding_box()
    assert box is not None
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.wait_for_function("() => !document.querySelector('.tl-tip').hidden")
    details = await tip(page)
    assert details["endpoint"] == "chunked" and details["message"] == "2", details
    # One numbering, from 1: the third mark is message 3 (its data-message hook is the index, 2).
    assert "message 3 of " in details["text"] and "received at" in details["text"], details
    assert "#" not in details["text"], details
    assert shown["chunked"]["texts"][2].split(" @")[0] in details["text"], details
    await page.mouse.move(5, 5)
    await page.wait_for_function("() => document.querySelector('.tl-tip').hidden")

    lane = page.locator(LANE.format("sse"))
    await lane.focus()
    assert "sse: done" in (await lane.get_attribute("aria-label") or "")
    await page.keyboard.press("ArrowRight")
    assert (await tip(page))["message"] == "0"
    await page.keyboard.press("ArrowRight")
    details = await tip(page)
    assert details["shown"] and details["endpoint"] == "sse" and details["message"] == "1", details
    assert "SSE message 1" in details["text"], details
    assert await lane.get_attribute("aria-describedby") == await page.get_attribute(".tl-tip", "id")
    await page.keyboard.press("End")
    assert (await tip(page))["message"] == str(COUNT - 1)
    await page.keyboard.press("ArrowLeft")
    assert (await tip(page))["message"] == str(COUNT - 2)
    await page.keyboard.press("Escape")
    assert not (await tip(page))["shown"]


async def test_zoom_narrows_the_axis_around_the_pointer_and_reset_restores_it(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked", interval=INTERVAL_MS / 1000)
    await run_until_settled(page)
    whole = await page.evaluate(VIEW)
    assert whole["start"] == 0 and whole["span"] >= SCHEDULE_MS * 0.8, whole

    await page.click('[data-zoom="in"]')
    zoomed = await page.evaluate(VIEW)
    assert abs(zoomed["span"] - whole["span"] / 2) < 1e-6 and zoomed["ticks"] != whole["ticks"], (whole, zoomed)
    # Some marks are now outside the window: clipped to the plot, not drawn over the labels.
    plot = page.locator(f"{LANE.format('chunked')} [clip-path]")
    assert await plot.count() == 1

    # Drag pans: the window moves by the distance dragged, in time.
    lane_box = await page.locator(LANE.format("chunked")).bounding_box()
    assert lane_box is not None
    y = lane_box["y"] + lane_box["height"] / 2
    x = lane_box["x"] + lane_box["width"] * 0.6
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move(x - 40, y, steps=4)
    await page.mouse.up()
    panned = await page.evaluate(VIEW)
    assert panned["span"] == zoomed["span"] and panned["start"] > zoomed["start"], (zoomed, panned)

    await page.click('[data-zoom="reset"]')
    assert await page.evaluate(VIEW) == whole

    # Ctrl+wheel zooms around the pointer: the time under it stays put.
    plot_x, plot_width = await plot_span(page)
    before = whole["start"] + (x - plot_x) / plot_width * whole["span"]
    await page.mouse.move(x, y)
    await page.keyboard.down("Control")
    await page.mouse.wheel(0, -400)
    await page.keyboard.up("Control")
    narrower = f"() => Number(document.getElementById('timeline').dataset.viewSpan) < {whole['span']}"
    await page.wait_for_function(narrower)
    wheeled = await page.evaluate(VIEW)
    after = wheeled["start"] + (x - plot_x) / plot_width * wheeled["span"]
    assert abs(after - before) < 0.01 * whole["span"], (before, after, wheeled)

    # The keyboard: 0 shows the whole run again, + zooms in.
    await page.locator(LANE.format("chunked")).focus()
    await page.keyboard.press("0")
    assert await page.evaluate(VIEW) == whole
    await page.keyboard.press("+")
    assert (await page.evaluate(VIEW))["span"] < whole["span"]


async def plot_span(page: Page) -> tuple[float, float]:
    """Where the plot starts on the screen, and how wide it is (px)."""
    return await page.evaluate("""() => {
        const svg = document.getElementById('timeline');
        return [svg.getBoundingClientRect().x + Number(svg.dataset.plotLeft), Number(svg.dataset.plotWidth)];
    }""")


OVERLAY = """async (label) => {
    const { createTimeline } = await import('/static/js/timeline.js');
    const panel = document.createElement('section');
    panel.className = 'panel timeline-panel';
    const box = document.createElement('div');
    box.className = 'timeline-box';
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.classList.add('timeline');
    const cursor = document.createElement('div');
    const key = document.createElement('li');
    key.dataset.overlayKey = '';
    key.hidden = true;
    const name = document.createElement('span');
    name.dataset.overlayLabel = '';
    key.append(name);
    box.append(svg, cursor);
    panel.append(box, key);
    document.body.prepend(panel);
    const spec = (name, index) => ({ name, index, transport: 'chunked' });
    const record = (name, index, times) => ({
        spec: spec(name, index), state: 'done', openT: 1, firstT: times[0], lastT: times.at(-1), endT: times.at(-1),
        messages: times.map((t) => ({ t, sent: null, text: `m${t}` })), drops: [], reconnects: [],
    });
    const timeline = createTimeline(svg, cursor);
    timeline.reset([record('chunked', 0, [10, 20, 30]), record('sse', 1, [15, 25])]);
    timeline.render(30, false);
    const ghosts = () => Object.fromEntries(['chunked', 'sse'].map((n) =>
        [n, svg.querySelectorAll(`.lane[data-endpoint="${n}"] .ghost-mark`).length]));
    const without = ghosts();
    // The other run: chunked with four messages, and a stream this run does not have.
    timeline.setOverlay([record('chunked', 0, [12, 22, 32, 1200]), record('ws', 2, [5])], label);
    const withOverlay = ghosts();
    const shown = { hidden: key.hidden, label: name.textContent, span: timeline.span,
        marks: svg.querySelectorAll('.mark').length };
    timeline.setOverlay(null);
    const after = ghosts();
    panel.remove();
    return { without, withOverlay, shown, after, hidden: key.hidden };
}"""


async def test_an_overlay_draws_another_runs_marks_ghosted_and_removes_them(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)
    result = await page.evaluate(OVERLAY, "run 1 (12:00)")
    assert result["without"] == {"chunked": 0, "sse": 0}, result
    assert result["withOverlay"] == {"chunked": 4, "sse": 0}, result
    assert result["shown"]["marks"] == 5, result  # this run's own marks are untouched
    assert not result["shown"]["hidden"] and result["shown"]["label"] == "run 1 (12:00)", result
    assert result["shown"]["span"] >= 1200, result  # the axis makes room for the other run's end
    assert result["after"] == {"chunked": 0, "sse": 0} and result["hidden"], result


async def test_screenshots_of_the_timeline_light_and_dark(page: Page, base_url: str, artifacts: Path) -> None:
    await open_dashboard(page, base_url, culprits="chunked:gzip", interval=INTERVAL_MS / 1000)
    await run_until_settled(page)
    await page.locator(LANE.format("non-chunked")).focus()
    await page.keyboard.press("ArrowRight")
    panel = page.locator(".timeline-panel")
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        path = artifacts / f"timeline-{scheme}.png"
        await panel.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
