"""What a server sends reaches the terminal shown, never obeyed: a hostile server's ESC, BEL
and C1 CSI (in a reason phrase, `Server:` and `Via:`, messages, refusals) come out spelled
`\\x1b`, `\\x07`, `\\x9b` from every command, and `--json` stays escaped JSON.

The hostile servers run on loopback; the commands run as a user runs them, as processes,
and what they write is checked byte by byte.
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from app.client.terminal import printable, say
from app.exits import EXIT_BAD_RESPONSE, EXIT_FAILED, EXIT_OK
from tests.processes import PROJECT_ROOT

#: A window title set, the screen cleared, a C1 CSI (one character, no ESC) to colour the rest.
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\u009b31m"
SHOWN = "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m"
#: What a terminal would obey, as bytes: the C1 CSI both alone and as UTF-8 would do.
OBEYED = (b"\x1b", b"\x07", b"\x9b")

#: A hand-written answer: raw bytes where aiohttp would not send them (0x9b alone in a head).
HOSTILE_HEAD = (
    b"HTTP/1.1 200 OK\x1b]0;pwned\x07\r\n"
    b"Server: evil\x1b[2J\x9b31m\r\n"
    b"Via: 1.1 \x1b]0;title\x07proxy\r\n"
    b"Content-Type: text/plain\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n"
)
HOSTILE_LINE = f"line {HOSTILE}\n".encode()
HOSTILE_ANSWER = HOSTILE_HEAD + f"{len(HOSTILE_LINE):x}\r\n".encode() + HOSTILE_LINE + b"\r\n0\r\n\r\n"
HOSTILE_REFUSAL = b"HTTP/1.1 400 Bad\x1b[2J\r\nContent-Length: 15\r\n\r\nno\x1b]0;pwned\x07\x9bx\n"


def run_cli(*args: str) -> tuple[int, bytes, bytes]:
    """`python -m app ARGS` to its end: its status and the very bytes it wrote."""
    done = subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=PROJECT_ROOT, capture_output=True, timeout=60, check=False
    )
    return done.returncode, done.stdout, done.stderr


async def cli(*args: str) -> tuple[int, str, str]:
    """The command in a thread, while this loop serves the hostile server; nothing it wrote obeyable."""
    status, out, err = await asyncio.to_thread(run_cli, *args)
    for written in (out, err):
        assert not [byte for byte in OBEYED if byte in written], written
    return status, out.decode(), err.decode()


@asynccontextmanager
async def hostile_socket(answer: bytes) -> AsyncIterator[str]:
    """A TCP server that reads a request head, sends `answer` as it is, and closes."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def test_diagnose_shows_a_hostile_head_escaped() -> None:
    async with hostile_socket(HOSTILE_ANSWER) as base:
        status, out, err = await cli("diagnose", f"{base}/stream")
    assert (status, err) == (EXIT_OK, "")
    assert "  HTTP/1.1 200 OK\\x1b]0;pwned\\x07" in out
    assert "  Server: evil\\x1b[2J\\x9b31m" in out
    assert "  Via: 1.1 \\x1b]0;title\\x07proxy" in out


async def test_diagnose_json_stays_escaped_json() -> None:
    async with hostile_socket(HOSTILE_ANSWER) as base:
        status, out, _ = await cli("diagnose", f"{base}/stream", "--json")
    assert status == EXIT_OK
    result = json.loads(out)
    assert result["headers"]["server"] == "evil\x1b[2J\x9b31m"
    assert result["headers"]["via"] == "1.1 \x1b]0;title\x07proxy"


async def test_a_hostile_location_in_diagnose_errors_is_escaped() -> None:
    answer = b"HTTP/1.1 302 Found\r\nLocation: /loop\x1b]0;pwned\x07\r\nContent-Length: 0\r\n\r\n"
    async with hostile_socket(answer) as base:
        status, out, err = await cli("diagnose", base)
    assert (status, out) == (EXIT_BAD_RESPONSE, "")
    assert "the last pointed to /loop\\x1b]0;pwned\\x07" in err


