"""The culprits lab on the page: lanes through compressors, proxies and a CDN beside the healthy
stream, each offering its fix beside it, and connections cut after N messages or in a silence
(an idle timeout) or kept alive by a heartbeat, in Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

from app.endpoints import ENDPOINTS_BY_NAME, culprits_document
from tests.browser.dashboard import (
    by_name,
    columns,
    export_json,
    open_dashboard,
    run_until_settled,
    shown,
    source_messages,
)

DOCUMENT = culprits_document()
CULPRITS: list[dict[str, Any]] = DOCUMENT["culprits"]  # type: ignore[assignment]
FAULTS: list[dict[str, Any]] = DOCUMENT["faults"]  # type: ignore[assignment]
COUNT = 5
INTERVAL_MS = 200
SCHEDULE_MS = COUNT * INTERVAL_MS
CULPRIT_LANES = "chunked:gzip,chunked:gzip-flush,chunked:proxy"
PHONE = {"width": 390, "height": 844}


def receive_times(run: dict[str, dict[str, Any]], name: str) -> list[float]:
    return [message["receive_ms"] for message in run[name]["messages"]]


async def screenshots(page: Page, artifacts: Path, name: str) -> None:
    """The page at desktop width (light and dark) and phone width, for a person to look at."""
    await page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)
    await page.emulate_media(color_scheme="dark")
    await page.screenshot(path=str(artifacts / f"{name}-dark.png"), full_page=True)
    await page.emulate_media(color_scheme="light")
    await page.set_viewport_size(PHONE)
    await page.wait_for_timeout(100)  # the timeline redraws on resize
    await page.screenshot(path=str(artifacts / f"{name}-phone.png"), full_page=True)
    assert (artifacts / f"{name}-phone.png").stat().st_size > 10_000


async def test_every_culprit_lane_of_the_registry_is_offered_with_its_cause_and_fix(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)
    assert not await page.locator("#culprits").evaluate("(details) => details.open")
    for culprit in CULPRITS:
        box = page.locator(f'fieldset[data-culprit="{culprit["name"]}"]')
        text = " ".join((await box.text_content() or "").split())
        assert culprit["fix"] in text and culprit["cause"].split(":")[0] in text, text
        offered = await box.locator('input[name="culprit"]').evaluate_all("(inputs) => inputs.map((i) => i.value)")
        assert offered == [f"{name}:{culprit['name']}" for name in culprit["applies_to"]]
        for lane in offered:
            assert await page.locator(f'.column[data-endpoint="{lane}"]').is_hidden(), lane
    for fault in FAULTS:
        assert await page.locator(f'input[name="{fault["name"]}"]').count() == 1


async def test_culprit_lanes_and_drop_live_in_the_url(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked")
    await page.click("#culprits summary")
    await page.check('input[aria-label="chunked via gzip"]')
    await page.fill('input[name="drop"]', "3")
    search = await page.evaluate("() => location.search")
    assert "culprits=chunked:gzip" in search and "drop=3" in search, search
    await page.reload()
    await page.wait_for_selector("#app[data-ready=true]", state="attached")

    assert await page.locator("#culprits").evaluate("(details) => details.open")
    assert await page.is_checked('input[aria-label="chunked via gzip"]')
    assert await page.input_value('input[name="drop"]') == "3"
    assert set(await columns(page)) == {"chunked", "chunked:gzip"}
    lanes = await page.locator("#timeline .lane").evaluate_all("(lanes) => lanes.map((l) => l.dataset.endpoint)")
    assert lanes == ["chunked", "chunked:gzip"]


async def test_gzip_and_the_proxy_hold_every_message_to_the_end_and_gzip_flush_does_not(
    page: Page, base_url: str, artifacts: Path
) -> None:
    await open_dashboard(
        page, base_url, endpoints="chunked", culprits=CULPRIT_LANES, count=COUNT, interval=INTERVAL_MS / 1000
    )
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    shown_columns = await run_until_settled(page)
    run = by_name(await export_json(page))

    expected = [shown(message) for message in source_messages(ENDPOINTS_BY_NAME["chunked"], COUNT)]
    for name in ("chunked", "chunked:gzip", "chunked:gzip-flush", "chunked:proxy"):
        assert shown_columns[name]["state"] == "done", (name, shown_columns[name])
        assert [shown(text) for text in shown_columns[name]["texts"]] == expected, name
        assert shown_columns[name]["marks"] == COUNT, name
    # Each HTTP stream keeps a host name of its own, and asks for its culprit.
    hosts = {url.split("/")[2] for url in requested if "/chunked?" in url}
    assert len(hosts) == 4, hosts
    assert sum("via=gzip&" in url or url.endswith("via=gzip") for url in requested) == 1

    for progressive in ("chunked", "chunked:gzip-flush"):
        times = receive_times(run, progressive)
        assert times[-1] - times[0] > 0.6 * SCHEDULE_MS, (progressive, times)
        # Held less than half the schedule: a busy machine may delay one read, never hold them all.
        assert run[progressive]["delay_max_ms"] < 0.5 * SCHEDULE_MS, run[progressive]["delay_max_ms"]
    for held in ("chunked:gzip", "chunked:proxy"):
        times = receive_times(run, held)
        assert times[0] > 0.9 * SCHEDULE_MS, (held, times)
        assert times[-1] - times[0] < 0.05 * SCHEDULE_MS, (held, times)
        # With stamps, how long each was held: the first waited for all the others.
        delays = [message["delay_ms"] for message in run[held]["messages"]]
        assert delays[0] > 0.6 * SCHEDULE_MS and delays == sorted(delays, reverse=True), (held, delays)

    whiskers = await page.locator('#timeline .lane[data-endpoint="chunked:gzip"] .held-line').count()
    assert whiskers == COUNT
    together = page.locator('#timeline .lane[data-endpoint="chunked:gzip"] .together')
    assert await together.text_content() == f"\N{MULTIPLICATION SIGN}{COUNT}" and await together.is_visible()
    assert await page.locator('#timeline .lane[data-endpoint="chunked:gzip-flush"] .together').is_hidden()
    desc = await page.inner_text('.column[data-endpoint="chunked:proxy"] .column-desc')
    assert "Fix:" in desc and "proxy_buffering off" in desc, desc
    await screenshots(page, artifacts, "culprits")


async def test_drop_after_two_sse_reconnects_and_ends_with_every_message_once(
    page: Page, base_url: str, artifacts: Path
) -> None:
    """drop=2 of 5: EventSource resumes twice; fetch fails; the WebSocket closes with 1006."""
    await open_dashboard(page, base_url, endpoints="chunked,non-chunked,sse,ws", count=COUNT, interval=0.05, drop=2)
    shown_columns = await run_until_settled(page)
    run = by_name(await export_json(page))

    sse = shown_columns["sse"]
    assert sse["state"] == "done", sse
    assert sse["texts"] == [f"SSE message {i}" for i in range(COUNT)]
    assert [message["id"] for message in run["sse"]["messages"]] == [str(i) for i in range(COUNT)]
    assert len(run["sse"]["dropped_ms"]) == len(run["sse"]["reconnected_ms"]) == 2, run["sse"]
    for cut, back in zip(run["sse"]["dropped_ms"], run["sse"]["reconnected_ms"], strict=True):
        assert 400 < back - cut < 2000, (cut, back)  # the stream's `retry: 500`
    note = await page.inner_text('.column[data-endpoint="sse"] [data-role="connections"]')
    assert "reconnected by itself 2 times" in note and "none repeated" in note, note
    sse_lane = '#timeline .lane[data-endpoint="sse"]'
    assert await page.locator(f"{sse_lane} .cut").count() == 2
    assert await page.locator(f"{sse_lane} .gap").count() == 2

    chunked = shown_columns["chunked"]
    assert chunked["state"] == "error" and chunked["messages"] == 2, chunked
    assert "broke off after 2 messages" in chunked["error"], chunked
    assert await page.locator('#timeline .lane[data-endpoint="chunked"] .cut').count() == 1

    ws = shown_columns["ws"]
    assert ws["state"] == "error" and ws["messages"] == 2, ws
    assert "1006" in ws["error"], ws
    assert "does not reconnect" in await page.inner_text('.column[data-endpoint="ws"] [data-role="connections"]')

    # drop is only asked of the streams it applies to: the buffered response is whole.
    assert shown_columns["non-chunked"]["state"] == "done" and shown_columns["non-chunked"]["messages"] == COUNT
    await screenshots(page, artifacts, "drop")


async def test_a_resume_that_repeats_a_message_would_be_said(page: Page, base_url: str) -> None:
    """The column's "none repeated" is counted from the events' ids, not assumed."""
    await open_dashboard(page, base_url)
    notes = await page.evaluate("""async () => {
        const { connectionNote } = await import('/static/js/connections.js');
        const record = (ids) => ({
            spec: { transport: 'sse' }, count: ids.length, drops: [15], reconnects: [520],
            messages: ids.map((id, i) => ({ t: i < 2 ? 10 * i : 600 + i, id: String(id) })),
        });
        return [connectionNote(record([0, 1, 2, 3])), connectionNote(record([0, 1, 1, 2]))];
    }""")
    assert "cut once (when 2 messages had arrived)" in notes[0] and "after 505.0 ms" in notes[0], notes
    assert "none repeated" in notes[0] and "1 repeated" in notes[1], notes


async def test_sse_through_gzip_with_drop_never_gets_a_message_and_the_page_says_why(page: Page, base_url: str) -> None:
    """Each connection's messages are held by the compressor until the cut: EventSource would retry forever."""
    await open_dashboard(page, base_url, endpoints="", culprits="sse:gzip", count=COUNT, interval=0.02, drop=2)
    shown_columns = await run_until_settled(page, timeout_ms=15_000)
    column = shown_columns["sse:gzip"]
    assert column["state"] == "error" and column["messages"] == 0, column
    assert "3 connections in a row were cut before any message" in column["error"], column
    assert await page.locator('#timeline .lane[data-endpoint="sse:gzip"] .cut').count() == 3


