"""One byte measure: the page's wire bytes are the CLI's, and the messages add up to them;
which stream the browser queued is measured (Resource Timing), not predicted."""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import Browser, Page, Playwright

from app import Settings
from app.endpoints import ENDPOINTS, Endpoint
from app.params import StreamParams
from app.server.transports import pacing
from app.transport import Transport
from tests.browser.conftest import CHROMIUM_ARGS, LOOP, VIEWPORT
from tests.browser.dashboard import by_name, export_json, open_dashboard, run_until_settled

#: The page and the CLI may differ where a chunk's size has one more hex digit (a JSON
#: array's separators fall in another message); never more.
AGREEMENT = 0.01
PARAMETERS = [{"interval": 0}, {"count": 1000, "interval": 0}]

WIRE = """() => Object.fromEntries([...document.querySelectorAll('.column:not([hidden])')].map((column) => [
    column.dataset.endpoint,
    {
        wire: column.dataset.wireBytes === undefined ? null : Number(column.dataset.wireBytes),
        payload: Number(column.dataset.payloadBytes),
        exact: column.dataset.wireExact,
        shown: column.querySelector('[data-role=wire]').textContent,
        notice: column.querySelector('[data-role=notice]').hidden ? null
            : column.querySelector('[data-role=notice]').textContent,
    },
]))"""
NOTES = """() => Object.fromEntries([...document.querySelectorAll('.column [data-role=wire-note]')]
    .map((note) => [note.closest('.column').dataset.endpoint, note.hidden ? null : note.textContent]))"""

#: Every message's raw extent and what is left after the last, for a body split at every point.
EXTENTS = """async ([contentType, body]) => {
    const { framerFor } = await import('/static/js/framing.js');
    const { utf8Length } = await import('/static/js/wire.js');
    const read = (parts) => {
        const raws = [];
        const framer = framerFor(contentType, false, (text, stamp, t, raw) => raws.push(raw));
        for (const part of parts) framer.push(part, 0);
        return { raws, tail: framer.end(0) };
    };
    const whole = read([body]);
    const splits = [];
    for (let i = 1; i < body.length; i++) splits.push(read([body.slice(0, i), body.slice(i)]));
    return { bytes: utf8Length(body), whole, same: splits.every((s) => JSON.stringify(s) === JSON.stringify(whole)) };
}"""
#: The HTTP bodies a framer splits into messages (SSE and WebSocket come as messages).
FRAMED = [endpoint for endpoint in ENDPOINTS if endpoint.content_type.startswith(("text/plain", "application/"))]
#: What a figure the page does not know shows.
NO_FIGURE = "\u2013"


async def compare_json(base_url: str, **params: object) -> dict[str, dict[str, Any]]:
    """`transport-lab compare --json` against the same server: its figures per stream."""
    options = [f"--{name}={value}" for name, value in params.items()]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "compare", "--url", base_url, "--json", *options,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return {stream["stream"]: stream for stream in json.loads(out)["streams"]}


