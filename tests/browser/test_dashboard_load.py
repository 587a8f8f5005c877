"""The page at speed, and its readers fed a body split at every possible place."""

from __future__ import annotations

import time

import aiohttp
from playwright.async_api import Page

from app.endpoints import ENDPOINTS
from app.transport import Transport
from tests.browser.dashboard import open_dashboard, run_until_settled, source_messages

FIREHOSE = 10_000

SPLIT_EVERYWHERE = """async ({ body, contentType }) => {
    const { framerFor } = await import('/static/js/framing.js');
    const read = (pieces) => {
        const got = [];
        const framer = framerFor(contentType, true, (text, stamp) => got.push([text, stamp]));
        pieces.forEach((piece, i) => framer.push(piece, i));
        framer.end(pieces.length);
        return JSON.stringify(got);
    };
    const whole = read([body]);
    const byChar = read([...body]);
    const cuts = [];
    for (let i = 1; i < body.length; i++) cuts.push(read([body.slice(0, i), body.slice(i)]));
    return { whole: JSON.parse(whole), agree: byChar === whole && cuts.every((c) => c === whole) };
}"""


async def test_firehose_every_endpoint_counts_every_message(page: Page, base_url: str) -> None:
    """10,000 messages per endpoint at interval 0: exact counts, bounded rows, a responsive tab."""
    await open_dashboard(page, base_url)
    await page.click('button[data-preset="firehose"]')
    started = time.monotonic()
    shown = await run_until_settled(page, timeout_ms=60_000)
    elapsed = time.monotonic() - started
    for endpoint in ENDPOINTS:
        column = shown[endpoint.name]
        assert column["state"] == "done", (endpoint.name, column["state"], column["error"])
        assert column["messages"] == len(source_messages(endpoint, FIREHOSE)), endpoint.name
        assert len(column["texts"]) <= 200
    responsive = await page.evaluate(
        "() => new Promise((r) => { const t = performance.now(); "
        "requestAnimationFrame(() => r(performance.now() - t)); })"
    )
    assert responsive < 500
    assert elapsed < 45, elapsed


async def test_readers_keep_partial_messages_across_reads(
    page: Page, base_url: str, session: aiohttp.ClientSession
) -> None:
    """Chunk boundaries are not message boundaries: any split of a body gives the same messages."""
    await open_dashboard(page, base_url)
    for endpoint in ENDPOINTS:
        if endpoint.transport not in (Transport.CHUNKED, Transport.BUFFERED):
            continue
        async with session.get(f"{base_url}{endpoint.path}?interval=0&stamp=1") as response:
            body = await response.text()
        result = await page.evaluate(SPLIT_EVERYWHERE, {"body": body, "contentType": endpoint.content_type})
        assert result["agree"], endpoint.name
        assert len(result["whole"]) == len(source_messages(endpoint)), endpoint.name
        stamps = [stamp for _, stamp in result["whole"]]
        if endpoint.stampable:
            assert all(isinstance(stamp, float | int) for stamp in stamps), (endpoint.name, stamps)
            assert stamps == sorted(stamps)


async def test_a_json_number_is_timed_by_its_last_byte_not_by_the_next_read(page: Page, base_url: str) -> None:
    """`1` is only known to be complete when `,` arrives; its time is still that of its own byte."""
    await open_dashboard(page, base_url)
    timed = await page.evaluate("""async () => {
        const { framerFor } = await import('/static/js/framing.js');
        const got = [];
        const framer = framerFor('application/json', true, (text, stamp, t) => got.push([text, t]));
        [['{"a":1', 10], [',"b":2', 20], ['2}', 30]].forEach(([piece, t]) => framer.push(piece, t));
        framer.end(40);
        return got;
    }""")
    assert timed == [['{"a":1', 10], [',"b":22', 30], ["}", 30]]
