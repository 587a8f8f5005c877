"""Turns and shares of the event loop (app/server/fairness.py), on a real loop: busy work
is handed the loop in order and in small batches, and capped work stays within its share."""

from __future__ import annotations

import asyncio
import time

from app.server.fairness import PASS_SECONDS, SLICE_SECONDS, LoopShare, Turn, Turns


def spin(seconds: float) -> None:
    """Hold the loop, as a stream's work does."""
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


async def test_a_turn_is_over_after_a_slice_of_work_without_a_wait() -> None:
    turn = Turn()
    assert not turn.over()
    spin(SLICE_SECONDS)
    assert turn.over()


async def test_a_wait_starts_the_slice_again() -> None:
    turn = Turn()
    spin(SLICE_SECONDS)
    await asyncio.sleep(0)  # the stream gave the loop back (a drain, a pause)
    assert not turn.over()


async def test_turns_come_in_order_of_arrival() -> None:
    turns, order = Turns(), []

    async def stream(name: int) -> None:
        await turns.next(Turn())
        order.append(name)

    await asyncio.gather(*(stream(name) for name in range(50)))
    assert order == list(range(50))


async def test_cheap_turns_come_many_to_a_pass_and_busy_ones_few() -> None:
    async def passes_for(work: float, streams: int) -> int:
        """How many passes of the loop `streams` turns of `work` seconds each took."""
        turns, passes, done = Turns(), 0, asyncio.Event()

        async def count_passes() -> None:
            nonlocal passes
            while not done.is_set():
                passes += 1
                await asyncio.sleep(0)

        async def stream() -> None:
            await turns.next(Turn())
            spin(work)

        counter = asyncio.ensure_future(count_passes())
        await asyncio.gather(*(stream() for _ in range(streams)))
        done.set()
        await counter
        return passes

    # A thousand streams that each send one small message start within a few dozen passes...
    assert await passes_for(0.0, 1000) < 100
    # ... and streams with a slice of work each get about one pass each: the loop's other
    # work never waits for more than a few of them.
    busy = 20
    assert await passes_for(PASS_SECONDS, busy) >= busy * 0.8


async def test_a_stream_that_leaves_while_waiting_does_not_hold_the_others() -> None:
    turns = Turns()
    leaving = [asyncio.ensure_future(turns.next(Turn())) for _ in range(3)]
    staying = asyncio.ensure_future(turns.next(Turn()))
    for task in leaving:
        task.cancel()
    await asyncio.wait_for(staying, 1)


async def test_work_within_a_share_runs_no_faster_than_its_share() -> None:
    share = LoopShare(share=0.2, burst=0.002)
    worked, started = 0.0, time.perf_counter()
    while time.perf_counter() - started < 0.5:
        if share.spent():
            await share.wait()
        spin(0.001)
        share.charge(0.001)
        worked += 0.001
    wall = time.perf_counter() - started
    # At most its share (and the burst); a busy machine may give it less, never more.
    assert 0.05 < worked / wall < 0.2 + 0.05


async def test_waiters_for_a_share_take_turns_in_order() -> None:
    share, order, gate = LoopShare(share=0.5, burst=0.001), [], asyncio.Event()

    async def worker(name: int) -> None:
        await gate.wait()
        for _ in range(3):
            if share.spent():
                await share.wait()
            spin(0.002)  # more than the burst: every piece waits for the share after it
            share.charge(0.002)
            order.append(name)

    workers = asyncio.gather(*(worker(name) for name in range(4)))
    await asyncio.sleep(0)
    gate.set()
    await workers
    # Worker 0 ran its first piece before the others asked; from then on, round and round:
    # nobody runs again while another waits for as many turns as it has had.
    assert order == [0, 0, 1, 2, 3, 0, 1, 2, 3, 1, 2, 3]


async def test_an_open_share_lets_everyone_through_at_once() -> None:
    share = LoopShare(share=0.01, burst=0.0)
    share.charge(1.0)  # a hundred seconds to wait at this share
    waiters = [asyncio.ensure_future(share.wait()) for _ in range(5)]
    await asyncio.sleep(0)
    share.open()
    await asyncio.wait_for(asyncio.gather(*waiters), 1)
    assert not share.spent()