@pytest.fixture
def steady_stamps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send stamps of one length: a JSON stamp is a float's repr (`...123.4` or `...123.457`),
    so two readers of the same stream would otherwise be sent a few bytes more or less."""
    monkeypatch.setattr(pacing, "epoch_ms", lambda: math.floor(time.time() * 1000) + 0.5)


@pytest.mark.parametrize("params", PARAMETERS, ids=["defaults", "count=1000"])
@pytest.mark.usefixtures("steady_stamps")
async def test_the_pages_wire_bytes_are_the_clis_and_its_messages_add_up_to_them(
    page: Page, base_url: str, params: dict[str, object]
) -> None:
    cli = await compare_json(base_url, **params)
    await open_dashboard(page, base_url, **params)
    states = await run_until_settled(page, timeout_ms=60_000)
    shown = await page.evaluate(WIRE)
    exported = by_name(await export_json(page))
    for endpoint in ENDPOINTS:
        name = endpoint.name
        assert states[name]["state"] == "done", (name, states[name])
        column, expected = shown[name], cli[name]["wire_bytes"]
        assert column["exact"] == "true", (name, column)
        assert abs(column["wire"] - expected) <= AGREEMENT * expected, (name, column["wire"], expected)
        # Every message's wire bytes plus the bytes of no message are the column's total.
        messages = exported[name]["messages"]
        summary = exported[name]["summary"]
        assert len(messages) == states[name]["messages"] == cli[name]["messages"], name
        assert sum(m["wire_bytes"] for m in messages) + summary["extra_wire_bytes"] == column["wire"], name
        assert sum(m["payload_bytes"] for m in messages) == column["payload"], name
        # The export's framing is the CLI's (a JSON array's `]` is body, not framing).
        framing = summary["framing_bytes"] / len(messages)
        assert round(framing, 1) == (cli[name]["framing_bytes_per_message"] or 0), (name, summary)
        # Only the response with a Content-Length has no framing around its messages.
        framed = endpoint.transport is not Transport.BUFFERED
        assert all((m["wire_bytes"] > m["payload_bytes"] > 0) is framed for m in messages), name


#: A name that is not loopback, so the page runs without lanes: every HTTP stream on one host.
NAMED_HOST = "transport-lab.test"
HTTP_ENDPOINTS = [endpoint.name for endpoint in ENDPOINTS if endpoint.transport is not Transport.WEBSOCKET]
#: Seven streams on one host: one more than the browser's six connections. Each ends after
#: two paced messages or more, so the one left waiting waits a whole interval at least.
QUEUE_RUN = {"endpoints": ",".join(HTTP_ENDPOINTS), "count": 2, "interval": 0.2}
#: How far the page's measured wait may be from the server's view of it (two clocks, one machine).
WAIT_AGREEMENT_MS = 60


@pytest.fixture
def settings() -> Settings:
    return Settings(allowed_hosts=(NAMED_HOST,))


@pytest.fixture
def arrivals(app: web.Application) -> dict[str, float]:
    """When each stream's request reached the server (monotonic seconds), by path."""
    seen: dict[str, float] = {}

    @web.middleware
    async def note(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        seen.setdefault(request.path.removeprefix("/"), time.monotonic())
        return await handler(request)

    app.middlewares.append(note)
    return seen


@pytest_asyncio.fixture(loop_scope=LOOP)
async def named_page(chromium: Any, playwright: Playwright) -> AsyncIterator[Page]:
    """A page in a browser that resolves NAMED_HOST to loopback (as a real name would)."""
    rules = f"--host-resolver-rules=MAP {NAMED_HOST} 127.0.0.1"
    browser: Browser = await playwright.chromium.launch(
        executable_path=str(chromium), headless=True, args=[*CHROMIUM_ARGS, rules]
    )
    try:
        context = await browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        opened = await context.new_page()
        errors: list[str] = []
        opened.on("pageerror", lambda error: errors.append(str(error)))
        yield opened
        assert not errors, errors
    finally:
        await browser.close()


async def test_the_stream_the_browser_really_held_back_is_the_one_shown_queued(
    arrivals: dict[str, float], named_page: Page, server: Any
) -> None:
    await open_dashboard(named_page, f"http://{NAMED_HOST}:{server.port}", **QUEUE_RUN)
    states = await run_until_settled(named_page)
    shown = await named_page.evaluate(WIRE)
    run = by_name(await export_json(named_page))
    assert all(states[name]["state"] == "done" for name in HTTP_ENDPOINTS), states
    first = min(arrivals[name] for name in HTTP_ENDPOINTS)
    late_ms = {name: (arrivals[name] - first) * 1000 for name in HTTP_ENDPOINTS}
    # The server saw six requests at once and the seventh only once a connection was free.
    held = {name for name, ms in late_ms.items() if ms > 100}
    assert len(held) == 1, late_ms
    queued = {name for name in HTTP_ENDPOINTS if run[name]["summary"]["queued_ms"] is not None}
    assert queued == held, (queued, late_ms)
    (name,) = held
    waited = run[name]["summary"]["queued_ms"]
    assert abs(waited - late_ms[name]) < WAIT_AGREEMENT_MS, (waited, late_ms)
    # It was sent when the first other stream ended and freed its connection.
    first_end = min(run[other]["summary"]["end_ms"] for other in HTTP_ENDPOINTS if other != name)
    assert abs(run[name]["summary"]["request_ms"] - first_end) < WAIT_AGREEMENT_MS, run[name]["summary"]
    assert shown[name]["notice"].startswith("Queued ") and shown[name]["notice"].endswith("(measured).")
    assert all(shown[other]["notice"] is None for other in HTTP_ENDPOINTS if other != name), shown


async def test_with_lanes_no_stream_is_queued_and_each_lanes_timing_is_readable(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, **QUEUE_RUN)
    await run_until_settled(page)
    run = by_name(await export_json(page))
    for name in HTTP_ENDPOINTS:
        summary = run[name]["summary"]
        # Timing-Allow-Origin lets the page read when each cross-origin lane's request went out.
        assert summary["request_ms"] is not None, (name, summary)
        assert summary["queued_ms"] is None, (name, summary)


async def test_through_a_culprit_the_page_shows_a_floor_never_more_than_the_cli_counts(
    page: Page, base_url: str
) -> None:
    culprits = ["gzip", "gzip-flush", "proxy"]
    cli: dict[str, dict[str, Any]] = {}
    for culprit in culprits:
        cli |= await compare_json(base_url, interval=0, endpoints="chunked,sse", via=culprit)
    lanes = [f"{name}:{culprit}" for name in ("chunked", "sse") for culprit in culprits]
    await open_dashboard(page, base_url, interval=0, endpoints="chunked,sse", culprits=",".join(lanes))
    await run_until_settled(page)
    shown = await page.evaluate(WIRE)
    notes = await page.evaluate(NOTES)
    exported = by_name(await export_json(page))
    for lane in lanes:
        # Framing the page cannot see is not exported as a figure either.
        assert exported[lane]["summary"]["framing_bytes"] is None, (lane, exported[lane]["summary"])
        column, counted = shown[lane], cli[lane.replace(":", " via ")]["wire_bytes"]
        # Not a made-up exact figure: what the browser measured, said to be a floor, or nothing.
        assert column["exact"] == "false", (lane, column)
        if column["wire"] is None:
            assert column["shown"] == NO_FIGURE and "unknown" in notes[lane], (lane, column, notes)
        else:
            assert 0 < column["wire"] <= counted, (lane, column, counted)
            assert column["shown"].startswith("≥ ") and "floor" in notes[lane], (lane, column, notes)
    # Where the page computes the bytes, it says what it counts, once.
    assert "transport-lab compare" in await page.inner_text("#wire-explained")


@pytest.mark.parametrize("endpoint", FRAMED, ids=[endpoint.name for endpoint in FRAMED])
async def test_each_messages_raw_extent_and_the_tail_are_the_whole_body_however_it_is_split(
    page: Page, base_url: str, endpoint: Endpoint
) -> None:
    source = endpoint.source(StreamParams(count=2, interval=0), None)
    messages = list(source.messages)
    # Characters of two and four UTF-8 bytes, where a JSON string or a line can carry them.
    body = "".join(messages).replace("Tom", "Tómé 😀").replace("Chunk", "Chünk 😀") + source.tail
    await open_dashboard(page, base_url)
    found = await page.evaluate(EXTENTS, [endpoint.content_type, body])
    assert found["same"], endpoint.name
    assert sum(found["whole"]["raws"]) + found["whole"]["tail"] == len(body.encode()) == found["bytes"]
    assert len(found["whole"]["raws"]) == len(messages), endpoint.name
