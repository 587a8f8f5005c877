"""Hostile servers on loopback, and a command run against one with what it cost: for the
terminal's tests (tests/client) and the benchmark's load generator (tests/bench) alike.

Each server is a raw socket the test serves, so it can do what no well-behaved server
would: a gzip bomb, a line or a frame without end, a cut after every few events. The
commands run in a worker thread (each owns its event loop) while the test's loop serves;
tracemalloc counts what both allocate, the server's few buffers included.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

import pytest

from app.wire.websocket import Opcode, accept_key, encode_frame

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
Main = Callable[[Sequence[str] | None], int]

MiB = 1024 * 1024
BLOCK = 64 * 1024
SSE_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n"
#: A text body delimited by the connection's close.
TEXT_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"


@contextlib.asynccontextmanager
async def hostile(handler: Handler) -> AsyncIterator[str]:
    """A server on a loopback port answering every connection with `handler`; its base URL.
    Its handlers are cancelled when the test is done with it, however they wait."""
    tasks: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)  # type: ignore[arg-type]
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the test is over
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        server.close()
        await server.wait_closed()


async def request_read(reader: asyncio.StreamReader) -> bytes:
    """The request's head, read whole."""
    return await reader.readuntil(b"\r\n\r\n")


def endless(head: bytes, opening: bytes, piece: bytes = b"x" * BLOCK, total: int = 1024**3) -> Handler:
    """A body that opens with `opening` and goes on with `piece` until `total` bytes."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await request_read(reader)
        writer.write(head + opening)
        for _ in range(total // len(piece)):
            writer.write(piece)
            await writer.drain()

    return handler


def websocket_accepted(request: bytes) -> bytes:
    """The 101 that accepts the WebSocket handshake `request` asks for."""
    fields = dict(line.split(b": ", 1) for line in request.split(b"\r\n")[1:] if b": " in line)
    key = next(value for name, value in fields.items() if name.lower() == b"sec-websocket-key")
    accept = f"Sec-WebSocket-Accept: {accept_key(key.decode())}\r\n\r\n".encode()
    return b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + accept


async def one_gib_frame(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A text frame whose header says 1 GiB, its payload sent for as long as it is read."""
    writer.write(websocket_accepted(await request_read(reader)))
    writer.write(bytes([0x80 | Opcode.TEXT, 127]) + (1024**3).to_bytes(8, "big"))
    while True:
        writer.write(b"x" * BLOCK)
        await writer.drain()


async def endless_fragments(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A text message of 64 KiB fragments that never has its final one."""
    writer.write(websocket_accepted(await request_read(reader)))
    writer.write(encode_frame(Opcode.TEXT, b"x" * BLOCK, fin=False))
    while True:
        writer.write(encode_frame(Opcode.CONTINUATION, b"x" * BLOCK, fin=False))
        await writer.drain()


async def run(main: Main, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str, float, int]:
    """(exit status, stdout, stderr, seconds, peak bytes allocated) of one command."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        status = await asyncio.to_thread(main, list(argv))
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    captured = capsys.readouterr()
    return status, captured.out, captured.err, seconds, peak
