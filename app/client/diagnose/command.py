"""`transport-lab diagnose URL`: does this stream really stream, and if not, what holds it back?

It runs from the user's machine against any http(s):// or ws(s):// URL; the server never
fetches anything on anyone's behalf.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from ...exits import EXIT_FAILED, EXIT_OK
from ...params import plain
from ..options import UsageError, run_command, scheme_hint
from .connection import Failure
from .fetch import MAX_REDIRECTS, SCHEMES, Ask, exchange
from .report import Diagnosis, text_lines
from .verdict import Verdict

PROG = "transport-lab diagnose"
TIMEOUT_BOUNDS = (0.1, 3600.0)
DEFAULT_TIMEOUT = 30.0
MAX_BYTES_BOUNDS = (1, 1024**3)
DEFAULT_MAX_BYTES = 16 * 1024**2
#: Headers the exchange itself must set, so a user's value would only break it.
RESERVED_HEADERS = ("host", "content-length", "transfer-encoding", "connection", "upgrade")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")

EXIT_HELP = (
    "Exit status: 0 diagnosed (and, with --expect, the verdict matched), 1 --expect did not match, "
    "2 usage, 3 unreachable (no such host, refused), 4 TLS failed, 5 timed out before an answer, "
    f"6 not HTTP it can follow (or more than {MAX_REDIRECTS} redirects), 130 Ctrl-C."
)


def bounded(kind: Callable[[str], float], low: float, high: float, name: str) -> Callable[[str], float]:
    def check(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be between {plain(low)} and {plain(high)}, not {text}")
        return value

    return check


def header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not _TOKEN.match(name) or any(c in value for c in "\r\n\0"):
        raise argparse.ArgumentTypeError(f"--header must be 'Name: value' on one line, not {text[:80]!r}")
    if name.lower() in RESERVED_HEADERS:
        raise argparse.ArgumentTypeError(f"--header {name} is set by the exchange itself and cannot be replaced")
    return name, value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Tell whether a stream is truly streamed (progressive, buffered or bursty), and if not, "
        "what holds it back: the evidence and the fix.",
        epilog=EXIT_HELP,
    )
    parser.add_argument("url", metavar="URL", help="an http://, https://, ws:// or wss:// URL")
    parser.add_argument("--header", "-H", type=header, action="append", default=[], help="'Name: value' (repeatable)")
    parser.add_argument("--method", "-X", choices=("GET", "POST"), help="GET, or POST (the default with --data)")
    parser.add_argument("--data", "-d", help="the request body, or @FILE to send a file's bytes")
    seconds, size = TIMEOUT_BOUNDS, MAX_BYTES_BOUNDS
    parser.add_argument(
        "--timeout",
        type=bounded(float, *seconds, "--timeout"),
        default=DEFAULT_TIMEOUT,
        help=f"seconds for the whole exchange, {plain(seconds[0])}..{plain(seconds[1])} "
        f"(default {plain(DEFAULT_TIMEOUT)}); "
        "a stream still going then is judged on what arrived",
    )
    parser.add_argument(
        "--max-bytes",
        type=bounded(int, *size, "--max-bytes"),
        default=DEFAULT_MAX_BYTES,
        help=f"bytes of body read at most, {size[0]}..{size[1]} (default {DEFAULT_MAX_BYTES})",
    )
    parser.add_argument("--insecure", "-k", action="store_true", help="do not verify the TLS certificate")
    parser.add_argument("--json", action="store_true", help="print the whole result as one JSON object")
    parser.add_argument(
        "--expect",
        choices=[verdict.value for verdict in Verdict],
        help="a check for CI: exit 1 unless the verdict is this one",
    )
    return parser


def ask_of(args: argparse.Namespace) -> Ask:
    parts = urlsplit(args.url)
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise UsageError(f"{args.url!r} is not a URL: {error}") from None
    if parts.scheme not in SCHEMES or not parts.hostname:
        allowed = "http://, https://, ws:// or wss://"
        raise UsageError(f"URL must be {allowed} and name a host, not {args.url!r}{scheme_hint(args.url)}")
    data = body_of(args.data)
    method = args.method or ("POST" if data is not None else "GET")
    if data is not None and method == "GET":
        raise UsageError("--data needs --method POST (a GET carries no body)")
    if parts.scheme in ("ws", "wss") and method != "GET":
        raise UsageError("a WebSocket opens with a GET: --method POST and --data do not apply")
    return Ask(args.url, method, tuple(args.header), data, args.timeout, args.max_bytes, args.insecure)


def body_of(data: str | None) -> bytes | None:
    if data is None or not data.startswith("@"):
        return None if data is None else data.encode()
    try:
        return Path(data[1:]).read_bytes()
    except OSError as error:
        raise UsageError(f"--data {data}: {error.strerror or error}") from None


def diagnose(args: argparse.Namespace) -> int:
    ask = ask_of(args)
    try:
        diagnosis = Diagnosis.of(asyncio.run(exchange(ask)))
    except Failure as failure:
        print(f"{PROG}: {failure}", file=sys.stderr)
        return failure.exit_code
    if args.json:
        print(json.dumps(diagnosis.as_json(), indent=2))
    else:
        print("\n".join(text_lines(diagnosis)))
    if args.expect and diagnosis.judgement.verdict.value != args.expect:
        print(f"{PROG}: expected {args.expect}, got {diagnosis.judgement.verdict.value}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(PROG, lambda: diagnose(args))


if __name__ == "__main__":
    sys.exit(main())
