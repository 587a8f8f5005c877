"""The event loop's lag is sampled all the time and reported by /healthz, so a pause that
holds every stream (a collector's, a slow callback) can be seen from outside; and the
served process keeps the collector's pauses short."""

from __future__ import annotations

import asyncio
import gc
import json
import time
import urllib.request

from aiohttp import web
from aiohttp.test_utils import TestClient

from app.server.lag import SAMPLE_SECONDS, LoopLag
from app.server.memory import (
    FULL_COLLECTION_THRESHOLD,
    MIDDLE_COLLECTION_THRESHOLD,
    YOUNG_COLLECTION_THRESHOLD,
    CollectorPauses,
)
from tests.processes import ServerProcess


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


def test_the_served_process_freezes_startup_and_collects_young_objects_less_often(app_process: ServerProcess) -> None:
    with urllib.request.urlopen(app_process.make_url("/healthz"), timeout=5) as response:
        collector = json.load(response)["collector"]
    assert collector["thresholds"] == [
        YOUNG_COLLECTION_THRESHOLD,
        MIDDLE_COLLECTION_THRESHOLD,
        FULL_COLLECTION_THRESHOLD,
    ]
    # Startup's objects (modules, the app, templates) are out of the collector's reach.
    assert collector["frozen_objects"] > 10_000
    # Its full collections are timed (each one holds every stream).
    assert {"longest_collection_ms", "full_collections", "longest_full_collection_ms"} <= collector.keys()


def test_each_collection_is_timed_and_full_ones_counted() -> None:
    watch = CollectorPauses()
    gc.callbacks.append(watch)
    try:
        gc.collect(0)
        assert watch.full_count == 0 and watch.longest_ms > 0
        gc.collect()
        gc.collect()
    finally:
        gc.callbacks.remove(watch)
    assert watch.full_count == 2
    assert 0 < watch.longest_full_ms <= watch.full_total_ms
    assert watch.longest_ms >= watch.longest_full_ms
