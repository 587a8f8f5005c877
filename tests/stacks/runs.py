"""diagnose run several times against one subject, in-process or as the command, beside the
ground truth, and what is asserted of those runs: the same verdict and causes every time.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypeVar

from app.client.diagnose.fetch import Ask, exchange
from app.client.diagnose.report import Diagnosis
from tests.processes import PROJECT_ROOT
from tests.stacks.trace import Trace, curl_trace

#: The same verdict this many times in a row, or it flips on jitter (issue #21).
RUNS = 5
#: Seconds between the starts of measure_all's jobs.
STAGGER = 0.08
#: What measure_all's jobs give: a Measured, or any dataclass with a `loop_lag_ms` field.
M = TypeVar("M")


async def diagnose(url: str, **ask: object) -> Diagnosis:
    """diagnose in-process, as `transport-lab diagnose URL` runs it."""
    return Diagnosis.of(await exchange(Ask(url, **ask)))  # type: ignore[arg-type]


async def diagnose_runs(url: str, runs: int = RUNS, concurrently: bool = True, **ask: object) -> list[Diagnosis]:
    """diagnose `runs` times: all at once, or one after another for a subject that serves one at a time."""
    if concurrently:
        return list(await asyncio.gather(*(diagnose(url, **ask) for _ in range(runs))))
    return [await diagnose(url, **ask) for _ in range(runs)]


@dataclass(frozen=True)
class CommandRun:
    """`transport-lab diagnose --json URL` run as a user runs it."""

    exit_code: int
    #: The printed JSON object (None when nothing was printed on stdout).
    report: dict[str, object] | None
    stderr: str

    @property
    def verdict(self) -> object:
        return None if self.report is None else self.report.get("verdict")


async def diagnose_command(url: str, *options: str, within: float = 30.0) -> CommandRun:
    """The command in its own process (`python -m app diagnose --json OPTIONS URL`)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "app", "diagnose", "--json", *options, url,
        cwd=PROJECT_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), within)
    report = json.loads(stdout) if stdout.strip() else None
    return CommandRun(process.returncode or 0, report, stderr.decode(errors="replace"))


@dataclass(frozen=True)
class Measured:
    """One subject measured: the ground truth and diagnose's runs, taken at the same time."""

    truth: Trace
    #: diagnose in-process (`Diagnosis.of(await exchange(Ask(url)))`), RUNS times.
    runs: list[Diagnosis]
    #: What the first request saw, when a request had to come first (a cache's miss).
    warmup: Trace | None = None
    #: The command itself, RUNS times, when its exit status and output are what is pinned.
    commands: list[CommandRun] = field(default_factory=list)
    #: The longest this process's event loop woke late while measuring (measure_all sets it).
    loop_lag_ms: float = 0.0

    def conditions(self) -> str:
        """What a failure message should say of the measuring client's own conditions."""
        lag = self.loop_lag_ms
        starved = " (starved of the CPU: a busy machine joins and delays what a client reads)" if lag > 50 else ""
        return f"diagnose's event loop woke up to {lag:.0f} ms late while it read{starved}"


async def measure(
    url: str,
    headers: Sequence[tuple[str, str]] = (),
    warm: bool = False,
    concurrently: bool = True,
    command: bool = False,
) -> Measured:
    """curl's trace and RUNS diagnoses of `url` at once (after one curl first if `warm`),
    in-process, or as the command in its own process if `command`. `headers` go to curl
    only: diagnose sends its own (it asks for gzip, as browsers do)."""
    warmup = await curl_trace(url, headers) if warm else None
    if command:
        truth, commands = await asyncio.gather(
            curl_trace(url, headers), asyncio.gather(*(diagnose_command(url) for _ in range(RUNS)))
        )
        return Measured(truth, [], warmup, list(commands))
    truth, runs = await asyncio.gather(curl_trace(url, headers), diagnose_runs(url, concurrently=concurrently))
    return Measured(truth, runs, warmup)


