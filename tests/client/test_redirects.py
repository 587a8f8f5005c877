"""diagnose follows redirects as a browser does: credentials stay with their origin, a POST
turned into a GET leaves its body behind, and a redirect to another kind of URL is refused.

The hostile subjects are real servers on two loopback addresses (127.0.0.1 and 127.0.0.2,
two origins on one machine): the first redirects, the second records what reached it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

import app.client.diagnose.command as diagnose
from app.client.diagnose.connection import Failure
from app.client.diagnose.fetch import Ask, exchange
from app.client.diagnose.redirects import CREDENTIAL_HEADERS, Hop, follow, origin
from app.exits import EXIT_BAD_RESPONSE, EXIT_OK

SECRETS = (("Authorization", "Bearer s3cret"), ("Cookie", "session=s3cret"), ("X-Api-Key", "s3cret"))
TRACE = ("X-Trace", "kept")
PROMPT = b'{"prompt": "hello"}'


@dataclass
class Seen:
    """One request as a subject received it."""

    method: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Subject:
    """A hostile server: its base URL and every request that reached it."""

    base: str
    seen: list[Seen] = field(default_factory=list)


async def subject(aiohttp_server: AiohttpServer, host: str) -> Subject:
    """On `host`: /to?status=N&location=URL redirects there; /record records and answers."""
    recorded = Subject("")

    async def redirect(request: web.Request) -> web.Response:
        await request.read()
        status = int(request.query["status"])
        return web.Response(status=status, headers={"Location": request.query["location"]})

    async def record(request: web.Request) -> web.Response:
        recorded.seen.append(
            Seen(request.method, {k.lower(): v for k, v in request.headers.items()}, await request.read())
        )
        return web.Response(text="recorded\n", content_type="text/plain")

    app = web.Application()
    app.router.add_route("*", "/to", redirect)
    app.router.add_route("*", "/record", record)
    server = await aiohttp_server(app, host=host)
    recorded.base = f"http://{host}:{server.port}"
    return recorded


@pytest.fixture
async def here(aiohttp_server: AiohttpServer) -> AsyncIterator[Subject]:
    yield await subject(aiohttp_server, "127.0.0.1")


@pytest.fixture
async def elsewhere(aiohttp_server: AiohttpServer) -> AsyncIterator[Subject]:
    yield await subject(aiohttp_server, "127.0.0.2")


def redirect_url(start: Subject, status: int, location: str) -> str:
    return f"{start.base}/to?{urlencode({'status': status, 'location': location})}"


async def post_through(start: Subject, status: int, target: Subject) -> None:
    """A POST with credentials to `start`, redirected with `status` to `target`'s /record."""
    url = redirect_url(start, status, f"{target.base}/record")
    ask = Ask(url, "POST", (*SECRETS, TRACE), PROMPT, timeout=10, sensitive=frozenset({"x-api-key"}))
    result = await exchange(ask)
    assert (result.status, result.redirects) == (200, [url])


def secrets_in(seen: Seen) -> set[str]:
    return {name.lower() for name, _ in SECRETS} & seen.headers.keys()


async def test_a_302_to_another_origin_gets_a_get_without_credentials_or_body(
    here: Subject, elsewhere: Subject
) -> None:
    await post_through(here, 302, elsewhere)
    [seen] = elsewhere.seen
    assert (seen.method, seen.body, secrets_in(seen)) == ("GET", b"", set())
    assert "content-type" not in seen.headers and "content-length" not in seen.headers
    assert seen.headers["x-trace"] == "kept"


async def test_a_307_to_another_origin_keeps_the_post_body_but_not_the_credentials(
    here: Subject, elsewhere: Subject
) -> None:
    await post_through(here, 307, elsewhere)
    [seen] = elsewhere.seen
    assert (seen.method, seen.body, secrets_in(seen)) == ("POST", PROMPT, set())
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["x-trace"] == "kept"


@pytest.mark.parametrize(("status", "method", "body"), [(302, "GET", b""), (307, "POST", PROMPT)])
async def test_the_same_origin_keeps_the_credentials(here: Subject, status: int, method: str, body: bytes) -> None:
    await post_through(here, status, here)
    [seen] = here.seen
    assert (seen.method, seen.body) == (method, body)
    assert {name.lower(): value for name, value in SECRETS}.items() <= seen.headers.items()


async def test_a_redirect_from_http_to_ws_is_not_followed(here: Subject, elsewhere: Subject) -> None:
    url = redirect_url(here, 307, f"ws://{elsewhere.base.removeprefix('http://')}/record")
    with pytest.raises(Failure) as failure:
        await exchange(Ask(url, headers=SECRETS, timeout=10))
    assert failure.value.exit_code == EXIT_BAD_RESPONSE
    assert "a browser does not follow that" in str(failure.value)
    assert elsewhere.seen == []


