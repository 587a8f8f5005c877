"""Every held lane says why, in diagnose's terms: its verdict by diagnose's rules on what the
browser read, and its causes by diagnose's rules on the head and the reads, each with its
evidence and fix. What each culprit is, is known by how it is built (app/culprits.py, held
to real proxies and middlewares by tests/stacks); the terminal reads the same lanes as a
second, independent reader. Your own stream's causes offer the lab lane that reproduces them.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from playwright.async_api import Page

from app.checks import diagnose
from app.endpoints import ENDPOINTS_BY_NAME, culprits_document
from tests.browser.dashboard import export_json, open_dashboard, run_until_settled

CULPRITS: list[dict[str, Any]] = culprits_document()["culprits"]  # type: ignore[assignment]
COUNT, INTERVAL = 4, 0.1
#: Every culprit on the chunked stream, and the ones read by EventSource (no head to read).
LANES = [f"chunked:{c['name']}" for c in CULPRITS if "chunked" in c["applies_to"]] + [
    "sse:gzip",
    "sse:proxy",
    "sse:cdn",
]

#: Each column's why, null when it has nothing to explain (your own stream has its causes of its own).
WHY = """() => Object.fromEntries([...document.querySelectorAll('.column:not([hidden]):not(.yours)')].map((column) => {
    const box = column.querySelector('[data-role="why"]');
    const causes = [...box.querySelectorAll('.finding')].map((item) => ({
        id: item.dataset.id, evidence: item.querySelector('.evidence').textContent,
        fix: item.querySelector('.fix').textContent.replace(/^Fix: /, ''),
    }));
    return [column.dataset.endpoint, box.hidden ? null : { verdict: box.dataset.verdict, causes }];
}))"""


def culprit(name: str) -> dict[str, Any]:
    return next(c for c in CULPRITS if c["name"] == name)


async def test_every_held_lane_names_the_cause_diagnose_names_with_its_fix(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, culprits=",".join(LANES), count=COUNT, interval=INTERVAL)
    await run_until_settled(page)
    await page.wait_for_function("() => document.querySelectorAll('.why:not([hidden])').length > 0")
    shown = await page.evaluate(WHY)
    # The terminal reads the chunked lanes too: its first cause and fix are the page's.
    fetched = [lane for lane in LANES if lane.startswith("chunked:")]
    terminal = await asyncio.gather(
        *(
            diagnose(f"{base_url}/chunked?count={COUNT}&interval={INTERVAL}&via={lane.split(':')[1]}")
            for lane in fetched
        )
    )
    said = dict(zip(fetched, terminal, strict=True))
    for lane in LANES:
        diagnosed = culprit(lane.split(":")[1])["diagnosed"]
        held = diagnosed["verdict"] == "buffered" and lane != "sse:cdn"  # a CDN streams text/event-stream
        why = shown[lane]
        if not held:
            assert why is None, (lane, why)
            continue
        assert why is not None and why["verdict"] == "buffered", (lane, why)
        first = why["causes"][0]
        assert first["id"] == diagnosed["cause"], (lane, why)
        if lane in said:
            assert said[lane].causes[0].id == first["id"], (lane, said[lane].causes)
            assert said[lane].causes[0].fix == first["fix"], lane
        else:  # EventSource shows no head: the lane names the lab's culprit
            assert first["evidence"].startswith(f"the lab's culprit, via {lane.split(':')[1]}: "), why
    # The healthy streams stream: nothing to explain; the buffered response was built whole.
    assert all(shown[e] is None for e in ENDPOINTS_BY_NAME if e != "non-chunked"), shown
    assert [c["id"] for c in shown["non-chunked"]["causes"]][:1] == ["content-length"], shown["non-chunked"]


async def test_your_streams_cause_offers_the_lab_lane_that_reproduces_it(page: Page, base_url: str) -> None:
    held = f"{base_url}/chunked?count={COUNT}&interval={INTERVAL}&via=gzip"
    await open_dashboard(page, base_url, endpoints="chunked", count=COUNT, interval=INTERVAL, stream=held)
    await run_until_settled(page)
    button = page.locator('.column.yours .finding[data-id="compression"] button.lab-lane')
    await button.wait_for()
    assert await button.text_content() == "Show it in the lab: chunked via gzip"
    await button.click()
    checked = await page.eval_on_selector_all(
        'input[name="culprit"]:checked', "inputs => inputs.map((input) => input.value)"
    )
    assert checked == ["chunked:gzip", "chunked:gzip-flush"]
    assert "culprits=chunked:gzip,chunked:gzip-flush" in page.url and f"stream={quote(held, safe='')}" in page.url
    await run_until_settled(page)
    shown = await page.evaluate(WHY)
    assert shown["chunked:gzip"]["causes"][0]["id"] == "compression" and shown["chunked:gzip-flush"] is None


NOTES = "() => [...document.querySelectorAll('#notice-list li')].map((item) => item.textContent)"


async def test_what_to_notice_names_each_cause_once_with_its_fix_and_that_the_fix_streamed(
    page: Page, base_url: str
) -> None:
    lanes = "chunked:gzip,chunked:gzip-flush,sse:gzip,chunked:proxy"
    await open_dashboard(page, base_url, endpoints="chunked,sse", culprits=lanes, count=COUNT, interval=INTERVAL)
    await run_until_settled(page)
    await page.wait_for_selector("#what-to-notice:not([hidden])")
    notes = await page.evaluate(NOTES)
    compression = [note for note in notes if ": compression — fix: " in note]
    assert len(compression) == 1, notes
    assert compression[0].startswith("chunked via gzip and sse via gzip were buffered: compression — fix: ")
    assert "chunked via gzip-flush, the fix, streamed: its first message at " in compression[0]
    assert [note for note in notes if note.startswith("chunked via proxy delivered nothing for ")], notes
    assert ": proxy-buffering — fix: " in next(note for note in notes if note.startswith("chunked via proxy"))
    # Never one lane twice: each held lane is in one sentence.
    for lane in ("chunked via gzip", "sse via gzip", "chunked via proxy"):
        assert sum(note.count(f"{lane} ") for note in notes) == 1, (lane, notes)


async def test_what_to_notice_speaks_of_the_browsers_queueing(page: Page, base_url: str) -> None:
    """One host name for every stream (lanes=0): past six, the browser holds requests back."""
    await open_dashboard(page, base_url, lanes="0", count="3", interval="0.15", culprits="chunked:gzip-flush")
    await run_until_settled(page)
    notes = await page.evaluate(NOTES)
    waited = [note for note in notes if " for a free connection before being sent (at most 6 per host name)" in note]
    assert len(waited) == 1, notes
    assert "which no server or proxy caused" in waited[0]
    # The streams it names are the ones the browser's Resource Timing says it held back.
    queued = [e["label"] for e in (await export_json(page))["endpoints"] if (e["summary"]["queued_ms"] or 0) >= 100]
    assert queued, "nothing was queued: six connections per host no longer hold"
    assert waited[0].startswith(", ".join(queued[:4]).rsplit(", ", 1)[0]), (queued, waited)
