"""The page's "your stream" lane in Chromium: a URL given on the page is read by the browser
itself, on the shared timeline, and judged by the same rules as `transport-lab diagnose`.

The streams are real servers on another loopback port: one that allows the page by CORS
and streams, one that allows it and answers whole after a wait, one that does not allow it.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import shlex
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import Page
from pytest_aiohttp import AiohttpServer

from app.client.diagnose.body import MessageCounter
from app.client.diagnose.fetch import Ask
from app.client.diagnose.fetch import exchange as fetch_exchange
from app.client.diagnose.report import Diagnosis
from app.client.diagnose.verdict import Arrival, judge
from tests.browser.conftest import LOOP
from tests.browser.dashboard import export_json, open_dashboard, page_url, run_until_settled

CASES = json.loads((Path(__file__).parents[1] / "verdict_cases.json").read_text())["cases"]
TICKS = 6
INTERVAL = 0.2
#: The page's cap on what it reads of someone's stream (static/js/yours-reader.js).
MAX_BYTES = 16 * 1024 * 1024
BLOCK = b"x" * 65536

JUDGE_IN_PAGE = """async (cases) => {
    const { judge } = await import("/static/js/verdict.js");
    return cases.map((c) => judge(
        c.arrivals.map(([tMs, decodedBytes, messages]) => ({ tMs, decodedBytes, messages })),
        c.life_ms, c.messages_known,
    ));
}"""

#: Each body read in two pieces, split at every position, then one character per read.
COUNT_IN_PAGE = """async ({ contentType, body }) => {
    const { messageFramer } = await import("/static/js/yours-reader.js");
    const count = (pieces) => {
        let messages = 0;
        const framer = messageFramer(contentType, () => { messages += 1; });
        pieces.forEach((piece, t) => framer.push(piece, t));
        framer.end(pieces.length);
        return messages;
    };
    const splits = [...Array(body.length + 1).keys()].map((at) => count([body.slice(0, at), body.slice(at)]));
    return [...new Set([...splits, count([...body])])];
}"""

BODIES = [
    ("text/event-stream", "data: a\n\ndata: b\r\ndata: b2\r\n\r\n: comment\n\nretry: 5\n\nid: 3\n\ndata\n\ndata: cut"),
    ("text/event-stream; charset=utf-8", "\ufeffdata: one\rdata: more\r\rdata: two\r\n\r\nevent: x\ndata: 3\n\n"),
    ("application/x-ndjson", '{"id": 1}\n{"id": 2}\n\n   \n{"id": 3}'),
    ("text/plain", "line 1\r\nline 2\r\n\r\nlast without a break"),
    ("application/octet-stream", "no line break at all"),
    ("application/json", "[\n  1,\n  2\n]\n"),
]

VERDICT = """() => {
    const column = document.querySelector('.column[data-endpoint="your-stream"]');
    const text = (role) => {
        const node = column.querySelector(`[data-role="${role}"]`);
        return node.hidden ? null : node.textContent;
    };
    return {
        verdict: column.querySelector('[data-role=verdict]').dataset.verdict,
        reason: text('verdict-reason'), compare: text('verdict-compare'), error: text('error'),
        command: text('command'), status: text('status'), type: text('content-type'),
        headers: text('ttfb'), firstByte: text('first-byte'), arrivals: text('arrivals'), gap: text('largest-gap'),
        count: text('count'), bytes: text('bytes'), state: column.dataset.state,
        marks: document.querySelectorAll('#timeline .lane[data-endpoint="your-stream"] .mark').length,
    };
}"""


def allowing(page_origin: str | None) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": page_origin} if page_origin else {}


@dataclass
class Subject:
    """The streams' server, and what it saw: which handlers ended, and when."""

    url: str
    ended: dict[str, asyncio.Event] = field(default_factory=dict)

    def ending(self, name: str) -> asyncio.Event:
        return self.ended.setdefault(name, asyncio.Event())


