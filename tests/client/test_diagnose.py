"""diagnose against real subjects: every endpoint of the registry, every culprit of the lab,
real nginx with its defaults, another framework's compression, TLS, WebSocket and POST.

Each subject is a real server on a loopback port; diagnose reads it over its own socket.
Streams last about a second, so a verdict is never a matter of a few milliseconds.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pytest_aiohttp import AiohttpServer

from app.client.diagnose.exchange import Ending
from app.client.diagnose.fetch import Ask, exchange
from app.client.diagnose.report import Diagnosis
from app.culprits import VIA_TRANSPORTS
from app.endpoints import ENDPOINTS, Endpoint
from app.transport import Transport
from tests.helpers import ids, paced
from tests.nginx import RunningNginx, require_nginx, run_nginx
from tests.processes import ServerProcess, free_port, run_server

#: Every subject's stream lasts about a second.
pytestmark = pytest.mark.slow

INTERVAL = 0.2
SMALL = f"count=5&interval={INTERVAL}"
#: Enough small messages for a 4 KiB buffer to fill several times over.
MANY = "count=100&interval=0.02&size=100"


async def diagnose(url: str, **ask: object) -> Diagnosis:
    return Diagnosis.of(await exchange(Ask(url, **ask)))  # type: ignore[arg-type]


def stream_url(base: str, endpoint: Endpoint, query: str) -> str:
    if endpoint.transport is Transport.WEBSOCKET:
        base = "ws" + base.removeprefix("http")
    return f"{base}{endpoint.path}?{query}"


def cause_ids(diagnosis: Diagnosis) -> list[str]:
    return [cause.id for cause in diagnosis.causes]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
async def test_every_endpoint_streams_except_the_buffered_one(base_url: str, endpoint: Endpoint) -> None:
    diagnosis = await diagnose(stream_url(base_url, endpoint, paced(endpoint, 4 * INTERVAL)))
    e = diagnosis.exchange
    assert (e.status, e.ending) == (
        (101, Ending.COMPLETE) if endpoint.transport is Transport.WEBSOCKET else (200, Ending.COMPLETE)
    )
    if endpoint.transport is Transport.BUFFERED:
        assert diagnosis.judgement.verdict == "buffered"
        assert cause_ids(diagnosis) == ["content-length"]
        assert e.headers_ms >= 0.8 * e.end_ms  # the headers waited for the whole body
    else:
        assert diagnosis.judgement.verdict == "progressive", diagnosis.judgement.reason
        assert diagnosis.causes == [] and diagnosis.warnings == []
        assert e.first_content_ms is not None and e.first_content_ms < 0.25 * e.end_ms


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.transport is not Transport.BUFFERED], ids=ids)
async def test_messages_are_counted_as_events_frames_or_lines(base_url: str, endpoint: Endpoint) -> None:
    e = (await diagnose(stream_url(base_url, endpoint, "count=3&interval=0"))).exchange
    if endpoint.transport is Transport.WEBSOCKET:
        assert (e.reading, e.messages, e.close_code) == ("messages", 3, 1000)
    elif endpoint.transport is Transport.SSE:
        assert (e.reading, e.messages) == ("events", 3)
    elif "\n" in endpoint.example(stamp=False):
        assert e.reading == "lines" and e.messages >= 3
    else:
        assert (e.reading, e.messages) == ("bytes", 0)  # nested JSON: no line breaks, nothing to count
    assert e.wire_bytes > e.decoded_bytes > 0  # chunk or frame framing on top of the content


@pytest.mark.parametrize("transport", VIA_TRANSPORTS)
@pytest.mark.parametrize(
    ("query", "verdict", "causes"),
    [
        (f"{SMALL}&via=gzip", "buffered", ["compression"]),
        (f"{SMALL}&via=gzip-flush", "progressive", []),
        (f"{SMALL}&via=proxy", "buffered", ["proxy-buffering"]),
        (f"{MANY}&via=proxy", "bursty", ["proxy-buffering"]),
    ],
    ids=["gzip", "gzip-flush", "proxy", "proxy-many"],
)
async def test_each_culprit_gets_its_verdict_and_cause(
    base_url: str, transport: str, query: str, verdict: str, causes: list[str]
) -> None:
    path = "/chunked" if transport == "chunked" else "/sse"
    diagnosis = await diagnose(f"{base_url}{path}?{query}")
    assert diagnosis.judgement.verdict == verdict, diagnosis.judgement.reason
    assert cause_ids(diagnosis) == causes


async def test_held_compression_is_told_by_the_encoded_bytes_that_came_early(base_url: str) -> None:
    diagnosis = await diagnose(f"{base_url}/chunked?{SMALL}&via=gzip")
    (cause,) = diagnosis.causes
    assert "decoded to nothing until" in cause.evidence
    assert diagnosis.exchange.header("content-encoding") == "gzip"


async def test_a_dropped_stream_ends_cut_and_is_judged_on_what_came(base_url: str) -> None:
    diagnosis = await diagnose(f"{base_url}/chunked?count=5&interval=0.1&drop=3")
    assert diagnosis.exchange.ending is Ending.CUT
    assert diagnosis.exchange.decoded_bytes > 0


async def test_a_dropped_websocket_ends_cut_without_a_close_code(base_url: str) -> None:
    ws = "ws" + base_url.removeprefix("http")
    e = (await diagnose(f"{ws}/ws?count=5&interval=0.05&drop=2")).exchange
    assert (e.ending, e.close_code, e.messages) == (Ending.CUT, None, 2)


@pytest.fixture
def nginx_default(server: TestServer, tmp_path: Path) -> Iterator[RunningNginx]:
    """nginx with its defaults in front of a stream that does not ask for no-buffering (the
    app's X-Accel-Buffering ignored stands for an app that does not send it)."""
    port = free_port()
    location = f"proxy_pass http://127.0.0.1:{server.port}; proxy_ignore_headers X-Accel-Buffering;"
    with run_nginx(
        require_nginx(), tmp_path / "nginx", f"server {{ listen 127.0.0.1:{port}; location / {{ {location} }} }}", port
    ) as nginx:
        yield nginx


@pytest.mark.parametrize(
    ("query", "verdict", "causes"),
    # nginx adds no Via: its held head and its blocks are all that show it, and an app that
    # held its whole answer (or wrote through a block buffer) would look the same, so each
    # case names the other explanation too, and how to tell them apart.
    [(SMALL, "buffered", ["proxy-buffering", "held-by-server"]), (MANY, "bursty", ["proxy-buffering", "write-buffer"])],
)
async def test_real_nginx_with_default_buffering_is_named_the_cause(
    nginx_default: RunningNginx, query: str, verdict: str, causes: list[str]
) -> None:
    diagnosis = await diagnose(nginx_default.make_url(f"/chunked?{query}"))
    assert diagnosis.judgement.verdict == verdict, diagnosis.judgement.reason
    assert cause_ids(diagnosis) == causes
    assert "Server: nginx" in diagnosis.causes[0].evidence


@pytest.fixture
def nginx_honouring(server: TestServer, tmp_path: Path) -> Iterator[RunningNginx]:
    port = free_port()
    block = f"server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://127.0.0.1:{server.port}; }} }}"
    with run_nginx(require_nginx(), tmp_path / "nginx", block, port) as nginx:
        yield nginx


async def test_real_nginx_streams_when_the_app_asks_for_no_buffering(nginx_honouring: RunningNginx) -> None:
    diagnosis = await diagnose(nginx_honouring.make_url(f"/chunked?{SMALL}"))
    assert diagnosis.judgement.verdict == "progressive", diagnosis.judgement.reason
    assert diagnosis.exchange.header("server").startswith("nginx")


@pytest.fixture
def starlette_gzip(tmp_path: Path) -> Iterator[ServerProcess]:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "tests.client.starlette_subject:app", "--port", str(port)]
    with run_server(
        [*command, "--host", "127.0.0.1", "--log-level", "warning"], port, tmp_path / "uvicorn.log"
    ) as process:
        yield process


