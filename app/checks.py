"""`diagnose` from Python, and the checks a test pins on a stream: the typed API the command
and the pytest plugin share.

    from transport_lab import check_stream, diagnose

    diagnosis = await diagnose("http://127.0.0.1:8080/sse")          # the result --json prints
    await check_stream(url, first_message_within_ms=200, max_gap_ms=1500)  # AssertionError if not

A failed check says why, in diagnose's terms: the verdict and its reason, the figures, and
each likely cause with its evidence and fix.
"""

from __future__ import annotations

from collections.abc import Sequence

from .client.diagnose.connection import Failure
from .client.diagnose.exchange import Exchange
from .client.diagnose.fetch import Ask, exchange
from .client.diagnose.report import Diagnosis
from .client.diagnose.verdict import Verdict
from .client.options import DEFAULT_TIMEOUT
from .wire.coding import MAX_DECODED
from .wire.sse import MAX_EVENT

__all__ = ["Diagnosis", "Failure", "StreamCheckFailed", "check_stream", "diagnose"]


class StreamCheckFailed(AssertionError):
    """A stream did not do what a check asked of it; the message says what it did and why."""


async def diagnose(
    url: str,
    *,
    method: str = "GET",
    headers: Sequence[tuple[str, str]] = (),
    data: bytes | None = None,
    within: float = DEFAULT_TIMEOUT,
    max_bytes: int = 16 * 1024 * 1024,
    insecure: bool = False,
    max_decoded: int = MAX_DECODED,
    max_message: int = MAX_EVENT,
) -> Diagnosis:
    """What `transport-lab diagnose URL` finds, as the object its --json is made from
    (`.judgement.verdict`, `.causes`, `.metrics`, `.exchange`, `.as_json()`). `within`
    is --timeout: seconds for the whole exchange, a stream still going then judged on what
    arrived.
    Raises Failure (with the command's `exit_code`) when the exchange could not be had."""
    ask = Ask(
        url,
        method,
        tuple(headers),
        data,
        within,
        max_bytes,
        insecure,
        max_decoded=max_decoded,
        max_message=max_message,
    )
    found: Exchange = await exchange(ask)
    return Diagnosis.of(found)


async def check_stream(
    url: str,
    expect: str = Verdict.PROGRESSIVE.value,
    *,
    first_message_within_ms: float | None = None,
    max_gap_ms: float | None = None,
    **options: object,
) -> Diagnosis:
    """Diagnose `url` and fail (StreamCheckFailed, an AssertionError) unless its verdict is
    `expect`, its first message came within `first_message_within_ms` of the request, and no
    gap between messages was over `max_gap_ms`. Returns the diagnosis when it passes."""
    diagnosis = await diagnose(url, **options)  # type: ignore[arg-type]
    problems = problems_of(diagnosis, expect, first_message_within_ms, max_gap_ms)
    if problems:
        raise StreamCheckFailed(explain(url, diagnosis, problems))
    return diagnosis


def problems_of(
    diagnosis: Diagnosis, expect: str, first_message_within_ms: float | None, max_gap_ms: float | None
) -> list[str]:
    verdict, metrics = diagnosis.judgement.verdict.value, diagnosis.metrics
    problems = [] if verdict == expect else [f"expected {expect}, got {verdict}: {diagnosis.judgement.reason}"]
    first = metrics.first_ms if metrics else None
    if first_message_within_ms is not None and (first is None or first > first_message_within_ms):
        shown = "no message" if first is None else f"the first message at {first:.0f} ms"
        problems.append(f"{shown}, not within {first_message_within_ms:g} ms")
    gap = metrics.gaps.max if metrics and metrics.gaps else None
    if max_gap_ms is not None and gap is not None and gap > max_gap_ms:
        problems.append(f"a gap of {gap:.0f} ms between messages, over {max_gap_ms:g} ms")
    return problems


def explain(url: str, diagnosis: Diagnosis, problems: list[str]) -> str:
    lines = [f"{url} did not stream as expected:", *(f"  {problem}" for problem in problems)]
    for finding in diagnosis.causes + diagnosis.warnings:
        lines += [f"  [{finding.id}] {finding.evidence}", f"    fix: {finding.fix}"]
    return "\n".join(lines)