def subject_app(page_origin: str, subject: Subject) -> web.Application:
    async def endless(request: web.Request) -> web.StreamResponse:
        try:
            response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson", **allowing(page_origin)})
            await response.prepare(request)
            for tick in range(10_000):
                await response.write(f'{{"tick": {tick}}}\n'.encode())
                await asyncio.sleep(0.1)
            return response
        finally:
            subject.ending("endless").set()

    async def huge(request: web.Request) -> web.StreamResponse:
        try:
            response = web.StreamResponse(headers={"Content-Type": "application/octet-stream", **allowing(page_origin)})
            await response.prepare(request)
            for _ in range(MAX_BYTES // len(BLOCK) + 16):
                await response.write(BLOCK)
            await response.write_eof()
            return response
        finally:
            subject.ending("huge").set()

    async def events(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **allowing(page_origin)}
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        for tick in range(TICKS):
            await response.write(f"id: {tick}\ndata: event {tick}\n\n".encode())
            await asyncio.sleep(INTERVAL)
        await response.write_eof()
        return response

    async def ticks(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": "text/plain", "X-Content-Type-Options": "nosniff", **allowing(page_origin)}
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        for tick in range(TICKS):
            await response.write(f"tick {tick}\n".encode())
            await asyncio.sleep(INTERVAL)
        await response.write_eof()
        return response

    async def whole(request: web.Request) -> web.Response:
        await asyncio.sleep(TICKS * INTERVAL)
        return web.Response(text="".join(f"tick {t}\n" for t in range(TICKS)), headers=allowing(page_origin))

    async def private(request: web.Request) -> web.Response:
        return web.Response(text="not for other pages\n")

    app = web.Application()
    for path, handler in {
        "/ticks": ticks,
        "/whole": whole,
        "/private": private,
        "/events": events,
        "/endless": endless,
        "/huge": huge,
    }.items():
        app.router.add_get(path, handler)
    return app


@pytest_asyncio.fixture(loop_scope=LOOP)
async def streams(aiohttp_server: AiohttpServer, base_url: str) -> AsyncIterator[Subject]:
    found = Subject("")
    server = await aiohttp_server(subject_app(base_url, found), host="127.0.0.1")
    found.url = f"http://127.0.0.1:{server.port}"
    yield found


@pytest.fixture
def subject(streams: Subject) -> str:
    return streams.url


async def run_yours(page: Page, base_url: str, url: str, **query: str) -> dict[str, Any]:
    await open_dashboard(page, base_url, endpoints="chunked", count="3", interval="0.2", stream=url, **query)
    await run_until_settled(page)
    return await page.evaluate(VERDICT)


def random_timelines(n: int, seed: int = 12) -> list[dict[str, Any]]:
    """Timelines of every kind, halves included (where rounding differs between languages)."""
    rng = random.Random(seed)
    timelines = []
    for _ in range(n):
        life = rng.choice([rng.uniform(100, 12_000), float(rng.randrange(200, 12_000)) + 0.5])
        times = sorted(
            rng.choice([rng.uniform(0, life), round(rng.uniform(0, life)) + 0.5]) for _ in range(rng.randrange(8))
        )
        sizes = [0, 1, 30, 150, 1024, 2048, 4096, 999]
        arrivals = [[t, rng.choice(sizes), rng.randrange(12)] for t in times if t <= life]
        timelines.append({"life_ms": life, "messages_known": rng.random() < 0.5, "arrivals": arrivals})
    return timelines


def python_judgement(case: dict[str, Any]) -> dict[str, Any]:
    arrivals = [Arrival(t, size, size, messages) for t, size, messages in case["arrivals"]]
    judged = judge(arrivals, case["life_ms"], case["messages_known"])
    return {
        "verdict": judged.verdict.value,
        "reason": judged.reason,
        "endShare": judged.end_share,
        "largestGapMs": judged.largest_gap_ms,
        "contentArrivals": judged.content_arrivals,
    }


async def test_the_page_judges_like_the_terminal_on_every_shared_timeline(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)
    judged = await page.evaluate(JUDGE_IN_PAGE, CASES)
    assert [j["verdict"] for j in judged] == [case["verdict"] for case in CASES]
    assert judged == [python_judgement(case) for case in CASES]


async def test_the_page_words_its_verdicts_as_the_terminal_does(page: Page, base_url: str) -> None:
    timelines = random_timelines(400)
    await open_dashboard(page, base_url)
    judged = await page.evaluate(JUDGE_IN_PAGE, timelines)
    expected = [python_judgement(case) for case in timelines]
    assert {j["verdict"] for j in expected} == {"progressive", "buffered", "bursty", "inconclusive"}
    for mine, theirs, case in zip(judged, expected, timelines, strict=True):
        words = ("verdict", "reason", "contentArrivals")
        assert {k: mine[k] for k in words} == {k: theirs[k] for k in words}, case
        assert (mine["endShare"], mine["largestGapMs"]) == pytest.approx((theirs["endShare"], theirs["largestGapMs"]))


@pytest.mark.parametrize(("content_type", "body"), BODIES)
async def test_messages_are_counted_as_the_terminal_counts_them_however_reads_split(
    page: Page, base_url: str, content_type: str, body: str
) -> None:
    counter = MessageCounter(content_type)
    expected = counter.feed(body.encode()) + counter.close()
    await open_dashboard(page, base_url)
    assert await page.evaluate(COUNT_IN_PAGE, {"contentType": content_type, "body": body}) == [expected]


async def test_a_stream_that_streams_is_progressive_on_the_shared_timeline(
    page: Page, base_url: str, subject: str
) -> None:
    shown = await run_yours(page, base_url, f"{subject}/ticks")
    assert shown["verdict"] == "progressive", shown
    assert (shown["status"], shown["type"], shown["error"], shown["state"]) == ("200", "text/plain", None, "done")
    assert shown["marks"] == TICKS  # one mark per line, beside the endpoints' lanes
    assert int(shown["arrivals"]) >= TICKS - 1  # a read per line (the first two may come together)
    assert float(shown["headers"].split()[0]) <= float(shown["firstByte"].split()[0]) < INTERVAL * 1000
    assert float(shown["gap"].split()[0]) < 2 * INTERVAL * 1000
    lanes = await page.eval_on_selector_all("#timeline .lane", "nodes => nodes.map((n) => n.dataset.endpoint)")
    assert lanes == ["your-stream", "chunked"]
    exported = next(e for e in (await export_json(page))["endpoints"] if e["name"] == "your-stream")
    assert exported["your_stream"]["verdict"] == "progressive"
    assert sum(arrival["messages"] for arrival in exported["your_stream"]["timeline"]) == TICKS


async def test_an_event_stream_is_read_as_events(page: Page, base_url: str, subject: str) -> None:
    shown = await run_yours(page, base_url, f"{subject}/events")
    assert shown["verdict"] == "progressive", shown
    assert (shown["count"], shown["marks"]) == (str(TICKS), TICKS)


async def test_a_response_built_whole_is_buffered(page: Page, base_url: str, subject: str) -> None:
    shown = await run_yours(page, base_url, f"{subject}/whole")
    assert shown["verdict"] == "buffered", shown
    assert "arrived in the last" in shown["reason"]
    assert shown["arrivals"] == "1"
    assert float(shown["headers"].split()[0]) >= TICKS * INTERVAL * 1000 * 0.9  # Content-Length: built whole first


async def test_a_stream_that_refuses_cors_says_so_and_gives_the_terminal_command(
    page: Page, base_url: str, subject: str
) -> None:
    url = f"{subject}/private"
    shown = await run_yours(page, base_url, url)
    assert shown["verdict"] == ""
    assert "did not allow this page by CORS" in shown["error"] and "could not be reached" in shown["error"]
    assert shown["command"] == f"In a terminal: transport-lab diagnose {url}"


async def test_the_terminal_command_is_one_shell_word_whatever_the_url(page: Page, base_url: str, subject: str) -> None:
    url = f"{subject}/private?a=1&b=it's"
    shown = await run_yours(page, base_url, url, terminal="progressive")
    command = shown["command"].removeprefix("In a terminal: ")
    assert shlex.split(command) == ["transport-lab", "diagnose", url]  # what a shell would run
    assert "The terminal saw it progressive; this browser could not read it" in shown["compare"]


async def test_stop_ends_the_reading_and_judges_what_arrived(page: Page, base_url: str, streams: Subject) -> None:
    url = f"{streams.url}/endless"
    await open_dashboard(page, base_url, endpoints="chunked", count="3", interval="0.2", stream=url)
    await page.click("#run")
    await page.wait_for_function("""() => Number(document.querySelector('.column[data-endpoint="your-stream"]')
        .dataset.messages) >= 6""")
    await page.click("#stop")
    await asyncio.wait_for(streams.ending("endless").wait(), 5)  # the browser let go of the connection
    shown = await page.evaluate(VERDICT)
    assert shown["state"] == "aborted"
    assert shown["verdict"] == "progressive", shown
    assert shown["reason"].endswith("(judged on what arrived before it was stopped).")


async def test_the_page_reads_no_more_than_its_cap(page: Page, base_url: str, streams: Subject) -> None:
    shown = await run_yours(page, base_url, f"{streams.url}/huge")
    await asyncio.wait_for(streams.ending("huge").wait(), 5)
    assert (shown["state"], shown["bytes"], shown["count"]) == ("done", "16.0 MiB", "0"), shown
    assert "(judged on its first 16 MiB: the page reads no more of a stream)" in shown["reason"]


async def test_a_refused_link_marks_the_field_and_reads_nothing(page: Page, base_url: str, subject: str) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    await open_dashboard(page, base_url, stream="http://*.test/")
    assert await page.input_value("#yours-url") == "http://*.test/"
    assert await page.get_attribute("#yours-url", "aria-invalid") == "true"
    assert "(no wildcard)" in (await page.text_content("#yours-problem") or "")
    assert await page.query_selector('.column[data-endpoint="your-stream"]') is None
    hosts = {urlsplit(url).hostname or "" for url in asked}
    assert all(host == "127.0.0.1" or host.endswith(".localhost") for host in hosts), hosts  # this server only


async def test_only_a_page_asked_for_a_stream_may_read_its_origin(page: Page, base_url: str, subject: str) -> None:
    port = base_url.rsplit(":", 1)[1]
    plain = await page.goto(page_url(base_url))
    assert plain is not None
    assert connect_src(await plain.header_value("Content-Security-Policy")) == ["'self'", f"http://*.localhost:{port}"]
    assert await page.query_selector('.column[data-endpoint="your-stream"]') is None
    asked = await page.goto(page_url(base_url, stream=f"{subject}/ticks?x=1"))
    assert asked is not None
    policy = await asked.header_value("Content-Security-Policy")
    assert connect_src(policy) == ["'self'", f"http://*.localhost:{port}", subject]


def connect_src(policy: str | None) -> list[str]:
    assert policy is not None
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    return directives["connect-src"].split()


@pytest.mark.parametrize(
    ("path", "terminal", "said"),
    [
        ("/whole", "buffered", "The terminal saw it buffered too"),
        ("/whole", "progressive", "something in this browser's path holds it"),
        ("/ticks", "buffered", "what holds it is on the terminal's way"),
        ("/ticks", "fast", "terminal=fast is not a verdict"),
    ],
)
async def test_the_terminals_verdict_is_compared_with_the_browsers(
    page: Page, base_url: str, subject: str, path: str, terminal: str, said: str
) -> None:
    shown = await run_yours(page, base_url, f"{subject}{path}", terminal=terminal)
    assert said in shown["compare"]


async def test_a_url_typed_in_is_checked_on_its_field_and_nothing_is_loaded(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)
    await page.click("#yours summary")
    for bad in ("example.com/events", "ftp://example.com/x", "http://user:pw@example.com/"):
        await page.fill("#yours-url", bad)
        await page.press("#yours-url", "Enter")
        assert await page.get_attribute("#yours-url", "aria-invalid") == "true"
        assert await page.is_visible("#yours-problem")
        assert "stream=" not in page.url


async def test_a_url_typed_in_reloads_the_page_with_a_link_to_share(page: Page, base_url: str, subject: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked")
    await page.click("#yours summary")
    await page.fill("#yours-url", f"{subject}/ticks")
    async with page.expect_navigation():
        await page.click("#yours-use")
    assert parse_qs(urlsplit(page.url).query) == {"endpoints": ["chunked"], "stream": [f"{subject}/ticks"]}
    assert await page.is_visible('.column[data-endpoint="your-stream"]')
    async with page.expect_navigation():
        await page.click("#yours-remove")
    assert "stream=" not in page.url
    assert await page.query_selector('.column[data-endpoint="your-stream"]') is None


async def test_screenshot_of_your_stream(page: Page, base_url: str, subject: str, artifacts: Path) -> None:
    await run_yours(page, base_url, f"{subject}/whole", terminal="progressive")
    await page.screenshot(path=str(artifacts / "your-stream.png"), full_page=True)


# The causes under the verdict: the terminal's, in its words, from what this browser could see.

CAUSES_SHOWN = """() => {
    const section = document.querySelector('.column[data-endpoint="your-stream"] [data-role="causes"]');
    const items = (role) => [...section.querySelectorAll(`[data-role="${role}"] > li`)].map((item) => ({
        id: item.dataset.id, heading: item.querySelector('h5')?.textContent ?? null,
        evidence: item.querySelector('.evidence').textContent,
        fix: item.querySelector('.fix').textContent.replace(/^Fix: /, ''),
    }));
    return {
        hidden: section.hidden, role: section.getAttribute('role'), tabIndex: section.tabIndex,
        label: document.getElementById(section.getAttribute('aria-labelledby'))?.textContent ?? null,
        headings: [...section.querySelectorAll('h4')].map((node) => node.textContent),
        causes: section.querySelector('[data-role="causes-list"]') ? items('causes-list') : [],
        warnings: section.querySelector('[data-role="warnings-list"]') ? items('warnings-list') : [],
        unchecked: [...section.querySelectorAll('[data-role="unchecked"] > li')].map((item) => item.textContent),
        text: section.textContent,
    };
}"""

#: The contrast of every text in the causes against what it is drawn on (WCAG 2 relative luminance).
CONTRAST = """() => {
    const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
    const luminance = ([r, g, b]) => [r, g, b].map((v) => v / 255)
        .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4))
        .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
    const background = (node) => {
        for (let at = node; at; at = at.parentElement) {
            const color = rgb(getComputedStyle(at).backgroundColor);
            if (color.length < 4 || color[3] > 0) return color.slice(0, 3);
        }
        return [255, 255, 255];
    };
    const section = document.querySelector('.column[data-endpoint="your-stream"] [data-role="causes"]');
    return [...section.querySelectorAll('*')].filter((node) => [...node.childNodes]
        .some((child) => child.nodeType === Node.TEXT_NODE && child.textContent.trim()))
        .map((node) => {
            const [a, b] = [luminance(rgb(getComputedStyle(node).color)), luminance(background(node))];
            return { text: node.textContent.slice(0, 40), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
        });
}"""


async def terminal_diagnosis(url: str) -> Diagnosis:
    return Diagnosis.of(await fetch_exchange(Ask(url)))


def without_times(text: str) -> str:
    """Evidence with its times blanked: the browser's and the terminal's clocks differ by ms."""
    return re.sub(r"\d+ ms", "N ms", text)


@pytest.mark.parametrize(
    ("query", "verdict", "causes", "warnings"),
    [
        ("count=5&interval=0.2&via=proxy", "buffered", ["proxy-buffering"], ["no-transform"]),
        ("count=40&interval=0.05&size=200&via=proxy", "bursty", ["proxy-buffering"], ["no-transform"]),
    ],
    ids=["held", "blocks"],
)
async def test_a_held_stream_gets_the_terminals_causes_with_their_evidence_and_fixes(
    page: Page, base_url: str, query: str, verdict: str, causes: list[str], warnings: list[str]
) -> None:
    """This lab's emulated proxy, read from this page's own origin: every header seen."""
    url = f"{base_url}/chunked?{query}"
    terminal = await terminal_diagnosis(url)
    assert (terminal.judgement.verdict, [c.id for c in terminal.causes]) == (verdict, causes)
    shown = await run_yours(page, base_url, url)
    assert shown["verdict"] == verdict, shown
    listed = await page.evaluate(CAUSES_SHOWN)
    assert [c["id"] for c in listed["causes"]] == causes and [w["id"] for w in listed["warnings"]] == warnings
    for mine, theirs in zip(listed["causes"] + listed["warnings"], terminal.causes + terminal.warnings, strict=True):
        assert without_times(mine["evidence"]) == without_times(theirs.evidence)
        assert mine["fix"] == theirs.fix
    assert listed["headings"] == ["Likely causes", "Warnings"] and listed["unchecked"] == []
    assert listed["causes"][0]["heading"] == "proxy-buffering a buffering proxy"
    assert "Times here count from the request's sending" in listed["text"]
    exported = next(e for e in (await export_json(page))["endpoints"] if e["name"] == "your-stream")["your_stream"]
    assert [{k: c[k] for k in ("id", "evidence", "fix")} for c in listed["causes"]] == exported["causes"]
    assert [w["id"] for w in exported["warnings"]] == warnings
    assert (exported["unchecked"], exported["headers_seen"]) == ([], "all")
    assert exported["headers"]["via"] == "1.1 transport-lab (emulated buffering proxy)"


async def test_a_compressor_is_named_from_its_header_as_the_browser_sees_no_encoded_bytes(
    page: Page, base_url: str
) -> None:
    await run_yours(page, base_url, f"{base_url}/chunked?count=5&interval=0.2&via=gzip")
    listed = await page.evaluate(CAUSES_SHOWN)
    assert [c["id"] for c in listed["causes"]] == ["compression"]
    assert listed["causes"][0]["evidence"] == "the body is gzip-compressed and its content came only at the end"


async def test_what_cors_hid_is_said_unchecked_never_claimed_absent(page: Page, base_url: str, subject: str) -> None:
    """Another origin that exposes no header and no timing: the Content-Length is still seen."""
    shown = await run_yours(page, base_url, f"{subject}/whole")
    assert shown["verdict"] == "buffered"
    listed = await page.evaluate(CAUSES_SHOWN)
    assert [c["id"] for c in listed["causes"]] == ["content-length"]
    assert "of silence" not in listed["causes"][0]["evidence"]  # the silence may have been the connection's
    assert listed["headings"] == ["Likely causes", "Not checked in this browser"]
    unchecked = " ".join(listed["unchecked"])
    for rule in ("cached", "compression", "sniffing", "no-transform"):
        assert rule in unchecked
    assert "CORS did not let this page see Content-Encoding" in unchecked
    assert "no Via, cache or CDN header" not in listed["text"]
    assert "Access-Control-Expose-Headers: *" in listed["text"]
    assert f"transport-lab diagnose {subject}/whole" in listed["text"]
    assert "Times here count from Run" in listed["text"]
    exported = next(e for e in (await export_json(page))["endpoints"] if e["name"] == "your-stream")["your_stream"]
    assert {u["id"] for u in exported["unchecked"]} == {"cached", "compression", "sniffing", "no-transform"}
    assert "via" not in exported["headers_seen"] and "content-length" in exported["headers_seen"]


async def test_a_stream_that_streams_has_no_cause(page: Page, base_url: str, subject: str) -> None:
    await run_yours(page, base_url, f"{subject}/ticks")
    listed = await page.evaluate(CAUSES_SHOWN)
    assert (listed["causes"], listed["warnings"]) == ([], [])


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_the_causes_are_a_labelled_region_reached_by_keyboard_and_readable(
    page: Page, base_url: str, scheme: Literal["light", "dark"]
) -> None:
    await page.emulate_media(color_scheme=scheme)
    await run_yours(page, base_url, f"{base_url}/chunked?count=5&interval=0.2&via=proxy")
    listed = await page.evaluate(CAUSES_SHOWN)
    assert (listed["role"], listed["tabIndex"], listed["label"]) == ("region", 0, "Likely causes")
    for _ in range(200):
        await page.keyboard.press("Tab")
        if await page.evaluate("() => document.activeElement.dataset.role === 'causes'"):
            break
    else:
        pytest.fail("Tab never reached the causes")
    contrasts = await page.evaluate(CONTRAST)
    assert len(contrasts) >= 6
    assert [c for c in contrasts if c["ratio"] < 4.5] == []


@pytest.mark.parametrize(
    ("where", "terminal", "said"),
    [
        ("subject:/whole", "error", "The terminal got an error status where this browser got a stream (buffered)"),
        ("subject:/private", "error", "The terminal got an error status, not a stream, and this browser could not"),
        ("lab:/no-such-stream", "error", "The terminal got an error status, and so did this browser (404)"),
        ("subject:/ticks", "not-upgraded", "answered plain HTTP instead of 101 Switching Protocols"),
    ],
)
async def test_the_terminals_error_and_not_upgraded_are_said_in_their_own_words(
    page: Page, base_url: str, subject: str, where: str, terminal: str, said: str
) -> None:
    origin, path = where.split(":", 1)
    shown = await run_yours(page, base_url, f"{subject if origin == 'subject' else base_url}{path}", terminal=terminal)
    assert said in shown["compare"]
    assert "run both again" not in shown["compare"]
