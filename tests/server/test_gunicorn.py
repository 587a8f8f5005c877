"""Several cores: gunicorn with the project's worker, two workers, streams from both."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.nginx import DEPLOY_DOC
from tests.processes import ServerProcess, children, free_port, run_server, socket_owner, stop

if importlib.util.find_spec("gunicorn") is None:
    if os.environ.get("CI") == "true":
        pytest.fail("gunicorn is not installed, but CI must run the gunicorn tests", pytrace=False)
    pytest.skip("gunicorn is the optional `deploy` extra", allow_module_level=True)

#: Set through the environment, as an operator would: each worker must read it.
MAX_STREAMS = 50
WORKERS = 2


def documented_command() -> list[str]:
    """The gunicorn command of docs/deploy.md, as a shell would split it."""
    blocks = re.findall(r"^```sh\n(.*?)^```", DEPLOY_DOC.read_text(), flags=re.MULTILINE | re.DOTALL)
    lines = [block.replace("\\\n", " ") for block in blocks]
    commands = [line for block in lines for line in block.splitlines() if line.startswith("gunicorn ")]
    assert len(commands) == 1, "docs/deploy.md must show one gunicorn command"
    return shlex.split(commands[0])


def _option(command: list[str], name: str) -> str:
    assert name in command, f"the documented gunicorn command has no {name}"
    return command[command.index(name) + 1]


GRACEFUL_TIMEOUT = float(_option(documented_command(), "--graceful-timeout"))


def gunicorn_command(port: int, tmp_path: Path) -> list[str]:
    """The command of docs/deploy.md, with two workers on a loopback test port."""
    command = documented_command()
    command[command.index("--workers") + 1] = str(WORKERS)
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    # gunicorn >= 24 opens a control socket under ~/.gunicorn, shared by every gunicorn of
    # the user; a config file turns it off (older versions ignore settings they lack).
    config = tmp_path / "gunicorn.conf.py"
    config.write_text("control_socket_disable = True\n")
    return [sys.executable, "-m", "gunicorn", "--config", str(config), *command[1:]]


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[ServerProcess]:
    port = free_port()
    env = {"TRANSPORT_LAB_MAX_STREAMS": str(MAX_STREAMS)}
    with run_server(gunicorn_command(port, tmp_path), port, tmp_path / "gunicorn.log", env) as server:
        deadline = time.monotonic() + 10
        while len(children(server.pid)) < WORKERS and time.monotonic() < deadline:
            time.sleep(0.05)
        yield server
    log = (tmp_path / "gunicorn.log").read_text(errors="replace")
    assert "Traceback" not in log and "[ERROR]" not in log, log


def _client_port(response: aiohttp.ClientResponse) -> int:
    assert response.connection is not None and response.connection.transport is not None
    return int(response.connection.transport.get_extra_info("sockname")[1])


async def _serving_worker(server: ServerProcess, response: aiohttp.ClientResponse) -> int:
    """The PID of the worker holding this response's connection (read from /proc)."""
    owner = socket_owner(server.port, _client_port(response), children(server.pid))
    assert owner is not None
    return owner


async def _open_streams_on_every_worker(
    server: ServerProcess, session: aiohttp.ClientSession, path: str
) -> dict[int, aiohttp.ClientResponse]:
    """Open streams (kept open) until every worker serves one; bounded in number."""
    workers = set(children(server.pid))
    assert len(workers) == WORKERS
    by_worker: dict[int, aiohttp.ClientResponse] = {}
    extra: list[aiohttp.ClientResponse] = []
    for _ in range(60):
        response = await session.get(server.make_url(path))
        await response.content.readline()
        pid = await _serving_worker(server, response)
        if pid in by_worker:
            extra.append(response)
        else:
            by_worker[pid] = response
        if set(by_worker) == workers:
            break
        await asyncio.sleep(0.01)
    for response in extra:
        response.close()
    return by_worker


async def test_two_workers_both_stream(gunicorn: ServerProcess) -> None:
    connector = aiohttp.TCPConnector(force_close=True, limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        streams = await _open_streams_on_every_worker(gunicorn, session, "/chunked?count=4&interval=0.3")
        assert set(streams) == set(children(gunicorn.pid)), "every worker serves a stream"
        rests = await asyncio.gather(*(response.read() for response in streams.values()))
    assert all(rest == b"Chunk 1\nChunk 2\nChunk 3\n" for rest in rests)


async def _healthz_from(server: ServerProcess) -> tuple[int, dict[str, object]]:
    """/healthz on a new connection, and the PID of the worker that answered it.

    The request is sent in two halves, so the worker has accepted the connection (and
    /proc shows whose it is) before it answers and closes it.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        await writer.drain()
        client_port = writer.get_extra_info("sockname")[1]
        owner = None
        deadline = time.monotonic() + 2
        while owner is None and time.monotonic() < deadline:
            owner = socket_owner(server.port, client_port, children(server.pid))
            await asyncio.sleep(0.005)
        assert owner is not None
        writer.write(b"Connection: close\r\n\r\n")
        answer = await asyncio.wait_for(reader.read(), 5)
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    return owner, json.loads(body)


async def test_worker_cancels_the_handler_of_a_client_that_left(gunicorn: ServerProcess) -> None:
    """The next write would come 30 s later; the stream must end as soon as the client goes."""
    async with aiohttp.ClientSession() as session:
        response = await session.get(gunicorn.make_url("/chunked?count=2&interval=30"))
        await response.content.readline()
        worker = await _serving_worker(gunicorn, response)
        response.close()
    deadline = time.monotonic() + 5
    health: dict[str, object] | None = None
    while time.monotonic() < deadline:
        owner, answer = await _healthz_from(gunicorn)
        if owner == worker:
            health = answer
            if health["active_streams"] == 0:
                break
    assert health is not None, "the worker that served the stream never answered /healthz"
    assert health["active_streams"] == 0
    assert health["max_streams"] == MAX_STREAMS
    assert health["streams_ended"] == {**health["streams_ended"], "client gone": 1}


async def all_workers_serving(server: ServerProcess, within: float = 15.0) -> None:
    """Until every worker has answered /healthz: a worker still booting when SIGTERM comes
    handles it only once booted, and gunicorn then waits out its whole graceful timeout."""
    answered: set[int] = set()
    deadline = time.monotonic() + within
    while len(answered) < WORKERS and time.monotonic() < deadline:
        answered.add((await _healthz_from(server))[0])
    assert len(answered) == WORKERS, f"only workers {answered} answered within {within} s"


async def test_sigterm_closes_websockets_with_1001_and_gunicorn_exits(tmp_path: Path) -> None:
    port = free_port()
    command = gunicorn_command(port, tmp_path)
    async with aiohttp.ClientSession() as session:
        with run_server(command, port, tmp_path / "gunicorn.log") as server:
            await all_workers_serving(server)
            ws = await session.ws_connect(server.make_url("/ws?count=100&interval=30"))
            assert (await ws.receive_str(timeout=5)) == "WebSocket message 0"
            # Read on, as every real client does, so the close handshake can complete.
            closing = asyncio.ensure_future(ws.receive(timeout=GRACEFUL_TIMEOUT + 5))
            started = time.monotonic()
            exit_code = await asyncio.to_thread(stop, server.process)
            elapsed = time.monotonic() - started
            close = await closing
    assert close.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert ws.close_code == 1001
    assert exit_code == 0
    assert elapsed < GRACEFUL_TIMEOUT
