"""Floods of requests for the page, from clients that each pipeline five requests and
never read. The page is rendered once and its bytes are shared, so a thousand such
clients cost the server what aiohttp's own handling of the requests costs; and every
answer takes its turn with the streams, so even pages that must be rendered (a distinct
`?stream=` each) leave the loop to everyone else.

Before (each request rendered the page, ~2.4 ms of CPU, and each answer was a copy of
it): with a thousand such clients a client connected beforehand waited 3-4.5 s for
/healthz, a new one more than 10 s, and the server grew by 115-145 MiB.
"""

from __future__ import annotations

import asyncio
import resource
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest

from app.server.page import MAX_STREAM_PAGE_BYTES
from tests.machine import Preemption
from tests.processes import ServerProcess, rss_kib
from tests.rawclients import CLIENT_RCVBUF, get_request

NON_READERS = 1000
PIPELINED = 5
#: The longest a client connected beforehand may wait for /healthz, at a whole core: twice
#: test_abuse_work.py's bound, as there for thousands of sockets opened at once; scaled by
#: the share of one the machine gave meanwhile (tests/machine.py).
MAX_LATENCY = 0.2
#: A client that connects once the flood is queued waits for every connection queued
#: before it to be accepted, one per pass of the loop, so for most of their answers too:
#: this much per answer at a whole core. From memory one takes ~0.13 ms, about what
#: aiohttp takes for any request; rendered, it took 2.4 ms.
MAX_SECONDS_PER_QUEUED_ANSWER = 0.0005
#: What each client that does not read may add to the server's memory: the connection's
#: own objects (~10-15 KiB), not the ~110 KB page.
MAX_BYTES_PER_NON_READER = 32 * 1024
#: Clients asking for pages of their own: each answer is a render, ~2.4 ms.
RENDERING_NON_READERS = 200


async def _pipeline_and_never_read(port: int, requests: bytes) -> socket.socket:
    """A raw socket, not an asyncio stream: a stream's transport would read on its own."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, CLIENT_RCVBUF)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", port))
    await loop.sock_sendall(sock, requests)
    return sock


async def _answered(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> float:
    """Ask for /healthz on an open connection; seconds until the whole answer came."""
    started = time.monotonic()
    writer.write(get_request("/healthz"))
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    await reader.readexactly(length)
    return time.monotonic() - started


async def _new_client_latency(port: int, within: float) -> float:
    """Connect and ask for /healthz, waiting to be accepted included; infinite past `within`."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await asyncio.wait_for(_answered(reader, writer), within)
    except TimeoutError:
        return float("inf")
    finally:
        writer.close()
    return time.monotonic() - started


class Watch:
    """/healthz over a connection opened beforehand, and the server's memory, sampled
    until something else is done."""

    def __init__(self, server: ServerProcess, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server, self.reader, self.writer = server, reader, writer
        self.worst = 0.0
        self.peak_kib = rss_kib(server.pid)

    async def until(self, task: asyncio.Future[Any]) -> None:
        while not task.done():
            self.worst = max(self.worst, await asyncio.wait_for(_answered(self.reader, self.writer), 30))
            self.peak_kib = max(self.peak_kib, rss_kib(self.server.pid))
            await asyncio.sleep(0.02)


@dataclass
class Flooded:
    new_client: float
    worst: float
    grown: int
    machine: Preemption

    def __str__(self) -> str:
        return (
            f"a new client's /healthz {self.new_client:.3f} s, a connected one's worst {self.worst * 1000:.1f} ms, "
            f"RSS +{self.grown / 2**20:.1f} MiB; {self.machine}"
        )


async def flood(server: ServerProcess, requests: list[bytes]) -> Flooded:
    """One client per entry of `requests` sends it and reads nothing; meanwhile a client
    connected beforehand asks for /healthz until a new one has been answered, and a second
    longer."""
    if not _enough_descriptors(len(requests) + 200):
        pytest.skip(f"this test opens {len(requests)} sockets: raise ulimit -n")
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    await _answered(reader, writer)
    watch = Watch(server, reader, writer)
    started_kib = watch.peak_kib
    # Opened before measuring: opening them is the test's own work, in this loop.
    flooders = await asyncio.gather(*(_pipeline_and_never_read(server.port, sent) for sent in requests))
    with Preemption() as machine:
        new_client = asyncio.ensure_future(_new_client_latency(server.port, within=10))
        await watch.until(new_client)
        await watch.until(asyncio.ensure_future(asyncio.sleep(1.0)))
    for flooder in flooders:
        flooder.close()
    writer.close()
    return Flooded(new_client.result(), watch.worst, (watch.peak_kib - started_kib) * 1024, machine)


def _enough_descriptors(needed: int) -> bool:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < needed <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= needed


async def test_clients_pipelining_the_page_and_never_reading_leave_the_server_to_others(
    app_process: ServerProcess,
) -> None:
    flooded = await flood(app_process, [get_request("/") * PIPELINED] * NON_READERS)
    print(f"{NON_READERS} clients pipelining {PIPELINED} page requests, never reading: {flooded}")
    assert flooded.worst < flooded.machine.allows(MAX_LATENCY)
    assert flooded.new_client < flooded.machine.allows(NON_READERS * PIPELINED * MAX_SECONDS_PER_QUEUED_ANSWER)
    assert flooded.grown < NON_READERS * MAX_BYTES_PER_NON_READER


def _own_pages(client: int) -> bytes:
    urls = (f"http://a.test/{client}/{number}" for number in range(PIPELINED))
    return b"".join(get_request(f"/?stream={quote(url, safe='')}") for url in urls)


async def test_pages_that_must_each_be_rendered_take_their_turns(app_process: ServerProcess) -> None:
    # Without turns, every answer ready in a pass of the loop ran in it: here 1.4-1.8 s.
    flooded = await flood(app_process, [_own_pages(client) for client in range(RENDERING_NON_READERS)])
    print(f"{RENDERING_NON_READERS} clients pipelining {PIPELINED} distinct pages, never reading: {flooded}")
    assert flooded.worst < flooded.machine.allows(MAX_LATENCY)
    assert flooded.grown < MAX_STREAM_PAGE_BYTES + RENDERING_NON_READERS * MAX_BYTES_PER_NON_READER
