"""The bench extra: the baselines' packages (aiohttp-sse, starlette, uvicorn, httptools,
uvloop), which a plain install leaves out."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ..exits import EXIT_FAILED

INSTALL = "pip install 'transport-lab[bench]'"


def not_installed(missing: Sequence[str]) -> str:
    """Why a baseline was skipped, and how to have it."""
    return f"not installed: {', '.join(missing)} (install the bench extra: {INSTALL})"


@contextmanager
def bench_extra(prog: str) -> Iterator[None]:
    """Around a baseline's imports: a missing package is one line and a failure status, not
    a traceback."""
    try:
        yield
    except ModuleNotFoundError as error:
        package = (error.name or "a package").partition(".")[0]
        print(f"{prog}: {package} is not installed: {INSTALL}", file=sys.stderr)
        raise SystemExit(EXIT_FAILED) from None
