"""Behind Debian's nginx, run with the configuration of docs/deploy.md: streams stay
progressive (with nginx's default buffering and gzip on), the WebSocket works (over TLS
too), and SSE comments and WebSocket pings keep quiet streams past nginx's read timeout.
Controls show each test can fail: nginx told to ignore the app's header buffers, and a
read timeout shorter than a pause cuts a stream that has no keep-alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp.typedefs import StrOrURL

from app.params import BOUNDS
from app.server.transports import sse, ws
from tests.helpers import STREAMING_ENDPOINTS, ids
from tests.nginx import (
    GZIP_STREAM_TYPES,
    RunningNginx,
    adapt,
    documented_config,
    documented_upstream,
    require_nginx,
    run_nginx,
    with_upstream,
)
from tests.processes import ServerProcess, app_command, free_port, require_tool, run_server

COUNT = 5
INTERVAL = 0.2
#: Seconds over which a stream's messages are spread.
SPAN = 0.8


def _replace_once(old: str, new: str, text: str) -> str:
    assert text.count(old) == 1, f"expected one {old!r} in the documented config"
    return text.replace(old, new)


def as_documented(config: str) -> str:
    return config


def stream_types_gzipped(config: str) -> str:
    """The documented config with buffering explicitly on and the streams' own types compressed."""
    config = re.sub(r"^(\s*)gzip_types .*;$", rf"\g<1>gzip_types {GZIP_STREAM_TYPES};", config, flags=re.MULTILINE)
    return _replace_once("location / {\n", "location / {\n        proxy_buffering on;\n", config)


def header_ignored(config: str) -> str:
    """The control: nginx told to ignore the app's X-Accel-Buffering, so it buffers."""
    return _replace_once("location / {\n", "location / {\n        proxy_ignore_headers X-Accel-Buffering;\n", config)


def _start(server, tmp_path: Path, variant, port: int | None = None) -> Iterator[RunningNginx]:
    binary = require_nginx()
    port = port or free_port()
    http_block = variant(adapt(documented_config(), listen_port=port, upstream_port=server.port))
    with run_nginx(binary, tmp_path / "nginx", http_block, port) as nginx:
        yield nginx


def _self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    openssl = require_tool("openssl", "apt-get install openssl")
    cert, key = directory / "cert.pem", directory / "key.pem"
    new_key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            *new_key,
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture
def tls_proxy(server, tmp_path: Path) -> Iterator[RunningNginx]:
    """The documented config with TLS on its listener, as a real deployment has."""
    cert, key = _self_signed_certificate(tmp_path)
    port = free_port()

    def with_tls(config: str) -> str:
        listen = f"listen 127.0.0.1:{port};\n"
        tls = f"listen 127.0.0.1:{port} ssl;\n    ssl_certificate {cert};\n    ssl_certificate_key {key};\n"
        return _replace_once(listen, tls, config)

    yield from _start(server, tmp_path, with_tls, port)


@pytest.fixture(params=[as_documented, stream_types_gzipped], ids=lambda variant: variant.__name__)
def proxy(request, server, tmp_path: Path) -> Iterator[RunningNginx]:
    yield from _start(server, tmp_path, request.param)


@pytest.fixture
def plain_proxy(server, tmp_path: Path) -> Iterator[RunningNginx]:
    yield from _start(server, tmp_path, as_documented)


def short_read_timeout(config: str) -> str:
    """The control for the timeout line: nginx gives up on a second of silence."""
    return re.sub(r"proxy_read_timeout \d+s;", "proxy_read_timeout 1s;", config)


@pytest.fixture
def impatient_proxy(server, tmp_path: Path) -> Iterator[RunningNginx]:
    yield from _start(server, tmp_path, short_read_timeout)


@pytest.fixture
def gzip_proxy(server, tmp_path: Path) -> Iterator[RunningNginx]:
    yield from _start(server, tmp_path, stream_types_gzipped)


@pytest.fixture
def buffering_proxy(server, tmp_path: Path) -> Iterator[RunningNginx]:
    yield from _start(server, tmp_path, header_ignored)


