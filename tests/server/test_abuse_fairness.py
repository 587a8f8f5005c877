"""One greedy client cannot take the server from everyone else: a stream sent as fast
as possible to a reader that keeps up must still let other requests be served, whatever
its interval (0, or so small that every deadline has passed before it is looked at).
"""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.helpers import STREAMING_ENDPOINTS
from tests.machine import Preemption
from tests.processes import ServerProcess, require_tool

#: How long another client may wait for /healthz while a greedy stream runs, at a whole core;
#: scaled by the share of one the machine gave meanwhile (tests/machine.py).
MAX_LATENCY_SECONDS = 0.5


def _healthz_latency(server: ServerProcess) -> float:
    """Seconds /healthz takes to answer; infinite past many times the allowed latency."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(server.make_url("/healthz"), timeout=20 * MAX_LATENCY_SECONDS) as response:
            response.read()
    except OSError:  # timed out
        return float("inf")
    return time.monotonic() - started


@contextmanager
def greedy_readers(server: ServerProcess, paths: list[str]) -> Iterator[None]:
    """curl reading each of `paths` as fast as it comes, until the block ends."""
    curl = require_tool("curl", "apt-get install curl")
    readers = [
        subprocess.Popen([curl, "-s", "-o", "/dev/null", server.make_url(path)], stdout=subprocess.DEVNULL)
        for path in paths
    ]
    try:
        time.sleep(0.3)  # let the streams get going before measuring others
        assert all(reader.poll() is None for reader in readers), "a greedy stream ended before it could be measured"
        yield
    finally:
        for reader in readers:
            reader.kill()
            reader.wait(timeout=5)


def healthz_is_prompt(server: ServerProcess) -> bool:
    """Three /healthz round trips, each within the limit (stopping at the first that is not)."""
    latencies: list[float] = []
    with Preemption() as machine:
        while len(latencies) < 3 and max(latencies, default=0) < MAX_LATENCY_SECONDS:
            latencies.append(_healthz_latency(server))
    print(f"/healthz latency during greedy streams: {[round(latency, 3) for latency in latencies]} s; {machine}")
    return max(latencies) < machine.allows(MAX_LATENCY_SECONDS)


def test_a_greedy_fast_stream_does_not_starve_other_clients(app_process: ServerProcess) -> None:
    # A million small messages, read by curl as fast as they come: ~10 s of writing.
    with greedy_readers(app_process, ["/chunked?count=1000000&interval=0"]):
        assert healthz_is_prompt(app_process)


@pytest.mark.parametrize("interval", ["1e-9", "0.000001", "0.0001"])
def test_greedy_streams_at_tiny_intervals_do_not_starve_other_clients(
    app_process: ServerProcess, interval: str
) -> None:
    # Every deadline of these schedules has passed by the time the stream looks at it.
    paths = [f"/chunked?count=1000000&interval={interval}"] * 3
    with greedy_readers(app_process, paths):
        assert healthz_is_prompt(app_process)


def test_greedy_streams_of_every_kind_do_not_starve_other_clients(app_process: ServerProcess) -> None:
    paths = [f"{endpoint.path}?count=1000000&interval=1e-9" for endpoint in STREAMING_ENDPOINTS]
    with greedy_readers(app_process, paths):
        assert healthz_is_prompt(app_process)
