"""`diagnose --from FILE`: many streams checked at once, a fleet of endpoints, each with its
own expectation. Reading the file is pure; the checks run with bounded concurrency.

A line is `[NAME=]URL [VERDICT]`: a blank line or one starting with `#` is skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ...targets import split_target
from ..options import UsageError
from .verdict import Verdict

#: The most targets one file may list, and how many are checked at once.
MAX_TARGETS = 1000
CONCURRENT = 8
VERDICTS = tuple(verdict.value for verdict in Verdict)

T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    name: str | None
    url: str
    expect: str | None
    line: int


def parse(text: str, source: str) -> list[Target]:
    """The targets a file lists; UsageError naming the line for one it cannot read."""
    targets = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split()
        if len(words) > 2 or (len(words) == 2 and words[1] not in VERDICTS):
            raise UsageError(f"{source}:{number}: a line is [NAME=]URL [VERDICT] (one of {', '.join(VERDICTS)})")
        name, url = split_target(words[0])
        targets.append(Target(name, url, words[1] if len(words) == 2 else None, number))
    if not targets:
        raise UsageError(f"{source}: no URL to check")
    if len(targets) > MAX_TARGETS:
        raise UsageError(f"{source}: {len(targets)} URLs, over the {MAX_TARGETS} one run may check")
    return targets


def read(path: Path) -> list[Target]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"--from {path}: {getattr(error, 'strerror', None) or error}") from None
    return parse(text, str(path))


async def bounded(jobs: Sequence[Callable[[], Awaitable[T]]], at_once: int = CONCURRENT) -> list[T]:
    """Each job's result, in order, no more than `at_once` running at a time."""
    gate = asyncio.Semaphore(at_once)

    async def run(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(run(job) for job in jobs)))
