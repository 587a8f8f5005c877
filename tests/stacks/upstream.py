"""The app behind the proxies: a stdlib asyncio HTTP/1.x server whose every stream is built
from its query, so a test knows exactly what was written when.

    python upstream.py PORT

GET /lines?count=N&interval=S&size=B   N lines of B bytes (newline included), one write
                                       each, S seconds apart, the head written at once
    &hold=1                            the same body, held until the last line is due,
                                       then written in one write (the head still at once)
    &type=text/event-stream            the lines as SSE events ("data: …\\n\\n", B bytes)
    &cache=VALUE                       a Cache-Control header with VALUE (none by default)
    &length=1                          a Content-Length announced, the body unchunked
GET /status/NNN                        status NNN with a short body and a Content-Length

An HTTP/1.1 request gets each write as one chunk; an HTTP/1.0 request (nginx's default
towards its upstream) gets a body delimited by closing the connection. No Content-Length on
a stream, no X-Accel-Buffering: an app that asks nothing of a proxy.
"""

from __future__ import annotations

import asyncio
import sys
import time
from urllib.parse import parse_qs, urlsplit

REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}


def line(number: int, size: int, sse: bool) -> bytes:
    """Message `number`, `size` bytes long in all (its framing included)."""
    if sse:
        text = f"data: {number:05d} "
        return (text + "x" * max(0, size - len(text) - 2) + "\n\n").encode()
    text = f"{number:05d} "
    return (text + "x" * max(0, size - len(text) - 1) + "\n").encode()


def head(status: int, fields: list[tuple[str, str]], chunked: bool) -> bytes:
    framing = [("Transfer-Encoding", "chunked")] if chunked else [("Connection", "close")]
    lines = [f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}"]
    lines += [f"{name}: {value}" for name, value in [*fields, *framing]]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def send(writer: asyncio.StreamWriter, data: bytes, chunked: bool) -> None:
    writer.write(f"{len(data):x}\r\n".encode() + data + b"\r\n" if chunked else data)
    await writer.drain()


async def lines(writer: asyncio.StreamWriter, query: dict[str, str], chunked: bool) -> None:
    count, size = int(query.get("count", "10")), int(query.get("size", "64"))
    interval, hold = float(query.get("interval", "0.1")), query.get("hold") == "1"
    kind = query.get("type", "text/plain")
    fields = [("Content-Type", kind)] + ([("Cache-Control", query["cache"])] if "cache" in query else [])
    if query.get("length") == "1":
        chunked, fields = False, [*fields, ("Content-Length", str(count * size))]
    writer.write(head(200, fields, chunked))
    await writer.drain()
    start = time.monotonic()
    held = b""
    for number in range(count):
        # An absolute schedule: message n is due at n * interval, however long writes took.
        await asyncio.sleep(max(0.0, start + number * interval - time.monotonic()))
        message = line(number, size, kind == "text/event-stream")
        if hold:
            held += message
        else:
            await send(writer, message, chunked)
    if held:
        await send(writer, held, chunked)
    if chunked:
        writer.write(b"0\r\n\r\n")


async def status(writer: asyncio.StreamWriter, code: int) -> None:
    body = f"status {code}\n".encode()
    fields = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    writer.write(head(code, fields, chunked=False).replace(b"Connection: close\r\n", b"") + body)


async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One request after another on a connection; an HTTP/1.0 or close-delimited one ends it."""
    try:
        while request := await reader.readuntil(b"\r\n\r\n"):
            method_target_version, *_ = request.decode("latin-1").split("\r\n")
            _, target, version = method_target_version.split(" ", 2)
            parts = urlsplit(target)
            query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
            chunked = version == "HTTP/1.1"
            if parts.path.startswith("/status/"):
                await status(writer, int(parts.path.removeprefix("/status/")))
            elif parts.path == "/lines":
                await lines(writer, query, chunked)
            else:
                await status(writer, 404)
            await writer.drain()
            if (not chunked and parts.path == "/lines") or b"\r\nconnection: close" in request.lower():
                break
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
