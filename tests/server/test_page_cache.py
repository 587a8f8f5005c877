"""The page from memory: byte for byte what rendering it for the request gave, with the
headers a rendered page had (those are built for each request, never kept), each page
rendered once, no more kept however many distinct `?stream=` values are asked for, and
each answer sent in its turn with the streams."""

from __future__ import annotations

import gzip
from urllib.parse import quote

import aiohttp_jinja2
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, make_mocked_request

from app.differences import differences_document
from app.endpoints import ENDPOINTS, culprits_document
from app.params import MAX_DURATION_SECONDS, bounds_document
from app.server.fairness import Turn, Turns
from app.server.page import (
    GZIP,
    MAX_STREAM_PAGE_BYTES,
    MAX_STREAM_PAGES,
    BoundedCache,
    PageKey,
    Pages,
    Representation,
    accepts_gzip,
    page_key,
    pages_key,
)
from app.server.security import content_security_policy
from app.server.yours import page_streams, stream_origins
from app.targets import MAX_HOPS

IDENTITY = {"Accept-Encoding": "identity"}
ASKED = [
    "",
    "http://127.0.0.1:9000/events?x=1&y=<b>\"'",
    "https://API.Example.com/v1/stream",
    "http://[::1]:8000/s",
    "javascript:alert(1)",
]


def fresh_render(app: web.Application, asked: str) -> bytes:
    """The page as the handler rendered it for each request before it was kept."""
    streams = page_streams([asked])
    context = {
        "endpoints": [endpoint.describe() for endpoint in ENDPOINTS],
        "params": bounds_document(),
        "max_duration": MAX_DURATION_SECONDS,
        "differences": differences_document(list(dict.fromkeys(e.transport for e in ENDPOINTS))),
        **culprits_document(),
        "streams": streams or (),
        "stream_text": asked if streams else "",
        "stream_refused": streams is None,
        "max_hops": MAX_HOPS,
    }
    request = make_mocked_request("GET", f"/?stream={quote(asked, safe='')}", app=app)
    return aiohttp_jinja2.render_string("index.html", request, context).encode("utf-8")


def page_path(asked: str) -> str:
    return f"/?stream={quote(asked, safe='')}" if asked else "/"


@pytest.mark.parametrize("asked", ASKED)
async def test_the_page_from_memory_is_the_fresh_render_byte_for_byte(
    client: TestClient[web.Request, None], app: web.Application, asked: str
) -> None:
    expected = fresh_render(app, asked)
    for _ in range(2):  # rendered, then from memory
        async with client.get(page_path(asked), headers=IDENTITY) as response:
            assert response.status == 200
            assert "Content-Encoding" not in response.headers
            assert await response.read() == expected


@pytest.mark.parametrize("asked", ASKED)
async def test_a_client_that_takes_gzip_gets_the_same_page_compressed(
    client: TestClient[web.Request, None], app: web.Application, asked: str
) -> None:
    for _ in range(2):
        async with client.get(page_path(asked), headers={"Accept-Encoding": "gzip"}, auto_decompress=False) as response:
            assert response.headers["Content-Encoding"] == "gzip"
            body = await response.read()
        assert int(response.headers["Content-Length"]) == len(body)
        assert gzip.decompress(body) == fresh_render(app, asked)


@pytest.mark.parametrize("asked", ASKED)
async def test_the_page_keeps_the_headers_a_rendered_page_had(
    client: TestClient[web.Request, None], app: web.Application, asked: str
) -> None:
    # The default page is asked for in between: a header kept from another request would show.
    port = client.server.port
    assert port is not None
    for path in (page_path(asked), "/", page_path(asked)):
        async with client.get(path, headers=IDENTITY) as response:
            await response.read()
        origins = stream_origins(page_streams([asked]) or ()) if path != "/" else ()
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        assert response.headers["Content-Length"] == str(len(fresh_render(app, asked if path != "/" else "")))
        assert response.headers["Content-Security-Policy"] == content_security_policy(port, origins)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Vary"] == "Accept-Encoding"


async def test_a_page_asked_from_the_dashboard_varies_on_its_coding_and_the_origin(
    client: TestClient[web.Request, None],
) -> None:
    # A dashboard origin gets CORS headers, which vary on Origin: added to Accept-Encoding,
    # or a shared cache could give the gzip page to a client that does not take gzip.
    origin = f"http://127.0.0.1:{client.server.port}"
    headers = {"Accept-Encoding": "gzip", "Origin": origin}
    async with client.get("/", headers=headers, auto_decompress=False) as response:
        await response.read()
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Vary"] == "Accept-Encoding, Origin"