async def _timed_body(session: aiohttp.ClientSession, url: str) -> tuple[bytes, list[float], aiohttp.ClientResponse]:
    """The (decompressed) body and when each piece of it arrived, in seconds from the request."""
    started = time.monotonic()
    parts: list[bytes] = []
    arrivals: list[float] = []
    async with session.get(url) as response:
        assert response.status == 200
        async for data in response.content.iter_any():
            parts.append(data)
            arrivals.append(time.monotonic() - started)
    return b"".join(parts), arrivals, response


async def _chunks_at_full_speed(session: aiohttp.ClientSession, url: StrOrURL) -> tuple[bytes, int]:
    """The body straight from the app, and how many chunks (messages) it took."""
    parts: list[bytes] = []
    chunks = 0
    async with session.get(url) as response:
        async for data, end_of_chunk in response.content.iter_chunks():
            parts.append(data)
            chunks += end_of_chunk and bool(data)
    return b"".join(parts), chunks


@pytest.mark.parametrize("endpoint", STREAMING_ENDPOINTS, ids=ids)
async def test_streams_stay_progressive_through_nginx(endpoint, proxy, server, session) -> None:
    direct, messages = await _chunks_at_full_speed(
        session, server.make_url(f"{endpoint.path}?count={COUNT}&interval=0")
    )
    # Pace whatever number of messages this endpoint sends over about SPAN seconds.
    interval = round(SPAN / (messages - 1), 4)
    body, arrivals, response = await _timed_body(
        session, proxy.make_url(f"{endpoint.path}?count={COUNT}&interval={interval}")
    )
    assert body == direct
    assert response.headers["Content-Type"] == endpoint.content_type
    # Buffered, it would all arrive in one piece at the end. A busy machine may delay a read
    # or join a few (so not every message is a piece of its own), never hold them all.
    assert arrivals[-1] >= 0.9 * SPAN
    assert arrivals[0] < 0.5 * arrivals[-1]
    assert len(arrivals) >= 3


async def test_streams_are_really_compressed_in_the_gzip_variant(gzip_proxy, session) -> None:
    for path in ("/chunked", "/ndjson", "/sse"):
        async with session.get(gzip_proxy.make_url(f"{path}?count=3&interval=0")) as response:
            assert response.headers.get("Content-Encoding") == "gzip", path
            assert (await response.read()).count(b"\n") >= 3


async def test_control_nginx_buffers_a_stream_when_it_ignores_the_apps_header(buffering_proxy, session) -> None:
    """Proves the progressive test can fail: without X-Accel-Buffering, nginx holds the stream."""
    body, arrivals, _ = await _timed_body(
        session, buffering_proxy.make_url(f"/chunked?count={COUNT}&interval={INTERVAL}")
    )
    assert body.count(b"Chunk") == COUNT
    assert arrivals[0] >= 0.9 * (COUNT - 1) * INTERVAL


async def test_websocket_works_through_nginx(plain_proxy, session) -> None:
    url = plain_proxy.make_url("/ws?count=3&interval=0.3")
    # A browser on the proxied page sends the proxy's origin; Host $http_host makes it match.
    async with session.ws_connect(url, headers={"Origin": plain_proxy.base_url}) as ws:
        assert (await ws.receive_str(timeout=5)) == "WebSocket message 0"
        await ws.send_str("ping")
        texts = [await ws.receive_str(timeout=5) for _ in range(3)]
        close = await ws.receive(timeout=5)
    assert any('"echo": "ping"' in text for text in texts)
    assert [text for text in texts if text.startswith("WebSocket message")] == [
        "WebSocket message 1",
        "WebSocket message 2",
    ]
    assert close.type is aiohttp.WSMsgType.CLOSE
    assert ws.close_code == 1000


async def test_cross_site_websocket_is_refused_through_nginx(plain_proxy, session) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await session.ws_connect(plain_proxy.make_url("/ws"), headers={"Origin": "http://evil.example"})
    assert refused.value.status == 403


async def test_dashboard_is_served_compressed_through_nginx(plain_proxy, session) -> None:
    async with session.get(plain_proxy.make_url("/")) as response:
        assert response.status == 200
        assert response.headers.get("Content-Encoding") == "gzip"
        assert "Content-Security-Policy" in response.headers
        assert "<html" in (await response.text()).lower()


