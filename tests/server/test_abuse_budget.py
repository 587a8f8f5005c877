"""Hundreds of clients that never read cannot exhaust the server: every stream, buffered
bodies included, holds its share of one memory budget until its last byte is written or
its client is gone, and past the budget new streams get 503 with Retry-After.

The server is a separate process with the default settings, whose RSS must stay under
512 MB whatever these clients do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import HTTP_ENDPOINTS
from tests.processes import ServerProcess, app_server
from tests.rawclients import (
    ask_and_never_read,
    healthz,
    logged_errors,
    mib_messages,
    peak_rss_kib,
    wait_for_idle,
)

CLIENTS = 200
RSS_LIMIT_KIB = 512 * 1000 * 1000 // 1024
HOLD_SECONDS = 1.5


@pytest.fixture(scope="module")
def server_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("budget")


@pytest.fixture(scope="module")
def server(server_dir: Path) -> Iterator[ServerProcess]:
    with app_server(server_dir) as process:
        yield process


@pytest.mark.parametrize("endpoint", [*HTTP_ENDPOINTS, "ws"], ids=lambda e: e if isinstance(e, str) else e.name)
async def test_clients_that_never_read_stay_within_the_memory_budget(server: ServerProcess, endpoint: object) -> None:
    assert await wait_for_idle(server, within=30) == 0
    path = mib_messages(endpoint, 3000)
    clients = await asyncio.gather(*(ask_and_never_read(server.port, path) for _ in range(CLIENTS)))
    try:
        peak = await peak_rss_kib(server, HOLD_SECONDS)
        health = healthz(server)
    finally:
        for _, writer in clients:
            writer.transport.abort()
    statuses = [head.split(b" ", 2)[1].decode() for head, _ in clients]
    served, refused = statuses.count("200") + statuses.count("101"), statuses.count("503")
    refusals = [head for head, _ in clients if b" 503 " in head.split(b"\r\n")[0]]
    print(f"{path}: {served} served, {refused} refused (503), peak RSS {peak // 1024} MiB, {health}")
    assert served + refused == CLIENTS
    assert served >= 1
    assert all(b"\r\nRetry-After: " in head for head in refusals)
    assert health["reserved_bytes"] <= health["memory_budget_bytes"]
    assert peak < RSS_LIMIT_KIB


def test_budget_refusals_are_not_errors(server: ServerProcess, server_dir: Path) -> None:
    assert logged_errors(server_dir) == []
