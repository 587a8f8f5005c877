"""One greedy client cannot take the server from everyone else: a stream sent as fast
as possible to a reader that keeps up must still let other requests be served.
"""

from __future__ import annotations

import subprocess
import time
import urllib.request

from tests.processes import ServerProcess, require_tool

#: How long another client may wait for /healthz while a greedy stream runs.
MAX_LATENCY_SECONDS = 0.5


def _healthz_latency(server: ServerProcess) -> float:
    """Seconds /healthz takes to answer; infinite past a few times the allowed latency."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(server.make_url("/healthz"), timeout=4 * MAX_LATENCY_SECONDS) as response:
            response.read()
    except OSError:  # timed out
        return float("inf")
    return time.monotonic() - started


def test_a_greedy_fast_stream_does_not_starve_other_clients(app_process: ServerProcess) -> None:
    curl = require_tool("curl", "apt-get install curl")
    # A million small messages, read by curl as fast as they come: ~10 s of writing.
    greedy = subprocess.Popen(
        [curl, "-s", "-o", "/dev/null", app_process.make_url("/chunked?count=1000000&interval=0")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.3)  # let the stream get going before measuring others
        assert greedy.poll() is None, "the greedy stream ended before it could be measured"
        latencies: list[float] = []
        while len(latencies) < 3 and max(latencies, default=0) < MAX_LATENCY_SECONDS:
            latencies.append(_healthz_latency(app_process))
    finally:
        greedy.kill()
        greedy.wait(timeout=5)
    print(f"/healthz latency during a greedy stream: {[round(latency, 3) for latency in latencies]} s")
    assert max(latencies) < MAX_LATENCY_SECONDS
