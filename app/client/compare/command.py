"""`transport-lab compare`: the transports side by side in a terminal.

Every chosen endpoint is opened at the same instant with the same parameters; each
message is printed the moment it is complete, interleaved, then a summary table. `--via`
puts a culprit (gzip, a buffering proxy) in front of a stream, shown beside the healthy
one; `--drop` has the server cut each connection after N messages.
Exit status: 0 all streams complete, 1 a stream was refused or failed, 2 bad usage
(an unknown endpoint, a URL that is not http:// or https://), 3 the server could not be
reached, 5 a stream not over within --timeout, 7 a stream stopped by a size bound (its
bytes, what it decodes to, or one of its messages: a WebSocket's too), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

import aiohttp

from ...culprits import CULPRITS
from ...endpoints import ENDPOINTS, ENDPOINTS_BY_NAME, Endpoint
from ...exits import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TIMEOUT, EXIT_TOO_LARGE, EXIT_UNREACHABLE, EXIT_USAGE
from ...params import BOUNDS
from ...wire.errors import TooLarge
from ..options import (
    EXIT_HELP,
    Unreachable,
    UsageError,
    add_size_options,
    add_stream_options,
    add_timeout_option,
    as_typed,
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
from .document import KEPT_MESSAGES, KeptMessages
from .model import Context, Message, StreamCut, StreamError, StreamResult, new_result
from .plan import PlanError, drop_applies, plan_streams, via_applies
from .readers import read_stream
from .reconnection import DEFAULT_RETRY_MS, GaveUp
from .report import message_line, note_line, result_document, summary_table

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_UNREACHABLE", "EXIT_USAGE", "main"]

PROG = "transport-lab compare"


def build_parser() -> argparse.ArgumentParser:
    names = ", ".join(endpoint.name for endpoint in ENDPOINTS)
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Open several Transport Lab endpoints at once and print every message as it arrives.",
        epilog=EXIT_HELP,
    )
    parser.add_argument(
        "--endpoints",
        help=f"comma-separated names, or all (the default; with --via or --drop, those they apply to): {names}",
    )
    add_stream_options(parser, stamp=True)
    add_timeout_option(parser)
    add_size_options(parser, "bytes of each stream read from the wire at most (SSE: all its connections together)")
    add_culprit_options(parser)
    parser.add_argument("--upper", action="store_true", help="upper-case each message as it arrives (processing)")
    parser.add_argument(
        "--json",
        action="store_true",
        help=f"print the result as JSON at the end, nothing else: every figure, and each stream's first "
        f"{KEPT_MESSAGES} messages (its messages_not_kept counts the rest)",
    )
    return parser


def add_culprit_options(parser: argparse.ArgumentParser) -> None:
    takes_via = ", ".join(endpoint.name for endpoint in ENDPOINTS if via_applies(endpoint))
    takes_drop = ", ".join(endpoint.name for endpoint in ENDPOINTS if drop_applies(endpoint))
    parser.add_argument(
        "--via",
        action="append",
        default=[],
        choices=[culprit.name for culprit in CULPRITS],
        metavar="CULPRIT",
        help="also open each endpoint through a culprit, beside the healthy one (`chunked` and `chunked via gzip`); "
        + "; ".join(f"{culprit.name}: {culprit.cause.split(':')[0]}" for culprit in CULPRITS)
        + f". Repeatable. Applies to {takes_via}",
    )
    parser.add_argument(
        "--drop",
        type=as_typed(int),
        metavar="N",
        help=f"the server cuts each connection after N messages ({BOUNDS['drop'].between()}): an HTTP body "
        "ends cut short (exit 1), a WebSocket closes with 1006, SSE reconnects as EventSource does and still "
        f"gets every message once. Applies to {takes_drop}",
    )


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
    try:
        plans = plan_streams(resolve(args.endpoints or "all"), chosen, args.via, args.drop)
    except PlanError as error:
        raise UsageError(str(error)) from None
    common = query_of(args)
    return [
        new_result(plan.endpoint, stream_url(base, plan.endpoint, plan.query(common)), plan.label, plan.via, plan.drop)
        for plan in plans
    ]


def timeout_of(args: argparse.Namespace, results: list[StreamResult]) -> float:
    """--timeout, or the longest stream's length and a margin; with --drop, SSE's waits
    between its connections (EventSource's reconnection time, one per cut) besides."""
    endpoints = [ENDPOINTS_BY_NAME[result.endpoint] for result in results]
    count = int(args.count) if args.count else max(endpoint.defaults.count for endpoint in endpoints)
    drop = int(args.drop) if args.drop else 0
    reconnections = abs(count) // drop * DEFAULT_RETRY_MS / 1000 if drop > 0 else 0.0
    return run_timeout(args, endpoints, reconnections)


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