async def test_a_pause_longer_than_the_read_timeout_cuts_the_stream(impatient_proxy, session) -> None:
    """Why the timeout line is there: a quiet stream outlasting nginx's patience is cut."""
    async with session.get(impatient_proxy.make_url("/chunked?count=2&interval=2")) as response:
        assert await response.content.readline() == b"Chunk 0\n"
        with pytest.raises(aiohttp.ClientPayloadError):
            await response.read()


@pytest.fixture
def quick_keepalives(monkeypatch: pytest.MonkeyPatch) -> float:
    """The keep-alive periods scaled down from 15 s and 20 s, so a test waits seconds, not minutes."""
    period = 0.3
    monkeypatch.setattr(sse, "KEEPALIVE_SECONDS", period)
    monkeypatch.setattr(ws, "HEARTBEAT_SECONDS", period)
    return period


async def test_sse_keepalive_comments_hold_a_quiet_stream_through_the_proxy(
    quick_keepalives, impatient_proxy, session
) -> None:
    # 2.5 s of silence between events against nginx's 1 s: only the comments keep it open.
    async with session.get(impatient_proxy.make_url("/sse?count=1&interval=2.5")) as response:
        body = await response.text()
    assert body.count("data: SSE message") == 1
    assert ": keep-alive" in body


async def test_websocket_heartbeats_hold_a_quiet_socket_through_the_proxy(
    quick_keepalives, impatient_proxy, session
) -> None:
    async with session.ws_connect(impatient_proxy.make_url("/ws?count=1&interval=2.5")) as websocket:
        texts = [message.data async for message in websocket if message.type is aiohttp.WSMsgType.TEXT]
    assert texts == ["WebSocket message 0"]
    assert websocket.close_code == 1000


def test_documented_read_timeout_outlasts_every_silence_the_server_allows() -> None:
    config = documented_config()
    for directive in ("proxy_read_timeout", "proxy_send_timeout"):
        match = re.search(rf"^\s*{directive} (\d+)s;$", config, flags=re.MULTILINE)
        assert match, f"{directive} missing from docs/deploy.md"
        seconds = int(match[1])
        # Longer than the longest pause between messages, and than the keep-alive periods.
        assert seconds > max(BOUNDS["interval"].maximum, ws.HEARTBEAT_SECONDS, sse.KEEPALIVE_SECONDS)


async def test_streams_work_through_nginx_with_tls(tls_proxy, session) -> None:
    url = f"https://127.0.0.1:{tls_proxy.port}/chunked?count=3&interval=0"
    async with session.get(url, ssl=False) as response:
        assert response.status == 200
        assert await response.text() == "Chunk 0\nChunk 1\nChunk 2\n"


async def test_dashboard_websocket_works_through_nginx_with_tls(tls_proxy, session) -> None:
    origin = f"https://127.0.0.1:{tls_proxy.port}"
    async with session.ws_connect(
        f"wss://127.0.0.1:{tls_proxy.port}/ws?count=1&interval=0", ssl=False, headers={"Origin": origin}
    ) as ws:
        assert (await ws.receive_str(timeout=5)) == "WebSocket message 0"


@pytest.fixture
def two_hosts(tmp_path: Path) -> Iterator[list[ServerProcess]]:
    """Two independent app processes, standing in for two machines."""
    with contextlib.ExitStack() as stack:
        hosts = []
        for name in ("a", "b"):
            port = free_port()
            hosts.append(stack.enter_context(run_server(app_command(port), port, tmp_path / f"{name}.log")))
        yield hosts


async def test_streams_spread_over_several_hosts_without_sticky_sessions(two_hosts, tmp_path: Path, session) -> None:
    binary = require_nginx()
    port = free_port()
    upstream = documented_upstream([f"127.0.0.1:{host.port}" for host in two_hosts])
    config = with_upstream(adapt(documented_config(), listen_port=port, upstream_port=two_hosts[0].port), upstream)
    with run_nginx(binary, tmp_path / "nginx", config, port) as nginx:
        bodies = await asyncio.gather(
            *(_timed_body(session, nginx.make_url("/chunked?count=2&interval=0.2")) for _ in range(10))
        )
    assert all(body == b"Chunk 0\nChunk 1\n" for body, _, _ in bodies)
    started = []
    for host in two_hosts:
        async with session.get(host.make_url("/healthz")) as response:
            started.append((await response.json())["streams_started"])
    assert sum(started) == 10
    assert all(count > 0 for count in started), started
