"""Server settings: explicit defaults, read from the command line or the environment."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..exits import EXIT_USAGE
from .hosts import is_valid_pattern
from .loops import AUTO, LOOPS, UVLOOP, uvloop_installed

ENV_PREFIX = "TRANSPORT_LAB_"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
#: Listen backlog; the default 128 makes a burst of thousands of clients retry.
DEFAULT_BACKLOG = 4096
#: Streams one server process serves at once; past it new streams get 503.
DEFAULT_MAX_STREAMS = 10_000
MAX_STREAMS_LIMIT = 100_000
#: How long a graceful shutdown waits for open streams before cutting them.
DEFAULT_SHUTDOWN_TIMEOUT = 3.0
MIB = 1024 * 1024
#: Message data all streams may hold in flight at once, in MiB; past it new streams get 503.
DEFAULT_MEMORY_BUDGET_MIB = 256
#: The budget must hold at least one buffered body of the largest size.
MEMORY_BUDGET_MIB_RANGE = (32, 65536)
#: How long a write may wait for a reader who stopped reading before its stream ends.
DEFAULT_SEND_TIMEOUT = 30.0
SEND_TIMEOUT_RANGE = (1, 3600)


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told; every field has a safe default."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    max_streams: int = DEFAULT_MAX_STREAMS
    backlog: int = DEFAULT_BACKLOG
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT
    #: In bytes.
    memory_budget: int = DEFAULT_MEMORY_BUDGET_MIB * MIB
    send_timeout: float = DEFAULT_SEND_TIMEOUT
    #: Names served besides loopback, the lanes and the bound address (`.example.com`: with subdomains).
    allowed_hosts: tuple[str, ...] = ()
    #: `auto` (uvloop when installed), `asyncio` or `uvloop`.
    loop: str = AUTO


def _integer(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be an integer, not {text!r}") from None


def _host(text: str) -> str:
    # An empty host makes aiohttp bind every address: never what an empty value meant.
    if not text.strip():
        raise argparse.ArgumentTypeError("host must not be empty (0.0.0.0 binds every IPv4 address)")
    return text


def _port(text: str) -> int:
    value = _integer(text, "port")
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, not {value}")
    return value


def _max_streams(text: str) -> int:
    value = _integer(text, "max streams")
    if not 1 <= value <= MAX_STREAMS_LIMIT:
        raise argparse.ArgumentTypeError(f"max streams must be 1..{MAX_STREAMS_LIMIT}, not {value}")
    return value


def _memory_budget(text: str) -> int:
    """MiB as given, bytes as kept."""
    value = _integer(text, "memory budget")
    low, high = MEMORY_BUDGET_MIB_RANGE
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"memory budget must be {low}..{high} MiB, not {value}")
    return value * MIB


def _send_timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"send timeout must be a number of seconds, not {text!r}") from None
    low, high = SEND_TIMEOUT_RANGE
    if not low <= value <= high:  # also refuses nan
        raise argparse.ArgumentTypeError(f"send timeout must be {low}..{high} seconds, not {text}")
    return value


def _allowed_hosts(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    bad = [name for name in names if not is_valid_pattern(name)]
    if bad:
        raise argparse.ArgumentTypeError(
            f"allowed hosts must be host names, addresses or .domain patterns, not {bad[0]!r}"
        )
    return names


def _loop(text: str) -> str:
    if text not in LOOPS:
        raise argparse.ArgumentTypeError(f"loop must be one of {', '.join(LOOPS)}, not {text!r}")
    if text == UVLOOP and not uvloop_installed():
        raise argparse.ArgumentTypeError("uvloop is not installed: pip install 'transport-lab[uvloop]'")
    return text


@dataclass(frozen=True)
class Option:
    """One setting: its flag, its environment variable (named after it), how its text is
    read, and what --help says of it."""

    flag: str
    parse: Callable[[str], Any]
    help: str
    shown_default: str
    metavar: str | None = None

    @property
    def dest(self) -> str:
        """The Settings field it sets."""
        return self.flag.removeprefix("--").replace("-", "_")

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.dest.upper()


OPTIONS = (
    Option("--host", _host, "address to bind", DEFAULT_HOST),
    Option("--port", _port, "port to bind", str(DEFAULT_PORT)),
    Option("--max-streams", _max_streams, "concurrent streams per process", str(DEFAULT_MAX_STREAMS)),
    Option(
        "--memory-budget",
        _memory_budget,
        "message data all streams may hold in flight, in MiB; past it new streams get 503",
        str(DEFAULT_MEMORY_BUDGET_MIB),
        "MIB",
    ),
    Option(
        "--send-timeout",
        _send_timeout,
        "how long a write may wait for a client that stopped reading before its stream ends",
        f"{DEFAULT_SEND_TIMEOUT:g}",
        "SECONDS",
    ),
    Option(
        "--allowed-hosts",
        _allowed_hosts,
        "comma-separated host names served besides loopback, laneN.localhost and the bound address; "
        ".example.com also serves its subdomains",
        "none",
        "NAMES",
    ),
    Option(
        "--loop",
        _loop,
        "the event loop: asyncio, uvloop (the optional extra), or auto: uvloop when installed",
        AUTO,
        "|".join(LOOPS),
    ),
)


def build_parser(epilog: str | None = None) -> argparse.ArgumentParser:
    """The server's command line; each option defaults to its environment variable.

    `epilog` is shown verbatim after the options (the `transport-lab` command lists its
    other commands there).
    """
    parser = argparse.ArgumentParser(
        prog="transport-lab",
        description="Serve the Transport Lab streaming endpoints and dashboard.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for option in OPTIONS:
        parser.add_argument(
            option.flag,
            type=option.parse,
            metavar=option.metavar,
            help=f"{option.help} (env {option.env}, default {option.shown_default})",
        )
    return parser


def _from_env(env: Mapping[str, str], option: Option) -> Any:
    """The option's variable parsed, or None when it is unset; a bad value names the variable."""
    text = env.get(option.env)
    if text is None:
        return None
    try:
        return option.parse(text)
    except argparse.ArgumentTypeError as error:
        raise argparse.ArgumentTypeError(f"{option.env}: {error}") from None


def settings_from_args(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None, *, epilog: str | None = None
) -> Settings:
    """Settings from argv, falling back to the environment, then to the defaults.

    Exits with status 2 and a message naming the option or variable when a value is invalid.
    """
    env = os.environ if environ is None else environ
    parser = build_parser(epilog)
    args = parser.parse_args(argv)
    given: dict[str, Any] = {}
    try:
        for option in OPTIONS:
            value = getattr(args, option.dest)
            given[option.dest] = value if value is not None else _from_env(env, option)
    except argparse.ArgumentTypeError as error:
        # The command line itself was fine, so no usage line: just what is wrong and where.
        parser.exit(EXIT_USAGE, f"{parser.prog}: error: {error}\n")
    # What neither the command line nor the environment gives keeps the Settings default.
    return Settings(**{dest: value for dest, value in given.items() if value is not None})
