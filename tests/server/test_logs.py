"""What the server logs cannot be forged or flooded by a client: access-line values are
escaped, and a malformed request is one WARNING line, not an ERROR with a traceback."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.server.logs import escape
from tests.processes import ServerProcess, app_server
from tests.rawclients import wait_for_idle

MALFORMED = [
    b"G\x01T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header Line\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " + b"y" * 20000 + b"\r\n\r\n",
    b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
]


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("curl/8.0", "curl/8.0"),
        ('x" status=200 y="', 'x\\" status=200 y=\\"'),
        ("a\\b", "a\\\\b"),
        ("line\nbreak\r\x00", "line\\x0abreak\\x0d\\x00"),
        ("é", "é"),
    ],
)
def test_escape_keeps_a_value_inside_its_quotes_on_one_line(value: str, escaped: str) -> None:
    assert escape(value) == escaped


def test_escape_cuts_a_long_value() -> None:
    assert len(escape("x" * 10_000)) < 600


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with app_server(tmp_path) as process:
        yield process


async def send_raw(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


async def test_quotes_in_the_agent_or_the_query_cannot_forge_access_fields(
    server: ServerProcess, tmp_path: Path
) -> None:
    forged = 'x" status=999 agent="forged'
    request = (
        f'GET /chunked?count=1&interval=0&x="status=999 HTTP/1.0\r\nHost: 127.0.0.1\r\nUser-Agent: {forged}\r\n\r\n'
    )
    assert (await send_raw(server.port, request.encode())).split(b" ", 2)[1] == b"400"
    assert await wait_for_idle(server) == 0
    log = (tmp_path / "server.log").read_text().splitlines()
    lines = [line for line in log if " access " in line and "/chunked" in line]
    assert len(lines) == 1
    fields = re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', lines[0].split(" access ", 1)[1])
    assert [key for key, _ in fields] == ["remote", "request", "status", "bytes", "duration", "agent"]
    values = dict(fields)
    assert values["status"] == "400"
    assert values["agent"] == '"' + forged.replace('"', '\\"') + '"'


async def test_malformed_requests_are_one_warning_line_each(server: ServerProcess, tmp_path: Path) -> None:
    for request in MALFORMED:
        assert (await send_raw(server.port, request)).split(b" ", 2)[1].startswith(b"4")
    log = (tmp_path / "server.log").read_text(errors="replace").splitlines()
    print("\n".join(log[-len(MALFORMED) * 2 :]))
    assert [line for line in log if " ERROR " in line or line.startswith(("Traceback", " "))] == []
    warnings = [line for line in log if " WARNING " in line and "malformed request" in line]
    assert 1 <= len(warnings) <= len(MALFORMED)
    assert all(len(line) < 800 for line in log)
