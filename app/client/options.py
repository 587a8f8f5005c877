"""What the client's commands (`compare`, `raw`) share: the server and stream options, their
checks, the errors a command line can meet and the exit status each one ends with."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from urllib.parse import urlencode, urlsplit

from ..endpoints import ENDPOINTS, ENDPOINTS_BY_NAME, Endpoint
from ..exits import EXIT_INTERRUPTED, EXIT_UNREACHABLE, EXIT_USAGE
from ..params import BOUNDS, ParamError, parse_params, plain
from ..server.hosts import is_loopback
from ..server.settings import DEFAULT_HOST, DEFAULT_PORT
from ..transport import Transport
from ..wire.coding import MAX_DECODED
from ..wire.errors import Limit, TooLarge, byte_size
from ..wire.sse import MAX_EVENT
from .terminal import say

DEFAULT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
EXIT_HELP = (
    "Exit status: 0 ok, 1 a stream refused or failed, 2 usage, 3 server unreachable, "
    "5 a stream not over within --timeout, 7 a stream stopped by --max-bytes, --max-decoded-bytes "
    "or --max-message-bytes, 130 Ctrl-C."
)


class UsageError(Exception):
    """The command line asks for something that does not exist."""


class Unreachable(Exception):
    """No server answered at the URL `base`."""

    def __init__(self, base: str, reason: str) -> None:
        super().__init__(f"cannot reach the server at {base}: {reason}")
        self.base = base


def start_hint(base: str) -> str | None:
    """How to start the server `base` names, when it is one this machine can start."""
    parts = urlsplit(base)
    if parts.scheme != "http" or not parts.hostname or not is_loopback(parts.hostname):
        return None
    port = parts.port or 80
    return "start one with: transport-lab" + ("" if port == DEFAULT_PORT else f" --port {port}")


def as_typed(kind: Callable[[str], object]) -> Callable[[str], str]:
    """An argparse type that checks the value parses as `kind` but keeps the text: the server
    then gets, and echoes in a refusal, what the user typed (`100`, not `100.0`)."""

    def check(text: str) -> str:
        kind(text)
        return text

    check.__name__ = kind.__name__  # argparse names the type in its error: "invalid int value"
    return check


def count_units() -> str:
    """What --count counts where it is not messages, as each endpoint's registry rule says."""
    others = [f"{endpoint.rule.unit} for {endpoint.name}" for endpoint in ENDPOINTS if endpoint.rule.unit != "messages"]
    return f" ({', '.join(others)})" if others else ""


def add_stream_options(parser: argparse.ArgumentParser, stamp: bool) -> None:
    """--url, and the stream parameters (each endpoint keeps its own default when one is left out)."""
    parser.add_argument("--url", default=DEFAULT_URL, help=f"server base URL (default {DEFAULT_URL})")
    count, interval, size = BOUNDS["count"], BOUNDS["interval"], BOUNDS["size"]
    parser.add_argument(
        "--count",
        type=as_typed(int),
        help=f"messages per stream{count_units()}, {count.between()} (default: each endpoint's own)",
    )
    parser.add_argument(
        "--interval",
        type=as_typed(float),
        help=f"seconds between messages, {interval.between()} (default: each endpoint's own)",
    )
    parser.add_argument("--size", type=as_typed(int), help=f"padding bytes per message, {size.between()}")
    parser.add_argument(
        "--stamp",
        action=argparse.BooleanOptionalAction,
        default=stamp,
        help=f"ask for send stamps, to show each message's delay (default: {'on' if stamp else 'off'})",
    )


def scheme_hint(text: str) -> str:
    """` (did you mean http://...?)` for a URL typed without its scheme, else nothing."""
    return f" (did you mean http://{text}?)" if "://" not in text else ""


def check_url(text: str, schemes: Sequence[str] = ("http", "https")) -> str:
    """The server's base URL without its trailing slash; UsageError unless it is one."""
    allowed = " or ".join(f"{scheme}://" for scheme in schemes)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        raise UsageError(f"--url {text!r} is not a URL: {error}") from None
    if parts.scheme not in schemes or not parts.hostname:
        raise UsageError(f"--url must start with {allowed} and name a host, not {text!r}{scheme_hint(text)}")
    return parts.geturl().rstrip("/")  # the scheme lower-cased: ws:// is derived from it


def endpoint_named(name: str) -> Endpoint:
    if name not in ENDPOINTS_BY_NAME:
        raise UsageError(f"unknown endpoint {name!r}; known: {', '.join(ENDPOINTS_BY_NAME)}")
    return ENDPOINTS_BY_NAME[name]


def query_of(args: argparse.Namespace) -> dict[str, str]:
    """Only what the user gave, as typed, so each endpoint keeps its own defaults otherwise."""
    query = {key: getattr(args, key) for key in ("count", "interval", "size") if getattr(args, key) is not None}
    if args.stamp:
        query["stamp"] = "1"
    return query


