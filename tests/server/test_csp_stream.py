"""The page's "your stream": `?stream=URL` lets the page, and the worker that reads streams,
connect to exactly that URL's origin, and to nothing else; any other value adds nothing.
Several (`?stream=origin=URL&stream=edge=URL`, hops of one stream) add each origin once,
or, when any of them is refused or there are too many, nothing at all."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from app.server.yours import MAX_STREAM_URL, Stream, page_streams, stream_origin, stream_url
from app.targets import MAX_HOPS

WORKER = "/static/js/stream-worker.js"


async def connect_sources(client: TestClient[web.Request, None], path: str) -> list[str]:
    async with client.get(path) as response:
        assert response.status == 200
        policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    return directives["connect-src"].split()


@pytest.mark.parametrize("path", ["/", WORKER])
async def test_without_a_stream_the_policy_names_only_this_server(
    client: TestClient[web.Request, None], path: str
) -> None:
    port = client.server.port
    assert await connect_sources(client, path) == ["'self'", f"http://*.localhost:{port}"]


@pytest.mark.parametrize("path", ["/", WORKER])
@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("http://127.0.0.1:9000/events?x=1", "http://127.0.0.1:9000"),
        ("https://API.Example.com/v1/stream", "https://api.example.com"),
        ("http://[::1]:8000/s", "http://[::1]:8000"),
        ("http://a.test:80/default-port", "http://a.test"),
        ("https://a.test:443/", "https://a.test"),
        ("http://a.test:443/", "http://a.test:443"),
    ],
)
async def test_a_stream_url_adds_exactly_its_origin(
    client: TestClient[web.Request, None], path: str, url: str, origin: str
) -> None:
    sources = await connect_sources(client, f"{path}?stream={quote(url, safe='')}")
    assert sources == ["'self'", f"http://*.localhost:{client.server.port}", origin]


HOSTILE = [
    "http://a.test;script-src *",
    "http://a.test/ 'unsafe-inline'",
    "http://*.test/",
    "javascript:alert(1)",
    "data:text/plain,hi",
    "ws://a.test/socket",
    "http://user:pw@a.test/",
    "'unsafe-inline'",
    "/relative/path",
    "//a.test/no-scheme",
    "http://a.test:99999/",
    "http://a_b.test/",
    "http://a.test,http://b.test/",
    "http://[fe80::1%25eth0]:8000/",
    "http://a.test:0/",
    "http://a.test%3Bscript-src/",
    "https://a.test:443 http://b.test/",
    "http://a.test/" + "x" * MAX_STREAM_URL,
    "",
]


@pytest.mark.parametrize("value", HOSTILE)
async def test_anything_else_adds_nothing_and_the_page_still_renders(
    client: TestClient[web.Request, None], value: str
) -> None:
    assert await connect_sources(client, f"/?stream={quote(value, safe='')}") == [
        "'self'",
        f"http://*.localhost:{client.server.port}",
    ]


@pytest.mark.parametrize("value", HOSTILE)
def test_the_page_reads_no_hostile_value(value: str) -> None:
    assert stream_url(value) is None


def test_an_origin_is_only_ever_scheme_host_and_port() -> None:
    assert stream_origin("https://Example.COM:8443/a/b?c=d#e") == "https://example.com:8443"


def test_an_ip_address_is_written_as_browsers_write_it() -> None:
    assert stream_origin("http://[0:0:0:0:0:0:0:1]:81/") == "http://[::1]:81"
    assert stream_origin("http://[::FFFF:1.2.3.4]/") == "http://[::ffff:102:304]"


async def test_only_the_page_and_the_worker_take_a_stream(client: TestClient[web.Request, None]) -> None:
    async with client.get(f"/static/js/main.js?stream={quote('http://a.test/', safe='')}") as response:
        assert "a.test" not in response.headers["Content-Security-Policy"]


async def test_the_page_marks_a_refused_stream_and_renders_no_lane(client: TestClient[web.Request, None]) -> None:
    async with client.get(f"/?stream={quote('javascript:alert(1)', safe='')}") as response:
        page = await response.text()
    assert 'data-endpoint="your-stream"' not in page
    assert "not a set of at most 8 http:// or https:// URLs the page can read" in page
    assert "javascript:alert" not in page


def streams_query(*values: str) -> str:
    return urlencode([("stream", value) for value in values])


@pytest.mark.parametrize("path", ["/", WORKER])
async def test_several_streams_add_each_origin_once_in_order(client: TestClient[web.Request, None], path: str) -> None:
    query = streams_query("origin=http://127.0.0.1:9000/a", "edge=https://Edge.test/a?x=1", "http://127.0.0.1:9000/b")
    sources = await connect_sources(client, f"{path}?{query}")
    assert sources[2:] == ["http://127.0.0.1:9000", "https://edge.test"]


@pytest.mark.parametrize(
    "values",
    [
        ["origin=http://a.test/", "edge=javascript:alert(1)"],
        ["http://a.test/", "http://b.test;script-src *"],
        [f"http://h{i}.test/" for i in range(MAX_HOPS + 1)],
    ],
)
async def test_one_refused_among_several_or_too_many_adds_nothing_and_reads_none(
    client: TestClient[web.Request, None], values: list[str]
) -> None:
    query = streams_query(*values)
    assert await connect_sources(client, f"/?{query}") == ["'self'", f"http://*.localhost:{client.server.port}"]
    async with client.get(f"/?{query}") as response:
        page = await response.text()
    assert 'class="column yours"' not in page
    assert "not a set of at most 8 http:// or https:// URLs the page can read" in page


async def test_the_page_has_a_column_per_hop_named_as_diagnose_names_them(
    client: TestClient[web.Request, None],
) -> None:
    query = streams_query("origin=http://127.0.0.1:9000/a", "http://edge.test/a", "")
    async with client.get(f"/?{query}") as response:
        page = await response.text()
    assert page.count('class="column yours"') == 2
    assert 'data-endpoint="your-stream-1"' in page and 'data-hop="origin"' in page
    assert 'data-endpoint="your-stream-2"' in page and 'data-hop="edge.test"' in page
    assert 'id="hops"' in page
    assert 'value="origin=http://127.0.0.1:9000/a http://edge.test/a"' in page


def test_hops_are_named_as_given_else_by_host_else_by_place() -> None:
    assert page_streams(["a=http://x.test/1", "http://y.test:81/2"]) == (
        Stream("a", "http://x.test/1", "a=http://x.test/1"),
        Stream("y.test:81", "http://y.test:81/2", "http://y.test:81/2"),
    )
    assert [s.name for s in page_streams(["http://x.test/1", "http://x.test/2"]) or ()] == ["hop 1", "hop 2"]
    assert page_streams([]) == () and page_streams(["", ""]) == ()