async def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = await asyncio.to_thread(diagnose.main, list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


async def test_the_terminal_says_which_headers_stayed_behind(here: Subject, elsewhere: Subject, capsys) -> None:
    url = redirect_url(here, 302, f"{elsewhere.base}/record")
    argv = [url, "-H", "Authorization: Bearer s3cret", "-H", "X-Api-Key: s3cret", "-H", "X-Trace: kept"]
    status, out, err = await run(capsys, *argv, "--sensitive-header", "x-api-key")
    assert (status, err) == (EXIT_OK, "")
    assert "  (not sent after the redirect: Authorization, X-Api-Key)" in out
    [seen] = elsewhere.seen
    assert secrets_in(seen) == set() and seen.headers["x-trace"] == "kept"
    _, out, _ = await run(capsys, *argv, "--json")
    assert json.loads(out)["withheld_headers"] == ["Authorization"]  # X-Api-Key unmarked: sent on


async def test_a_refused_redirect_is_one_line_with_the_bad_response_status(here: Subject, capsys) -> None:
    status, out, err = await run(capsys, redirect_url(here, 302, "wss://127.0.0.2/socket"))
    assert (status, out) == (EXIT_BAD_RESPONSE, "")
    assert "redirected from http:// to wss://127.0.0.2/socket" in err


# The rules themselves, without a socket.

POST = Hop("http://a.test/x", "POST", (("Authorization", "t"), ("Content-Type", "text/csv"), TRACE), b"data")


@pytest.mark.parametrize(
    ("status", "location", "method", "headers"),
    [
        (307, "/y", "POST", ["Authorization", "Content-Type", "X-Trace"]),
        (308, "http://a.test:80/y", "POST", ["Authorization", "Content-Type", "X-Trace"]),
        (303, "/y", "GET", ["Authorization", "X-Trace"]),
        (301, "/y", "GET", ["Authorization", "X-Trace"]),
        (307, "http://b.test/y", "POST", ["Content-Type", "X-Trace"]),
        (307, "http://a.test:8080/y", "POST", ["Content-Type", "X-Trace"]),
        (307, "https://a.test/y", "POST", ["Content-Type", "X-Trace"]),
        (302, "//b.test/y", "GET", ["X-Trace"]),
    ],
)
def test_a_redirect_keeps_what_a_browser_keeps(status: int, location: str, method: str, headers: list[str]) -> None:
    hop = follow(POST, status, location, CREDENTIAL_HEADERS)
    assert (hop.method, [name for name, _ in hop.headers]) == (method, headers)
    assert hop.data == (b"data" if method == "POST" else None)


def test_credentials_withheld_once_stay_withheld_on_the_way_back() -> None:
    away = follow(POST, 307, "http://b.test/y", CREDENTIAL_HEADERS)
    back = follow(away, 307, "http://a.test/x", CREDENTIAL_HEADERS)
    assert "Authorization" not in dict(back.headers)


def test_marked_headers_are_withheld_whatever_their_case() -> None:
    hop = Hop("http://a.test/", "GET", (("X-API-KEY", "k"), TRACE), None)
    assert follow(hop, 302, "http://b.test/", CREDENTIAL_HEADERS | {"x-api-key"}).headers == (TRACE,)


@pytest.mark.parametrize(
    ("url", "location"),
    [
        ("http://a.test/", "ws://a.test/"),
        ("https://a.test/", "wss://a.test/"),
        ("ws://a.test/", "http://a.test/"),
        ("http://a.test/", "ftp://a.test/"),
        ("http://a.test/", "http://a.test:port/"),
        ("http://a.test/", "http://:80/no-host"),
    ],
)
def test_a_redirect_to_another_kind_of_url_or_none_is_refused(url: str, location: str) -> None:
    with pytest.raises(Failure) as failure:
        follow(Hop(url, "GET", (), None), 302, location, CREDENTIAL_HEADERS)
    assert failure.value.exit_code == EXIT_BAD_RESPONSE


def test_an_origin_spells_out_its_default_port() -> None:
    assert origin("http://A.test/x") == origin("http://a.test:80/y") != origin("https://a.test/")


def test_a_location_is_percent_encoded_as_a_browser_encodes_it() -> None:
    location = "/a b\x00\x1b?q=\xc3\xa9&r=%41#f"  # as the latin-1 head gave it: é was c3 a9 on the wire
    hop = follow(Hop("http://a.test/x", "GET", (), None), 302, location, CREDENTIAL_HEADERS)
    assert hop.url == "http://a.test/a%20b%00%1B?q=%C3%A9&r=%41#f"