async def test_another_frameworks_compression_that_flushes_is_progressive(starlette_gzip: ServerProcess) -> None:
    """Starlette's GZipMiddleware flushes each message: compressed, and still a stream. The
    header alone would have blamed compression; the arrivals clear it."""
    diagnosis = await diagnose(starlette_gzip.make_url("/ticks"))
    assert diagnosis.exchange.header("content-encoding") == "gzip"
    assert diagnosis.exchange.header("server") == "uvicorn"
    assert diagnosis.judgement.verdict == "progressive", diagnosis.judgement.reason
    assert diagnosis.causes == []
    assert [w.id for w in diagnosis.warnings] == ["sniffing"]


async def compressed_ticks(request: web.Request) -> web.StreamResponse:
    """Bare aiohttp's own compression: it compresses each write and flushes only at the end."""
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.enable_compression()
    await response.prepare(request)
    for tick in range(5):
        await response.write(f"tick {tick}\n".encode())
        await asyncio.sleep(INTERVAL)
    await response.write_eof()
    return response


@pytest.fixture
async def subjects(aiohttp_server: AiohttpServer) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/compressed", compressed_ticks)
    app.router.add_post("/complete", completion)
    server = await aiohttp_server(app, host="127.0.0.1")
    yield f"http://127.0.0.1:{server.port}"


async def test_a_frameworks_compression_that_holds_the_content_is_named(subjects: str) -> None:
    diagnosis = await diagnose(f"{subjects}/compressed")
    assert diagnosis.judgement.verdict == "buffered", diagnosis.judgement.reason
    assert cause_ids(diagnosis) == ["compression"]


async def completion(request: web.Request) -> web.StreamResponse:
    """An LLM-style completion: a POSTed prompt, its words streamed back as SSE events."""
    prompt = await request.json()
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await response.prepare(request)
    for word in str(prompt["prompt"]).split():
        await response.write(f"data: {word}\n\n".encode())
        await asyncio.sleep(INTERVAL)
    await response.write(b"data: [DONE]\n\n")
    return response


async def test_a_post_with_a_body_is_diagnosed(subjects: str) -> None:
    diagnosis = await diagnose(f"{subjects}/complete", method="POST", data=b'{"prompt": "one two three four"}')
    e = diagnosis.exchange
    assert (e.method, e.status, e.reading, e.messages) == ("POST", 200, "events", 5)
    assert diagnosis.judgement.verdict == "progressive", diagnosis.judgement.reason