async def test_a_held_lane_cut_by_drop_says_its_messages_were_sent_held_and_lost(page: Page, base_url: str) -> None:
    """The server sent 2 before the cut; the compressor and the proxy held them: not "cut after 0"."""
    await open_dashboard(
        page,
        base_url,
        endpoints="",
        culprits="chunked:gzip,chunked:proxy,chunked:gzip-flush",
        count=COUNT,
        interval=0.05,
        drop=2,
    )
    shown_columns = await run_until_settled(page)
    said = """(lanes) => lanes.every((lane) =>
        document.querySelector(`.column[data-endpoint="${lane}"] [data-role="connections"]`).textContent)"""
    await page.wait_for_function(said, arg=["chunked:gzip", "chunked:proxy", "chunked:gzip-flush"])
    for lane, label in (("chunked:gzip", "via gzip"), ("chunked:proxy", "via proxy")):
        assert shown_columns[lane]["messages"] == 0, shown_columns[lane]
        note = await page.inner_text(f'.column[data-endpoint="{lane}"] [data-role="connections"]')
        assert note.startswith("2 sent, held, lost at the cut: the server sent 2 messages"), note
        assert f"{label} held them" in note and "Fix: " in note, note
    # The proxy holds the head with the body: the browser got no answer at all.
    notes = [
        await page.inner_text(f'.column[data-endpoint="{lane}"] [data-role="connections"]')
        for lane in ("chunked:gzip", "chunked:proxy")
    ]
    gzip, proxy = notes
    assert "so none arrived, and the 2 held were lost" in gzip, gzip
    assert "so nothing arrived, not even the response's head" in proxy, proxy
    # The flushed compressor passed both on before the cut: its note is the plain one.
    assert shown_columns["chunked:gzip-flush"]["messages"] == 2
    note = await page.inner_text('.column[data-endpoint="chunked:gzip-flush"] [data-role="connections"]')
    assert note.startswith("The connection was cut after 2 messages by drop"), note