async def test_raw_shows_a_hostile_head_and_body_escaped() -> None:
    async with hostile_socket(HOSTILE_ANSWER) as base:
        status, out, err = await cli("raw", "chunked", "--url", base)
    assert (status, err) == (EXIT_OK, "")
    assert "HTTP/1.1 200 OK\\x1b]0;pwned\\x07\\r\\n" in out
    assert "Server: evil\\x1b[2J\\x9b31m\\r\\n" in out
    assert "line \\x1b]0;pwned\\x07\\x1b[2J\\xc2\\x9b31m\\n" in out  # the body's bytes, UTF-8 and all


async def test_raw_shows_a_hostile_refusal_escaped() -> None:
    async with hostile_socket(HOSTILE_REFUSAL) as base:
        status, _, err = await cli("raw", "chunked", "--url", base)
    assert status == EXIT_FAILED
    assert "HTTP 400: no\\x1b]0;pwned\\x07" in err


async def hostile_chunks(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    await response.write(f"Chunk {HOSTILE}\n".encode())
    await response.write_eof()
    return response


async def hostile_events(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    await response.write(f"data: event {HOSTILE}\n\n".encode())
    await response.write_eof()
    return response


async def hostile_socket_messages(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.send_str(f"message {HOSTILE}")
    await ws.close()
    return ws


async def hostile_refusal(request: web.Request) -> web.Response:
    return web.json_response({"error": f"refused {HOSTILE}"}, status=400)


@pytest.fixture
async def hostile_lab(aiohttp_server: AiohttpServer) -> str:
    """A server where the lab's endpoints should be, every message and refusal hostile."""
    app = web.Application()
    app.router.add_get("/chunked", hostile_chunks)
    app.router.add_get("/sse", hostile_events)
    app.router.add_get("/ws", hostile_socket_messages)
    app.router.add_get("/non-chunked", hostile_refusal)
    server = await aiohttp_server(app, host="127.0.0.1")
    return f"http://127.0.0.1:{server.port}"


async def test_compare_shows_hostile_messages_and_refusals_escaped(hostile_lab: str) -> None:
    endpoints = "chunked,sse,ws,non-chunked"
    status, out, err = await cli("compare", "--url", hostile_lab, "--endpoints", endpoints, "--no-stamp")
    assert status == EXIT_FAILED
    for message in (f"Chunk {SHOWN}", f"event {SHOWN}", f"message {SHOWN}"):
        assert message in out, message
    assert f"non-chunked: refused with HTTP 400: refused {SHOWN}" in err


async def test_compare_json_stays_escaped_json(hostile_lab: str) -> None:
    status, out, _ = await cli("compare", "--url", hostile_lab, "--endpoints", "chunked,ws", "--json")
    assert status == EXIT_OK
    texts = [message["text"] for message in json.loads(out)["messages"]]
    assert sorted(texts) == [f"Chunk {HOSTILE}", f"message {HOSTILE}"]


# The function itself.


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (HOSTILE, SHOWN),
        ("\x00\x08\x7f\x80\x9f", "\\x00\\x08\\x7f\\x80\\x9f"),
        ("a\r\nb\tc", "a\\r\\nb\\tc"),
        ("\udc9b", "\\udc9b"),  # a lone surrogate: written with surrogateescape, it would be 0x9b again
        ("café ▁▂█ · \u00a0\u2028 \\x1b", "café ▁▂█ · \u00a0\u2028 \\x1b"),  # printable: kept as is
    ],
)
def test_printable_spells_out_what_a_terminal_would_obey(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_say_writes_only_its_own_line_breaks() -> None:
    out = io.StringIO()
    say(f"first {HOSTILE}", "second\nforged", file=out)
    assert out.getvalue() == f"first {SHOWN}\nsecond\\nforged\n"
