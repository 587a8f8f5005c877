"""Server settings: explicit defaults, read from the command line or the environment."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told; every field has a safe default."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    max_streams: int = DEFAULT_MAX_STREAMS
    backlog: int = DEFAULT_BACKLOG
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, not {value}")
    return value


def _max_streams(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_STREAMS_LIMIT:
        raise argparse.ArgumentTypeError(f"max streams must be 1..{MAX_STREAMS_LIMIT}, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The server's command line; each option defaults to its environment variable."""
    parser = argparse.ArgumentParser(
        prog="transport-lab",
        description="Serve the Transport Lab streaming endpoints and dashboard.",
    )
    parser.add_argument("--host", help=f"address to bind (env {ENV_PREFIX}HOST, default {DEFAULT_HOST})")
    parser.add_argument("--port", type=_port, help=f"port to bind (env {ENV_PREFIX}PORT, default {DEFAULT_PORT})")
    parser.add_argument(
        "--max-streams",
        type=_max_streams,
        help=f"concurrent streams per process (env {ENV_PREFIX}MAX_STREAMS, default {DEFAULT_MAX_STREAMS})",
    )
    return parser


def settings_from_args(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from argv, falling back to the environment, then to the defaults.

    Exits with status 2 and a message naming the option when a value is invalid.
    """
    env = os.environ if environ is None else environ
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        host = args.host or env.get(f"{ENV_PREFIX}HOST", DEFAULT_HOST)
        port = args.port if args.port is not None else _port(env.get(f"{ENV_PREFIX}PORT", str(DEFAULT_PORT)))
        max_streams = (
            args.max_streams
            if args.max_streams is not None
            else _max_streams(env.get(f"{ENV_PREFIX}MAX_STREAMS", str(DEFAULT_MAX_STREAMS)))
        )
    except (ValueError, argparse.ArgumentTypeError) as error:
        parser.error(f"invalid environment setting: {error}")
    return Settings(host=host, port=port, max_streams=max_streams)