async def test_a_proxy_lane_with_big_messages_arrives_in_blocks(page: Page, base_url: str) -> None:
    """Past a relay block the buffering proxy passes messages on in groups, not only at the end."""
    count, interval_ms = 12, 60
    await open_dashboard(
        page, base_url, endpoints="", culprits="chunked:proxy", count=count, interval=interval_ms / 1000, size=1500
    )
    shown_columns = await run_until_settled(page)
    assert shown_columns["chunked:proxy"]["state"] == "done" and shown_columns["chunked:proxy"]["messages"] == count
    run = by_name(await export_json(page))["chunked:proxy"]
    times = [message["receive_ms"] for message in run["messages"]]
    assert times[0] < 0.7 * count * interval_ms, times
    assert 2 <= run["most_messages_in_one_read"] < count, times
    reads = len(set(times))
    assert 3 <= reads < count, times


CULPRITS_BY_NAME = {culprit["name"]: culprit for culprit in CULPRITS}
BESIDE = """(lane) => document.querySelector(`.column[data-endpoint="${lane}"] .beside-lane`)"""
CONNECTIONS = """() => Object.fromEntries([...document.querySelectorAll('.column:not([hidden])')].map((column) => [
    column.dataset.endpoint, column.querySelector('[data-role=connections]').textContent]))"""