async def test_head_gives_the_length_and_no_body(client: TestClient[web.Request, None], app: web.Application) -> None:
    async with client.head("/", headers=IDENTITY) as response:
        assert response.status == 200
        assert response.headers["Content-Length"] == str(len(fresh_render(app, "")))
        assert await response.read() == b""


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
async def test_a_page_the_client_has_gets_304_without_a_body(
    client: TestClient[web.Request, None], encoding: str
) -> None:
    headers = {"Accept-Encoding": encoding}
    async with client.get("/", headers=headers) as response:
        etag = response.headers["ETag"]
    for asked in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        async with client.get("/", headers={**headers, "If-None-Match": asked}) as response:
            assert response.status == 304, asked
            assert response.headers["ETag"] == etag
            assert await response.read() == b""
    async with client.get("/", headers={**headers, "If-None-Match": '"other"'}) as response:
        assert response.status == 200
        assert await response.read()


async def test_each_coding_has_its_own_etag(client: TestClient[web.Request, None]) -> None:
    tags = set()
    for encoding in ("identity", "gzip"):
        async with client.get("/", headers={"Accept-Encoding": encoding}) as response:
            tags.add(response.headers["ETag"])
    assert len(tags) == 2


async def test_a_page_answer_takes_its_turn_with_the_streams(
    client: TestClient[web.Request, None], monkeypatch: pytest.MonkeyPatch
) -> None:
    taken: list[Turn | None] = []
    take = Turns.next

    async def counted(turns: Turns, turn: Turn | None = None) -> None:
        taken.append(turn)
        await take(turns, turn)

    monkeypatch.setattr(Turns, "next", counted)
    for method in ("GET", "HEAD"):
        async with client.request(method, "/") as response:
            await response.read()
    assert len(taken) == 2


def test_each_page_is_rendered_once_and_compressed_from_that() -> None:
    rendered: list[PageKey] = []

    def render(key: PageKey) -> bytes:
        rendered.append(key)
        return f"page for {key.streams}".encode() * 100

    pages = Pages(render)
    for key in (page_key([""]), page_key(["http://a.test/"]), page_key(["javascript:x"])):
        for coding in (None, GZIP, None, GZIP):
            pages.get(key, coding)
    assert rendered == [page_key([""]), page_key(["http://a.test/"]), page_key(["javascript:x"])]
    assert gzip.decompress(pages.get(page_key([""]), GZIP).body) == pages.get(page_key([""]), None).body


def test_every_refused_value_and_none_give_one_page_each() -> None:
    assert page_key([""]) == page_key([""]) == PageKey((), False)
    assert page_key(["javascript:alert(1)"]) == page_key(["ftp://a.test/"]) == PageKey((), True)


async def test_distinct_stream_urls_keep_no_more_than_the_bounds(
    client: TestClient[web.Request, None], app: web.Application
) -> None:
    for number in range(MAX_STREAM_PAGES * 3):
        async with client.get(page_path(f"http://a.test/{number}"), headers=IDENTITY) as response:
            assert response.status == 200
            await response.read()
    async with client.get("/", headers=IDENTITY) as response:
        await response.read()
    pages = app[pages_key]
    assert len(pages.streams) == MAX_STREAM_PAGES
    assert pages.streams.bytes <= MAX_STREAM_PAGE_BYTES
    assert len(pages.fixed) == 1  # the default page, never pushed out


def test_the_cache_drops_the_least_recently_served_first() -> None:
    cache = BoundedCache(max_entries=2, max_bytes=1000)
    keys = [(page_key([f"http://a.test/{number}"]), None) for number in range(3)]
    cache.put(keys[0], Representation.of(b"a" * 100))
    cache.put(keys[1], Representation.of(b"b" * 100))
    assert cache.get(keys[0]) is not None  # now the most recently served
    cache.put(keys[2], Representation.of(b"c" * 100))
    assert cache.get(keys[1]) is None
    assert cache.get(keys[0]) is not None and cache.get(keys[2]) is not None


def test_the_cache_holds_no_more_bytes_than_its_bound() -> None:
    cache = BoundedCache(max_entries=100, max_bytes=250)
    for number in range(10):
        cache.put((page_key([f"http://a.test/{number}"]), None), Representation.of(b"x" * 100))
        assert cache.bytes <= 250
    assert len(cache) == 2
    cache.put((page_key(["http://a.test/big"]), None), Representation.of(b"x" * 251))
    assert cache.get((page_key(["http://a.test/big"]), None)) is None
    assert cache.bytes <= 250


@pytest.mark.parametrize(
    ("header", "takes"),
    [
        ("gzip, deflate, br", True),
        ("GZIP", True),
        ("deflate;q=1, gzip;q=0.5", True),
        ("*", True),
        ("", False),
        ("identity", False),
        ("deflate, br", False),
        ("gzip;q=0", False),
        ("gzip;q=0.0, *", False),
        ("*;q=0", False),
        ("br, *;q=0.1", True),
        ("gzip;q=nonsense", False),
    ],
)
def test_gzip_is_sent_only_to_a_client_that_takes_it(header: str, takes: bool) -> None:
    assert accepts_gzip(header) is takes
