"""Serving on several cores with gunicorn (the optional `deploy` extra).

    gunicorn 'transport_lab.server.gunicorn:application()' \\
        --worker-class transport_lab.server.gunicorn.TransportLabWorker --workers 4 --bind 127.0.0.1:8080

aiohttp's own worker builds its `AppRunner` without `handler_cancellation`, so a handler
would only learn that its client left at its next write, up to a minute later. This worker
builds the same runner with the option `transport-lab` uses.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.worker import GunicornWebWorker

from .factory import create_app
from .logs import KeyValueAccessLogger, quiet_malformed_requests
from .memory import pin_mmap_threshold, tune_collector
from .run import HANDLER_CANCELLATION
from .settings import settings_from_args

__all__ = ["TransportLabWorker", "application"]

#: Share of gunicorn's graceful timeout given to open streams, as aiohttp's worker does.
SHUTDOWN_SHARE = 0.95


def application() -> web.Application:
    """The app, configured from the `TRANSPORT_LAB_*` environment (gunicorn owns the address)."""
    return create_app(settings_from_args([]))


class TransportLabWorker(GunicornWebWorker):
    """aiohttp's gunicorn worker, with the production runner options."""

    def load_wsgi(self) -> None:
        pin_mmap_threshold()
        quiet_malformed_requests()
        super().load_wsgi()
        # gunicorn is untyped: its worker sets `wsgi` in code mypy cannot see.
        self.wsgi = self._runner_factory(self.wsgi)  # type: ignore[has-type]

    def _runner_factory(self, target: object) -> Callable[[], Awaitable[web.AppRunner]]:
        # aiohttp's worker accepts a coroutine function returning an AppRunner and then
        # uses that runner as it is: the one supported way to choose the runner's options.
        async def make_runner() -> web.AppRunner:
            app = await target() if inspect.iscoroutinefunction(target) else target
            if not isinstance(app, web.Application):
                raise RuntimeError(f"gunicorn's app must be an aiohttp Application or a factory of one, not {app!r}")
            tune_collector()
            return web.AppRunner(app, **self._runner_options())

        return make_runner

    def _runner_options(self) -> dict[str, Any]:
        """What aiohttp's worker passes to its runner, plus handler cancellation and our access lines."""
        return {
            "logger": self.log,
            "keepalive_timeout": self.cfg.keepalive,
            "access_log": self.log.access_log if self.cfg.accesslog else None,
            "access_log_class": KeyValueAccessLogger,
            "shutdown_timeout": self.cfg.graceful_timeout * SHUTDOWN_SHARE,
            "handler_cancellation": HANDLER_CANCELLATION,
        }
