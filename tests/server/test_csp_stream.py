"""The page's "your stream": `?stream=URL` lets the page, and the worker that reads streams,
connect to exactly that URL's origin, and to nothing else; any other value adds nothing."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from app.server.yours import MAX_STREAM_URL, stream_origin, stream_url

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
    assert "not an http:// or https:// URL the page can read" in page
    assert "javascript:alert" not in page
