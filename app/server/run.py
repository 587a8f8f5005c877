"""Running the server for real: `transport-lab` / `python -m app`."""

from __future__ import annotations

import ipaddress
import logging
import sys
from collections.abc import Sequence

from aiohttp import web

from .factory import create_app
from .settings import Settings, settings_from_args

#: aiohttp only learns of a client that went away at its next write unless handlers
#: are cancelled; the test server turns this on, so production must too.
HANDLER_CANCELLATION = True
#: One key=value line per request; a stream's own line (transport_lab.streams) adds
#: its endpoint, messages, bytes and how it ended.
ACCESS_LOG_FORMAT = 'access remote=%a request="%r" status=%s bytes=%b duration=%Tfs agent="%{User-Agent}i"'
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def display_url(settings: Settings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}/"


def banner(settings: Settings) -> str:
    lines = [f"Transport Lab on {display_url(settings)} (Ctrl-C to stop)"]
    if not is_loopback(settings.host):
        lines.append(
            f"WARNING: bound to {settings.host}, not loopback: anyone who can reach this "
            "machine can open streams. Use --host 127.0.0.1 to keep it local."
        )
    return "\n".join(lines)


def serve(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    print(banner(settings), flush=True)
    web.run_app(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        backlog=settings.backlog,
        shutdown_timeout=settings.shutdown_timeout,
        handler_cancellation=HANDLER_CANCELLATION,
        access_log_format=ACCESS_LOG_FORMAT,
        print=None,
    )


def main(argv: Sequence[str] | None = None) -> int:
    serve(settings_from_args(sys.argv[1:] if argv is None else argv))
    return 0
