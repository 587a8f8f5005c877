"""`transport-lab compare`: the transports side by side in a terminal.

Every chosen endpoint is opened at the same instant with the same parameters; each
message is printed the moment it is complete, interleaved, then a summary table. `--via`
puts a culprit (a compressor, a buffering proxy) in front of a stream, shown beside the
healthy one; the faults (`--drop`, `--idle`, `--heartbeat`) have the server cut a
connection after N messages or S quiet seconds, or keep it alive.
Exit status: 0 all streams complete, 1 a stream was refused or failed, 2 bad usage
(an unknown endpoint, a URL that is not http:// or https://), 3 the server could not be
reached, 5 a stream not over within --timeout, 7 a stream stopped by a size bound (its
bytes, what it decodes to, or one of its messages: a WebSocket's too), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

import aiohttp

from ...culprits import FAULTS
from ...endpoints import ENDPOINTS, ENDPOINTS_BY_NAME, Endpoint, Framing
from ...exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TIMEOUT, EXIT_TOO_LARGE, EXIT_UNREACHABLE, EXIT_USAGE
from ...params import BOUNDS
from ...wire.errors import TooLarge
from ..options import (
    TIMEOUT_BOUNDS,
    Unreachable,
    UsageError,
    check_url,
    endpoint_named,
    query_of,
    run_command,
    run_timeout,
    stopped,
    stream_url,
    timed_out,
)
from ..terminal import say
from .document import KeptMessages
from .model import Context, Message, StreamCut, StreamError, StreamResult, new_result
from .plan import PlanError, plan_streams
from .readers import read_stream
from .reconnection import DEFAULT_RETRY_MS, MAX_FRUITLESS_CONNECTIONS, GaveUp
from .report import message_line, note_line, result_document, summary_table
from .usage import PROG, build_parser

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_UNREACHABLE", "EXIT_USAGE", "build_parser", "main"]


def resolve(names: str) -> list[Endpoint]:
    if names.strip() == "all":
        return list(ENDPOINTS)
    chosen: list[Endpoint] = []
    for endpoint in (endpoint_named(part.strip()) for part in names.split(",")):
        if endpoint not in chosen:
            chosen.append(endpoint)
    return chosen


@dataclass
class Run:
    """One compare run: its streams and everything that arrived, in arrival order."""

    args: argparse.Namespace
    base: str
    results: list[StreamResult]
    start_epoch_ms: float = 0.0
    now_ms: Callable[[], float] = lambda: 0.0
    #: Seconds every stream has, from the run's start, to end.
    timeout: float = 3600.0
    kept: KeptMessages = field(init=False)  # what --json's document lists

    def __post_init__(self) -> None:
        self.kept = KeptMessages(self.results)

    @property
    def width(self) -> int:
        return max(len(result.stream) for result in self.results)

    def sink(self, message: Message) -> None:
        if self.args.upper:
            message = replace(message, text=message.text.upper())
        if self.args.json:
            self.kept.add(message)  # for the document only: the live view holds nothing it showed
        else:
            say(message_line(message, self.start_epoch_ms, self.width))

    def note(self, stream: str, text: str) -> None:
        if not self.args.json:
            say(note_line(self.now_ms(), stream, text, self.width))


async def read_all(run: Run) -> list[BaseException | StreamResult]:
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        args = run.args
        ctx = Context(
            session,
            run.sink,
            run.note,
            max_bytes=args.max_bytes,
            max_decoded=args.max_decoded_bytes,
            max_message=args.max_message_bytes,
        )
        run.start_epoch_ms = ctx.start_epoch_ms
        run.now_ms = ctx.now_ms
        deadline = asyncio.get_running_loop().time() + run.timeout
        streams = (within(deadline, read_stream(ctx, result)) for result in run.results)
        return await asyncio.gather(*streams, return_exceptions=True)


async def within(deadline: float, reading: Awaitable[StreamResult]) -> StreamResult:
    """A stream read to its end, or TimeoutError at the run's deadline."""
    async with asyncio.timeout_at(deadline):
        return await reading


