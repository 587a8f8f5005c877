"""The page's "your stream" with several URLs: the same stream at each of its hops, read by
the browser at the same instant, a lane each on the shared timeline, and one line naming
the first hop where the stream changes shape, as `diagnose URL URL` names it.

The hops are real: a streaming server on a loopback port (the origin) and Debian's nginx
in front of it with the configuration of docs/deploy.md (the edge), which gzips text/plain
and so holds a text/plain stream in its compressor until the end, and passes NDJSON (a type
it does not compress) through as it comes: that is how the edge is built, and what the page
must find.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import Page
from pytest_aiohttp import AiohttpServer

from app.checks import diagnose
from app.targets import MAX_HOPS, split_target
from tests.browser.conftest import LOOP
from tests.browser.dashboard import export_json, open_dashboard, run_until_settled
from tests.nginx import RunningNginx, adapt, documented_config, require_nginx, run_nginx
from tests.processes import free_port

TICKS = 6
INTERVAL = 0.2
#: A type the documented config gzips (held at the edge), and one it passes as it comes.
HELD, PASSED = "text/plain", "application/x-ndjson"

HOPS = """() => {
    const box = document.getElementById('hops');
    return {
        hidden: box.hidden, settled: box.dataset.settled, changedAt: box.dataset.changedAt,
        after: box.dataset.after, likely: box.dataset.likely,
        line: box.querySelector('[data-role=hops-line]').textContent,
        rows: [...box.querySelectorAll('[data-role=hops-list] li')].map((li) => li.textContent),
        command: box.querySelector('[data-role=hops-command]').textContent,
        verdicts: Object.fromEntries([...document.querySelectorAll('.column.yours')].map((column) => [
            column.dataset.hop, column.querySelector('[data-role=verdict]').dataset.verdict])),
        lanes: [...document.querySelectorAll('#timeline .lane')].map((lane) => lane.dataset.endpoint),
        labels: [...document.querySelectorAll('#timeline .lane')].map((lane) => lane.textContent),
    };
}"""


def origin_app(page_origin: str) -> web.Application:
    """Lines every INTERVAL s, allowing the page by CORS with every header and its timing in view."""

    async def ticks(request: web.Request) -> web.StreamResponse:
        headers = {
            "Content-Type": PASSED if "ndjson" in request.query else HELD,
            "X-Content-Type-Options": "nosniff",
            "Access-Control-Allow-Origin": page_origin,
            "Access-Control-Expose-Headers": "*",
            "Timing-Allow-Origin": "*",
        }
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        for tick in range(TICKS):
            await response.write(f'{{"tick": {tick}}}\n'.encode())
            await asyncio.sleep(INTERVAL)
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/ticks", ticks)
    return app


@pytest_asyncio.fixture(loop_scope=LOOP)
async def origin(aiohttp_server: AiohttpServer, base_url: str) -> str:
    server = await aiohttp_server(origin_app(base_url), host="127.0.0.1")
    return f"http://127.0.0.1:{server.port}"


@pytest.fixture
def edge(origin: str, tmp_path: Path) -> Iterator[RunningNginx]:
    port = free_port()
    config = adapt(documented_config(), listen_port=port, upstream_port=int(origin.rsplit(":", 1)[1]))
    with run_nginx(require_nginx(), tmp_path / "nginx", config, port) as nginx:
        yield nginx


async def run_hops(page: Page, base_url: str, *targets: str) -> dict[str, Any]:
    await open_dashboard(page, base_url, endpoints="chunked", count="3", interval="0.2", stream=list(targets))
    await run_until_settled(page)
    await page.wait_for_function("() => document.getElementById('hops').dataset.settled === 'true'")
    return await page.evaluate(HOPS)


async def test_the_page_names_the_hop_that_holds_the_stream(
    page: Page, base_url: str, origin: str, edge: RunningNginx
) -> None:
    direct, held = f"{origin}/ticks", edge.make_url("/ticks")
    shown, terminal = await asyncio.gather(run_hops(page, base_url, f"origin={direct}", f"edge={held}"), diagnose(held))
    assert shown["verdicts"] == {"origin": "progressive", "edge": "buffered"}, shown
    assert (shown["after"], shown["changedAt"]) == ("origin", "edge"), shown
    # The edge's first cause, in the terminal's words: the terminal read the same edge at the same time.
    assert shown["likely"] in [cause.id for cause in terminal.causes], (shown, terminal.causes)
    fix = next(cause.fix for cause in terminal.causes if cause.id == shown["likely"])
    assert shown["line"].startswith("origin: progressive, ")
    assert "; edge: buffered, " in shown["line"]
    assert shown["line"].endswith(
        f"the stream changes shape between origin and edge — likely {shown['likely']}; fix: {fix}"
    )
    # A lane per hop on the shared timeline, before the endpoints', each named by its hop.
    assert shown["lanes"] == ["your-stream-1", "your-stream-2", "chunked"]
    assert [label.startswith(name) for label, name in zip(shown["labels"], ["origin", "edge"], strict=False)] == [
        True,
        True,
    ]
    assert shown["command"] == f"transport-lab diagnose origin={direct} edge={held}"
    assert [row.split(":")[0] for row in shown["rows"]] == ["origin", "edge"]
    exported = await export_json(page)
    assert exported["hops"]["changed_at"] == "edge"
    assert exported["hops"]["summary"] == shown["line"]
    assert exported["hops"]["verdicts"] == shown["verdicts"]


async def test_no_hop_is_named_when_every_hop_streams(
    page: Page, base_url: str, origin: str, edge: RunningNginx
) -> None:
    shown = await run_hops(page, base_url, f"{origin}/ticks?ndjson", edge.make_url("/ticks?ndjson"))
    assert shown["line"] == "every hop progressive: no hop changes the stream's shape", shown
    assert (shown["changedAt"], shown["likely"]) == ("", "")
    # Unnamed hops are named by their host, as diagnose names them.
    assert list(shown["verdicts"]) == [origin.removeprefix("http://"), f"127.0.0.1:{edge.port}"]


async def test_a_hop_that_cannot_be_read_is_said_so_and_named(page: Page, base_url: str, origin: str) -> None:
    closed = f"http://127.0.0.1:{free_port()}/ticks"
    shown = await run_hops(page, base_url, f"origin={origin}/ticks", f"edge={closed}")
    assert (shown["after"], shown["changedAt"]) == ("origin", "edge"), shown
    assert "; edge: failed (" in shown["line"]


async def test_several_urls_typed_in_the_field_become_hops_in_the_address(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)
    await page.click("#yours summary")
    await page.fill("#yours-url", "  origin=http://127.0.0.1:9/a?x=1   edge=http://EDGE.test/a ")
    async with page.expect_navigation():
        await page.click("#yours-use")
    await page.wait_for_selector("#app[data-ready=true]", state="attached")
    assert [hop for hop in await page.eval_on_selector_all(".column.yours", "cs => cs.map((c) => c.dataset.hop)")] == [
        "origin",
        "edge",
    ]
    asked = await page.evaluate("() => new URLSearchParams(location.search).getAll('stream')")
    assert asked == ["origin=http://127.0.0.1:9/a?x=1", "edge=http://edge.test/a"]
    assert await page.input_value("#yours-url") == " ".join(asked)


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("origin=http://127.0.0.1:9/a edge=ftp://b.test/", "edge=ftp://b.test/: The page reads http:// and https://"),
        (" ".join(f"http://h{i}.test/" for i in range(MAX_HOPS + 1)), f"At most {MAX_HOPS} URLs at once, not 9."),
    ],
)
async def test_a_bad_word_among_several_is_named_and_nothing_is_loaded(
    page: Page, base_url: str, typed: str, named: str
) -> None:
    await open_dashboard(page, base_url)
    await page.click("#yours summary")
    await page.fill("#yours-url", typed)
    await page.click("#yours-use")
    problem = page.locator("#yours-problem")
    await problem.wait_for(state="visible")
    assert (await problem.text_content() or "").startswith(named)
    assert await page.get_attribute("#yours-url", "aria-invalid") == "true"
    assert "stream=" not in page.url


async def test_a_link_with_a_refused_hop_reads_none_and_shows_them_all(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, stream=["origin=http://127.0.0.1:9/a", "edge=javascript:alert(1)"])
    assert await page.locator(".column.yours").count() == 0
    assert await page.input_value("#yours-url") == "origin=http://127.0.0.1:9/a edge=javascript:alert(1)"
    assert await page.get_attribute("#yours-url", "aria-invalid") == "true"


SPLIT_IN_PAGE = """async (texts) => {
    const { splitTarget } = await import("/static/js/yours.js");
    return texts.map((text) => { const { name, url } = splitTarget(text); return [name, url]; });
}"""


async def test_the_page_splits_names_from_urls_as_the_terminal_does(page: Page, base_url: str) -> None:
    texts = [
        "origin=http://127.0.0.1:8080/sse",
        "http://127.0.0.1/x?a=b",
        "edge-1.eu=https://cdn.example/x?y=z",
        "1edge=http://a/",
        "a" * 32 + "=http://a/",
        "a" * 33 + "=http://a/",
        "=http://a/",
        "name=",
        "e_d.g-e=x=y",
    ]
    await open_dashboard(page, base_url)
    assert await page.evaluate(SPLIT_IN_PAGE, texts) == [list(split_target(text)) for text in texts]
