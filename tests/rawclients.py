"""Raw-socket clients that misbehave on purpose (they stall, never read, or leave), and
what the tests read back from a server process about them."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import urllib.request
from pathlib import Path

from app.wire.http import encode_request
from app.wire.websocket import handshake_headers
from tests.processes import ServerProcess, open_fds, rss_kib

ONE_MIB = 1_048_576
#: RFC 6455's example key: any key will do, and one key keeps every handshake alike.
WS_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
#: The most messages of 1 MiB that /non-chunked takes (its body's cap is 16 MiB).
BUFFERED_MIB_COUNT = 15
#: A small receive buffer, so the kernel cannot soak up what the server writes.
CLIENT_RCVBUF = 16 * 1024


def get_request(path: str, host: str = "127.0.0.1", fields: tuple[tuple[str, str], ...] = ()) -> bytes:
    """A GET of `path` (with a WebSocket handshake for /ws), written by the wire codec."""
    upgrade = handshake_headers(WS_KEY) if path.startswith("/ws") else []
    return encode_request("GET", path, host, [*fields, *upgrade])


def mib_messages(endpoint: object, count: int = 100) -> str:
    """A path asking `endpoint` (an Endpoint, or "ws") for `count` messages of 1 MiB as
    fast as possible: far more than socket buffers hold, so the server must wait on the
    reader. /non-chunked gets as many as its body's cap allows."""
    if endpoint == "ws":
        return f"/ws?count={count}&interval=0&size={ONE_MIB}"
    path = endpoint.path  # type: ignore[attr-defined]
    count = min(count, BUFFERED_MIB_COUNT) if path == "/non-chunked" else count
    return f"{path}?count={count}&interval=0&size={ONE_MIB}"


def logged_errors(server_dir: Path) -> list[str]:
    """Lines the server logged at ERROR, and tracebacks (by any test of this module so far)."""
    log = (server_dir / "server.log").read_text(errors="replace")
    return [line for line in log.splitlines() if " ERROR " in line or line.startswith("Traceback")]


def healthz(server: ServerProcess) -> dict[str, object]:
    with urllib.request.urlopen(server.make_url("/healthz"), timeout=5) as response:
        return json.loads(response.read())


async def wait_for_idle(server: ServerProcess, within: float = 5.0) -> int:
    deadline = time.monotonic() + within
    active = healthz(server)["active_streams"]
    while active and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        active = healthz(server)["active_streams"]
    assert isinstance(active, int)
    return active


async def open_small_window(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CLIENT_RCVBUF)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return await asyncio.open_connection(sock=sock, limit=CLIENT_RCVBUF)


async def request_head(port: int, path: str) -> tuple[bytes, asyncio.StreamReader, asyncio.StreamWriter]:
    """Send the request (a WebSocket handshake for /ws) and read the answer's head."""
    reader, writer = await open_small_window(port)
    writer.write(get_request(path))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    return head, reader, writer


async def ask_and_never_read(port: int, path: str) -> tuple[bytes, asyncio.StreamWriter]:
    """Ask for `path`, read the answer's head, then nothing more."""
    head, _, writer = await request_head(port, path)
    return head, writer


async def stall_on(port: int, path: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Start a stream (a WebSocket for /ws) and read nothing after its headers."""
    head, reader, writer = await request_head(port, path)
    assert head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 101")), head
    return reader, writer


async def peak_rss_kib(server: ServerProcess, seconds: float) -> int:
    """The server's highest RSS (KiB), sampled every 50 ms while `seconds` pass."""
    peak = rss_kib(server.pid)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        peak = max(peak, rss_kib(server.pid))
    return peak


async def settle(measure, target: int, within: float = 5.0) -> int:
    """Poll `measure()` until it is at most `target` or `within` seconds pass."""
    deadline = time.monotonic() + within
    value = measure()
    while value > target and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        value = measure()
    return value


async def fewest_fds(pid: int, seconds: float = 0.3) -> int:
    """The process's fd count at rest: the fewest seen over a short while."""
    fewest = open_fds(pid)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(0.02)
        fewest = min(fewest, open_fds(pid))
    return fewest