class LoopLag:
    """How late this process's event loop woke up while jobs ran: a client starved of the
    CPU (a busy machine) sees arrivals late and joined, whatever the server did, so a test
    that fails says whether this happened while it measured."""

    def __init__(self, period: float = 0.01) -> None:
        self.period = period
        self.samples: list[tuple[float, float]] = []  # (when, how late), monotonic seconds

    async def watch(self) -> None:
        while True:
            due = time.monotonic() + self.period
            await asyncio.sleep(self.period)
            now = time.monotonic()
            self.samples.append((now, now - due))

    def worst_ms(self, start: float, end: float) -> float:
        return max((late for when, late in self.samples if start <= when <= end), default=0.0) * 1000


def measure_all(
    jobs: Mapping[str, Callable[[], Awaitable[M]]], stagger: float = STAGGER
) -> dict[str, M | BaseException]:
    """Every job, together, in an event loop of its own (call it outside one, e.g. from a
    module-scoped fixture), so a module of many subjects takes about as long as its longest
    stream. Job n starts n * `stagger` seconds after the first: dozens of connections and
    curl processes started in the same instant keep the loop busy for a few hundred ms, and
    diagnose starts its clock once its request is written, so a run's times would shift
    (measured: a head nginx held 452 ms seen at 212 ms). A job that failed gives its
    exception, for its own test to raise."""

    lag = LoopLag()

    async def later(index: int, job: Callable[[], Awaitable[M]]) -> M:
        await asyncio.sleep(index * stagger)
        start = time.monotonic()
        measured = await job()
        return replace(measured, loop_lag_ms=lag.worst_ms(start, time.monotonic()))

    async def everything() -> list[M | BaseException]:
        watching = asyncio.create_task(lag.watch())
        started = (later(index, job) for index, job in enumerate(jobs.values()))
        try:
            return await asyncio.gather(*started, return_exceptions=True)
        finally:
            watching.cancel()

    return dict(zip(jobs, asyncio.run(everything()), strict=True))


def cause_ids(diagnosis: Diagnosis) -> list[str]:
    return [cause.id for cause in diagnosis.causes]


def outcome(diagnosis: Diagnosis) -> tuple[str, list[str]]:
    """(verdict, cause ids): what a subject's expectation pins."""
    return diagnosis.judgement.verdict.value, cause_ids(diagnosis)


def _fits(got: tuple[str, list[str]], verdicts: Collection[str], causes: Sequence[str], also: Collection[str]) -> bool:
    verdict, ids = got
    if not also:
        return verdict in verdicts and ids == list(causes)
    return verdict in verdicts and set(causes) <= set(ids) <= set(causes) | set(also)


def assert_all(
    runs: Sequence[Diagnosis],
    verdict: str | Collection[str],
    causes: Sequence[str],
    truth: Trace | None = None,
    also: Collection[str] = (),
    note: str = "",
) -> None:
    """Every run gives the same outcome, with `verdict` (or one of several allowed) and
    exactly `causes` in that order, or, when `also` names causes a second explanation may
    add, all of `causes` and nothing outside `causes` and `also`, in any order. The message
    shows each run's outcome and reason, the ground truth beside them, and `note`."""
    __tracebackhide__ = True  # pytest shows the test's line, not this helper's
    verdicts = {verdict} if isinstance(verdict, str) else set(verdict)
    seen = [outcome(run) for run in runs]
    if all(_fits(got, verdicts, causes, also) for got in seen) and all(got == seen[0] for got in seen):
        return
    wanted = f"{sorted(verdicts)} with {list(causes)}" + (f" (may add {sorted(also)})" if also else "")
    lines = [f"expected {wanted} in all {len(runs)} runs, the same every time"]
    lines += [f"  run {i}: {got} — {run.judgement.reason}" for i, (got, run) in enumerate(zip(seen, runs, strict=True))]
    if truth is not None:
        lines.append(f"  ground truth {truth.describe()}")
    if note:
        lines.append(f"  {note}")
    raise AssertionError("\n".join(lines))


def assert_consistent(runs: Sequence[Diagnosis], truth: Trace | None = None, note: str = "") -> None:
    """The same verdict and causes in every run, whatever they are: no flipping on jitter."""
    __tracebackhide__ = True
    verdict, causes = outcome(runs[0])
    assert_all(runs, verdict, causes, truth, note=note)