def stream_url(base: str, endpoint: Endpoint, query: dict[str, str]) -> str:
    if endpoint.transport is Transport.WEBSOCKET:
        base = "ws" + base.removeprefix("http")
    return f"{base}{endpoint.path}" + (f"?{urlencode(query)}" if query else "")


def run_command(prog: str, command: Callable[[], int]) -> int:
    """Run `command`, turning what stops it into one line on stderr and its exit status."""
    try:
        return command()
    except UsageError as error:
        say(f"{prog}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Unreachable as error:
        hint = start_hint(error.base)
        say(f"{prog}: {error}", *([hint] if hint else []), file=sys.stderr)
        return EXIT_UNREACHABLE
    except KeyboardInterrupt:
        say(f"{prog}: interrupted; connections closed", file=sys.stderr)
        return EXIT_INTERRUPTED


#: The bounds every reading command keeps (`diagnose`, `compare`, `raw`): a server that is
#: silent, drips, or sends without end stops them with a line that names the bound passed.
TIMEOUT_BOUNDS = (0.1, 3600.0)
DEFAULT_TIMEOUT = 30.0
SIZE_BOUNDS = (1, 1024**3)
DEFAULT_MAX_BYTES = 16 * 1024**2
#: The codecs' own bounds: what a compressed body may inflate to (a gzip bomb inflates a
#: thousandfold), the longest line or SSE event (our messages are at most 1 MiB).
DEFAULT_MAX_DECODED = MAX_DECODED
DEFAULT_MAX_MESSAGE = MAX_EVENT
#: The option that sets each bound, to name in the line that says it stopped a command.
LIMIT_OPTIONS = {
    Limit.BODY: "--max-bytes",
    Limit.DECODED: "--max-decoded-bytes",
    Limit.LINE: "--max-message-bytes",
    Limit.EVENT: "--max-message-bytes",
    Limit.MESSAGE: "--max-message-bytes",
}


def bounded(kind: Callable[[str], float], low: float, high: float, name: str) -> Callable[[str], float]:
    """An argparse type: a number of `kind` between `low` and `high`, named in its error."""

    def check(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, not {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be between {plain(low)} and {plain(high)}, not {text}")
        return value

    return check


def add_size_options(parser: argparse.ArgumentParser, max_bytes_help: str, decoding: bool = True) -> None:
    """--max-bytes; and, for a command that decodes bodies, --max-decoded-bytes and
    --max-message-bytes; with their defaults."""
    low, high = SIZE_BOUNDS
    sizes = [("--max-bytes", DEFAULT_MAX_BYTES, max_bytes_help)]
    if decoding:
        sizes += [
            ("--max-decoded-bytes", DEFAULT_MAX_DECODED, "bytes a compressed body may decode to"),
            ("--max-message-bytes", DEFAULT_MAX_MESSAGE, "bytes (not characters) of one line, event or message"),
        ]
    for option, default, text in sizes:
        parser.add_argument(
            option,
            type=bounded(int, low, high, option),
            default=default,
            help=f"{text}, {low}..{high} (default {default}, {byte_size(default)})",
        )


def add_timeout_option(parser: argparse.ArgumentParser) -> None:
    """--timeout for `compare` and `raw`: by default the streams' own length and a margin."""
    low, high = TIMEOUT_BOUNDS
    parser.add_argument(
        "--timeout",
        type=bounded(float, low, high, "--timeout"),
        help=f"seconds for the whole run, {plain(low)}..{plain(high)} (default: the longest stream's own "
        f"length, messages x interval, plus {plain(DEFAULT_TIMEOUT)} s)",
    )


def run_timeout(args: argparse.Namespace, endpoints: Sequence[Endpoint], reconnections: float = 0.0) -> float:
    """--timeout as given, or the longest of the streams asked for plus DEFAULT_TIMEOUT (and
    `reconnections` seconds a stream may wait between its connections)."""
    if args.timeout is not None:
        return float(args.timeout)
    query = {key: getattr(args, key) for key in ("count", "interval", "size") if getattr(args, key) is not None}
    longest = 0.0
    for endpoint in endpoints:
        try:
            params = parse_params(query, endpoint.defaults, messages=endpoint.messages)
        except ParamError:
            continue  # the server refuses it at once
        longest = max(longest, endpoint.duration(params))
    return longest + reconnections + DEFAULT_TIMEOUT


def stopped(error: TooLarge) -> str:
    """The line that says which bound stopped a reading, and the option that raises it."""
    return f"stopped: {error.limit.value} over {LIMIT_OPTIONS[error.limit]} {byte_size(error.size)}"


def timed_out(seconds: float) -> str:
    return f"stopped: no end within --timeout {plain(seconds)} s"
