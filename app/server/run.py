"""Running the server for real: `transport-lab` / `python -m app`."""

from __future__ import annotations

import errno
import logging
import os
import sys
from collections.abc import Sequence

from aiohttp import web

from ..exits import EXIT_FAILED, EXIT_OK
from .hosts import is_loopback
from .logs import LOG_FORMAT, KeyValueAccessLogger, quiet_malformed_requests
from .loops import new_loop, resolve
from .memory import pin_mmap_threshold, tune_collector
from .settings import Settings, settings_from_args

#: aiohttp only learns of a client that went away at its next write unless handlers
#: are cancelled; the test server turns this on, so production must too.
HANDLER_CANCELLATION = True


def display_url(settings: Settings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{host}:{settings.port}/"


def banner(settings: Settings) -> str:
    lines = [f"Transport Lab on {display_url(settings)}, on {resolve(settings.loop)} (Ctrl-C to stop)"]
    if not is_loopback(settings.host):
        lines.append(
            f"WARNING: bound to {settings.host}, not loopback: anyone who can reach this "
            "machine can open streams. Use --host 127.0.0.1 to keep it local."
        )
    return "\n".join(lines)


class CannotListen(Exception):
    """The address could not be bound; raised before any banner is printed."""


def listen_error(settings: Settings, error: OSError) -> str:
    """One line saying why binding failed, without the exception's own wording around it."""
    # asyncio wraps the bind error as "error while attempting to bind on address (...): ...";
    # the errno alone says it plainly. Name lookups (gaierror) carry negative codes.
    reason = os.strerror(error.errno) if error.errno and error.errno > 0 else error.strerror or str(error)
    line = f"cannot listen on {settings.host} port {settings.port}: {reason}"
    if error.errno == errno.EADDRINUSE:
        line += " (another process holds it: stop it, or choose another --port)"
    return line


def serve(settings: Settings) -> None:
    """Serve until stopped. Raises CannotListen when the address cannot be bound, and
    KeyboardInterrupt when stopped before it listened."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    quiet_malformed_requests()
    pin_mmap_threshold()
    listening = False

    def announce(_aiohttp_banner: str) -> None:
        # run_app calls its `print` once every site is bound, so ours never precedes a bind error.
        nonlocal listening
        listening = True
        print(banner(settings), flush=True)

    # Here, not at the top: `transport-lab --help` lists the commands without loading the
    # web app (jinja2 and the templates).
    from .factory import create_app

    app = create_app(settings)
    tune_collector()
    try:
        web.run_app(
            app,
            loop=new_loop(settings.loop),
            host=settings.host,
            port=settings.port,
            backlog=settings.backlog,
            shutdown_timeout=settings.shutdown_timeout,
            handler_cancellation=HANDLER_CANCELLATION,
            access_log_class=KeyValueAccessLogger,
            print=announce,
        )
    except OSError as error:
        if listening:
            raise
        raise CannotListen(listen_error(settings, error)) from None
    if not listening:
        # run_app takes Ctrl-C itself, also while it is still starting: stopped before it
        # ever listened, the command was interrupted, not done.
        raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None, *, epilog: str | None = None) -> int:
    """`epilog`: text shown after the options in `--help` (the command list of `transport-lab`)."""
    settings = settings_from_args(sys.argv[1:] if argv is None else argv, epilog=epilog)
    try:
        serve(settings)
    except CannotListen as error:
        print(f"transport-lab: {error}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK
