"""The `websockets` library's asyncio server: `ws://.../ticks?count=5&interval=0.2` sends that
many text messages on an absolute schedule, then closes with 1000. A plain HTTP GET (no
Upgrade) gets the library's own 426; `/healthz` answers 200 so the tests can tell it is up.

    python -m tests.stacks.frameworks.websockets_server PORT
"""

from __future__ import annotations

import asyncio
import sys
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from .tokens import aticks, line, pacing


def healthz(connection: ServerConnection, request: Request) -> Response | None:
    if urlsplit(request.path).path == "/healthz":
        return connection.respond(HTTPStatus.OK, "ok\n")
    return None


async def ticks(connection: ServerConnection) -> None:
    assert connection.request is not None  # the handler runs after the handshake
    parts = urlsplit(connection.request.path)
    if parts.path != "/ticks":
        await connection.close(1008, "no such stream")
        return
    count, interval = pacing(dict(parse_qsl(parts.query)))
    async for number in aticks(count, interval):
        await connection.send(line(number).rstrip("\n"))
    await connection.close(1000)


async def main(port: int) -> None:
    async with serve(ticks, "127.0.0.1", port, process_request=healthz) as server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