def settle(run: Run, outcomes: list[BaseException | StreamResult]) -> int:
    """Turn each stream's outcome into the exit status, noting errors on the results."""
    status = 0
    for result, outcome in zip(run.results, outcomes, strict=True):
        if isinstance(outcome, aiohttp.ClientConnectorError):
            raise Unreachable(run.base, outcome.os_error.strerror or str(outcome))
        code = EXIT_FAILED
        if isinstance(outcome, TimeoutError):
            result.error, code = timed_out(run.timeout), EXIT_TIMEOUT
        elif isinstance(outcome, TooLarge):
            result.error, code = stopped(outcome), EXIT_TOO_LARGE
        elif isinstance(outcome, StreamError):
            result.error = f"refused with HTTP {outcome.status}: {outcome.message}"
        elif isinstance(outcome, StreamCut | GaveUp):
            result.error = str(outcome)
        elif isinstance(outcome, BaseException):
            first_line = str(outcome).strip().splitlines()[0] if str(outcome).strip() else ""
            result.error = f"failed: {type(outcome).__name__}: {first_line}"
        if result.error:
            status = status or code
            say(f"{PROG}: {result.stream}: {result.error}", file=sys.stderr)
    return status


def report(run: Run, outcome: str) -> None:
    if run.args.json:
        document = result_document(run.base, query_of(run.args), run.results, run.kept.messages, outcome)
        json.dump(document, sys.stdout, indent=2)  # written as it is encoded, not built whole first
        print()
    else:
        say("", *summary_table(run.results).splitlines())


def plan_results(args: argparse.Namespace, base: str) -> list[StreamResult]:
    """One result per stream to open: the endpoints, and each culprit beside its healthy one."""
    chosen = args.endpoints is not None and args.endpoints.strip() != "all"
    faults = {fault.name: getattr(args, fault.name) for fault in FAULTS}
    try:
        plans = plan_streams(resolve(args.endpoints or "all"), chosen, args.via, faults)
    except PlanError as error:
        raise UsageError(str(error)) from None
    common = query_of(args)
    return [
        new_result(
            plan.endpoint, stream_url(base, plan.endpoint, plan.query(common)), plan.label, plan.via, dict(plan.faults)
        )
        for plan in plans
    ]


def in_bounds(name: str, value: float | str | None) -> float | None:
    """A parameter's value, when the server will take it (else it refuses at once: no
    reconnection to allow for)."""
    try:
        number = float(value) if value is not None else math.nan
    except ValueError:
        return None
    bound = BOUNDS[name]
    return number if bound.minimum <= number <= bound.maximum else None


def sse_waits(args: argparse.Namespace, result: StreamResult) -> float:
    """Seconds one SSE stream may spend between its connections: EventSource's reconnection
    time (DEFAULT_RETRY_MS, the longest it waits) per cut. With --drop, a cut every N
    messages; with --idle, where the server is quiet longer than S between messages (no
    heartbeat sooner), a cut after each message, S waited before it; through a culprit,
    which may hold every message past S, the connections the reader tries before it gives
    up besides."""
    retry = DEFAULT_RETRY_MS / 1000
    endpoint = ENDPOINTS_BY_NAME[result.endpoint]
    count = abs(int(args.count)) if args.count else endpoint.defaults.count
    waits = 0.0
    if (drop := in_bounds("drop", result.drop)) is not None:
        waits += count // int(drop) * retry
    if (idle := in_bounds("idle", result.idle)) is not None:
        interval = in_bounds("interval", args.interval)
        quiet = endpoint.defaults.interval if interval is None else interval
        if (heartbeat := in_bounds("heartbeat", result.heartbeat)) is not None:
            quiet = min(quiet, heartbeat)
        cuts = (MAX_FRUITLESS_CONNECTIONS if result.via else 0) + (count if quiet >= idle else 0)
        waits += cuts * (idle + retry)
    return waits


def reconnection_waits(args: argparse.Namespace, results: list[StreamResult]) -> float:
    """The longest any SSE stream of the run may wait between its connections (they wait
    at the same time), and at most an hour, whatever was asked."""
    waits = [sse_waits(args, result) for result in results if result.shape == Framing.SSE]
    return min(max(waits, default=0.0), TIMEOUT_BOUNDS[1])


def timeout_of(args: argparse.Namespace, results: list[StreamResult]) -> float:
    """--timeout, or the longest stream's length and a margin, and SSE's waits between its
    connections (reconnection_waits) besides."""
    endpoints = [ENDPOINTS_BY_NAME[result.endpoint] for result in results]
    return run_timeout(args, endpoints, reconnection_waits(args, results))


def compare(args: argparse.Namespace) -> int:
    base = check_url(args.url)
    results = plan_results(args, base)
    run = Run(args, base, results, timeout=timeout_of(args, results))
    try:
        outcomes = asyncio.run(read_all(run))
    except KeyboardInterrupt:
        # asyncio.run has cancelled the readers and closed the session: report what came.
        report(run, "interrupted")
        raise
    status = settle(run, outcomes)
    report(run, "complete" if status == 0 else "failed")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(PROG, lambda: compare(args))


if __name__ == "__main__":
    sys.exit(main())
