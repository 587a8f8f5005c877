"""The event loop's lag is sampled all the time and reported by /healthz, so a pause that
holds every stream (a collector's, a slow callback) can be seen from outside."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web
from aiohttp.test_utils import TestClient

from app.server.lag import SAMPLE_SECONDS, LoopLag


def test_each_second_keeps_its_worst_lag() -> None:
    lag = LoopLag()
    per_second = round(1 / SAMPLE_SECONDS)
    for value in [1.0] * (per_second - 1) + [40.0]:
        lag.note(value)
    for _ in range(per_second):
        lag.note(2.0)
    assert list(lag.seconds) == [40.0, 2.0]
    assert lag.snapshot() == {"last_second_ms": 2.0, "last_minute_ms": 40.0, "worst_ms": 40.0}


async def test_a_pause_of_the_loop_shows_in_healthz(client: TestClient[web.Request, None]) -> None:
    async with client.get("/healthz") as response:
        before = (await response.json())["loop_lag"]
    assert before["worst_ms"] < 200
    time.sleep(0.3)  # noqa: ASYNC251 - the stimulus: this test's loop is the server's loop
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while loop.time() < deadline:
        async with client.get("/healthz") as response:
            after = (await response.json())["loop_lag"]
        if after["last_minute_ms"] >= 250:
            break
        await asyncio.sleep(0.1)
    assert after["worst_ms"] >= 250 and after["last_minute_ms"] >= 250
