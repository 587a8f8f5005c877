"""`transport-lab compare` / `transport-lab raw`: the transports side by side in a terminal.

Every chosen endpoint is opened at the same instant with the same parameters; each
message is printed the moment it is complete, interleaved, then a summary table.
Exit status: 0 all streams complete, 1 a stream was refused or failed, 2 bad usage
(an unknown endpoint), 3 the server could not be reached, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import aiohttp

from ..endpoints import ENDPOINTS, ENDPOINTS_BY_NAME, Endpoint, Transport
from ..server.settings import DEFAULT_HOST, DEFAULT_PORT
from .model import Context, Message, StreamError, StreamResult, new_result
from .raw import refusal_text, show_raw
from .readers import read_stream
from .report import message_line, result_document, summary_table

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_UNREACHABLE", "EXIT_USAGE", "main"]

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130
DEFAULT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"


class UsageError(Exception):
    """The command line asks for something that does not exist."""


class Unreachable(Exception):
    """No server answered at the URL."""


def build_parser() -> argparse.ArgumentParser:
    names = ", ".join(endpoint.name for endpoint in ENDPOINTS)
    parser = argparse.ArgumentParser(
        prog="transport-lab compare",
        description="Open several Transport Lab endpoints at once and print every message as it arrives.",
        epilog="Exit status: 0 ok, 1 a stream refused or failed, 2 usage, 3 server unreachable, 130 Ctrl-C.",
    )
    parser.add_argument("--url", default=DEFAULT_URL, help=f"server base URL (default {DEFAULT_URL})")
    parser.add_argument("--endpoints", default="all", help=f"comma-separated names, or all (default): {names}")
    parser.add_argument("--count", type=int, help="messages per stream (default: each endpoint's own)")
    parser.add_argument("--interval", type=float, help="seconds between messages (default: each endpoint's own)")
    parser.add_argument("--size", type=int, help="padding bytes per message")
    parser.add_argument(
        "--stamp",
        action=argparse.BooleanOptionalAction,
        help="ask for send stamps, to show each message's delay (default: on for compare, off for --raw)",
    )
    parser.add_argument("--upper", action="store_true", help="upper-case each message as it arrives (processing)")
    parser.add_argument("--json", action="store_true", help="print the whole result as JSON at the end, nothing else")
    parser.add_argument("--raw", metavar="ENDPOINT", help="show the bytes on the wire of one HTTP endpoint instead")
    return parser


def resolve(names: str) -> list[Endpoint]:
    if names.strip() == "all":
        return list(ENDPOINTS)
    chosen: list[Endpoint] = []
    for name in (part.strip() for part in names.split(",")):
        if name not in ENDPOINTS_BY_NAME:
            known = ", ".join(ENDPOINTS_BY_NAME)
            raise UsageError(f"unknown endpoint {name!r}; known: {known}")
        if ENDPOINTS_BY_NAME[name] not in chosen:
            chosen.append(ENDPOINTS_BY_NAME[name])
    return chosen


def query_of(args: argparse.Namespace) -> dict[str, str]:
    """Only what the user gave, so each endpoint keeps its own defaults otherwise."""
    query = {key: str(getattr(args, key)) for key in ("count", "interval", "size") if getattr(args, key) is not None}
    if args.stamp if args.stamp is not None else not args.raw:
        query["stamp"] = "1"
    return query


def stream_url(base: str, endpoint: Endpoint, query: dict[str, str]) -> str:
    if endpoint.transport is Transport.WEBSOCKET:
        base = "ws" + base.removeprefix("http")
    return f"{base}{endpoint.path}" + (f"?{urlencode(query)}" if query else "")


@dataclass
class Run:
    """One compare run: its streams and everything that arrived, in arrival order."""

    args: argparse.Namespace
    base: str
    results: list[StreamResult]
    messages: list[Message] = field(default_factory=list)
    start_epoch_ms: float = 0.0

    def sink(self, message: Message) -> None:
        if self.args.upper:
            message = Message(message.endpoint, message.t_ms, message.text.upper(), message.sent_ms, message.delay_ms)
        self.messages.append(message)
        if not self.args.json:
            width = max(len(result.endpoint) for result in self.results)
            print(message_line(message, self.start_epoch_ms, width), flush=True)


async def read_all(run: Run) -> list[BaseException | StreamResult]:
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=10)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        ctx = Context(session, run.sink)
        run.start_epoch_ms = ctx.start_epoch_ms
        return await asyncio.gather(*(read_stream(ctx, result) for result in run.results), return_exceptions=True)


def settle(run: Run, outcomes: list[BaseException | StreamResult]) -> int:
    """Turn each stream's outcome into the exit status, noting errors on the results."""
    status = 0
    for result, outcome in zip(run.results, outcomes, strict=True):
        if isinstance(outcome, aiohttp.ClientConnectorError):
            raise Unreachable(f"cannot reach the server at {run.base}: {outcome.os_error.strerror or outcome}")
        if isinstance(outcome, StreamError):
            result.error = f"refused with HTTP {outcome.status}: {outcome.message}"
        elif isinstance(outcome, BaseException):
            first_line = str(outcome).strip().splitlines()[0] if str(outcome).strip() else ""
            result.error = f"failed: {type(outcome).__name__}: {first_line}"
        if result.error:
            status = EXIT_FAILED
            print(f"transport-lab compare: {result.endpoint}: {result.error}", file=sys.stderr)
    return status


def report(run: Run, outcome: str) -> None:
    if run.args.json:
        document = result_document(run.base, query_of(run.args), run.results, run.messages, outcome)
        print(json.dumps(document, indent=2))
    else:
        print()
        print(summary_table(run.results))


def compare(args: argparse.Namespace) -> int:
    base = args.url.rstrip("/")
    query = query_of(args)
    results = [new_result(endpoint, stream_url(base, endpoint, query)) for endpoint in resolve(args.endpoints)]
    run = Run(args, base, results)
    try:
        outcomes = asyncio.run(read_all(run))
    except KeyboardInterrupt:
        # asyncio.run has cancelled the readers and closed the session: report what came.
        report(run, "interrupted")
        raise
    status = settle(run, outcomes)
    report(run, "complete" if status == 0 else "failed")
    return status


def raw(args: argparse.Namespace) -> int:
    endpoint = resolve(args.raw)[0]
    if endpoint.transport is Transport.WEBSOCKET:
        raise UsageError(f"{endpoint.name} is a WebSocket; --raw shows HTTP bodies (chunked or buffered) only")
    url = stream_url(args.url.rstrip("/"), endpoint, query_of(args))
    try:
        view = asyncio.run(show_raw(url, lambda line: print(line, flush=True)))
    except OSError as error:
        raise Unreachable(f"cannot reach the server at {args.url}: {error.strerror or error}") from None
    if view.head is None:
        print("transport-lab raw: the server closed the connection without an answer", file=sys.stderr)
        return EXIT_FAILED
    if view.head.status != 200:
        print(f"transport-lab raw: HTTP {view.head.status}: {refusal_text(view.totals.body)}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return raw(args) if args.raw else compare(args)
    except UsageError as error:
        print(f"transport-lab: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Unreachable as error:
        print(f"transport-lab: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except KeyboardInterrupt:
        print("transport-lab: interrupted; connections closed", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