async def test_a_compressor_lane_offers_its_fix_beside_it_held_against_progressive(page: Page, base_url: str) -> None:
    """br holds every message to the end, br-flush passes each on: in Chromium over the lane hosts (loopback)."""
    count, interval_ms = 3, 150
    await open_dashboard(page, base_url, endpoints="", culprits="chunked:br,chunked:cdn", count=count, interval=0.15)
    br = CULPRITS_BY_NAME["br"]
    column = page.locator('.column[data-endpoint="chunked:br"]')
    assert br["fix"] in " ".join((await column.locator(".column-desc").text_content() or "").split())
    assert br["source"].replace("`", "") in (await column.locator(".source").text_content() or "")
    # The CDN's fix is the stream of the one type it streams, through the same CDN.
    assert await page.evaluate(f"({BESIDE})('chunked:cdn').dataset.lane") == "sse:cdn"
    assert await page.locator('.column[data-endpoint="chunked:br-flush"]').count() == 0  # made when shown

    await column.locator(".beside-lane").click()
    assert "culprits=chunked:br,chunked:br-flush,chunked:cdn" in await page.evaluate("location.search")
    assert await page.evaluate(f"({BESIDE})('chunked:br').disabled")
    assert "Its fix is beside it: chunked via br-flush" in await column.locator(".beside-lane").inner_text()
    await page.uncheck('input[aria-label="chunked via cdn"]')
    lanes = await run_until_settled(page)

    assert set(lanes) == {"chunked:br", "chunked:br-flush"}
    run = by_name(await export_json(page))
    expected = [shown(message) for message in source_messages(ENDPOINTS_BY_NAME["chunked"], count)]
    for name in ("chunked:br", "chunked:br-flush"):
        assert lanes[name]["state"] == "done" and [shown(t) for t in lanes[name]["texts"]] == expected, lanes[name]
    held, flushed = receive_times(run, "chunked:br"), receive_times(run, "chunked:br-flush")
    assert held[0] > 0.9 * (count - 1) * interval_ms and held[-1] - held[0] < 0.1 * interval_ms, held
    assert flushed[-1] - flushed[0] > 0.6 * (count - 1) * interval_ms, flushed
    # Off loopback and over plain HTTP the lane says why a browser cannot read it, not a raw network error.
    said = await page.evaluate("""async () => {
        const { codingRefusal } = await import('/static/js/registry.js');
        const spec = { via: 'zstd-flush' };
        return [codingRefusal(spec, 'http://192.0.2.7:8080/chunked'), codingRefusal(spec, 'http://lane3.localhost:8080/c')];
    }""")
    assert said[0].startswith("this browser does not decode zstd over plain HTTP from 192.0.2.7:8080"), said
    assert "transport-lab diagnose and compare decode it" in said[0] and said[1] == "", said


async def test_idle_and_heartbeat_are_checked_kept_in_the_url_and_cut_or_spare_the_stream(
    page: Page, base_url: str
) -> None:
    """idle 0.3 s cuts streams that pause 0.5 s between messages; a heartbeat every 0.1 s keeps them."""
    await open_dashboard(page, base_url, endpoints="sse,ws", count=3, interval=0.5)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url) if "/sse?" in request.url else None)
    await page.click("#culprits > summary")
    await page.fill('input[name="idle"]', "0.05")
    problem = page.locator("#idle-problem")
    assert await problem.is_visible()
    assert (await problem.inner_text()).startswith("idle must be a number of seconds from 0.1 to 3,600")
    await page.click("#run")
    assert "Not run: idle must be" in await page.inner_text("#status")
    assert await page.evaluate("document.activeElement.name") == "idle" and requested == []

    await page.fill('input[name="idle"]', "0.3")
    assert await problem.is_hidden() and "idle=0.3" in await page.evaluate("location.search")
    plan = await page.text_content("#plan") or ""  # folded after a run, to its line: its rows still say it
    assert plan.count("cut after 0.3 s of quiet") == 2, plan
    await page.click("#run")
    await page.wait_for_function(
        """() => document.querySelector('.column[data-endpoint="ws"]').dataset.state === 'error'
            && !document.querySelector('.column[data-endpoint="sse"] [data-role=connections]').hidden"""
    )
    await page.click("#stop")
    notes = await page.evaluate(CONNECTIONS)
    for name in ("sse", "ws"):
        assert "cut" in notes[name] and "by the idle timeout" in notes[name] and "(idle 0.3 s" in notes[name], notes
    assert "?count=3&interval=0.5&stamp=1&idle=0.3" in requested[0], requested

    await page.fill('input[name="heartbeat"]', "0.1")
    assert "idle=0.3&heartbeat=0.1" in await page.evaluate("location.search")
    assert (await page.text_content("#plan") or "").count("kept alive by a heartbeat every 0.1 s") == 2
    lanes = await run_until_settled(page)
    assert {name: (column["state"], column["messages"]) for name, column in lanes.items()} == {
        "sse": ("done", 3),
        "ws": ("done", 3),
    }
    notes = await page.evaluate(CONNECTIONS)
    assert all(note.startswith("Not cut:") and "heartbeat" in note for note in notes.values()), notes
