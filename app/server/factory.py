"""The application factory: builds the app, does no I/O."""

from __future__ import annotations

import aiohttp_jinja2
import jinja2
from aiohttp import web

from .errors import api_errors_as_json
from .fairness import LoopShare, Turns
from .framing import close_after_unframed_body
from .hosts import AllowedHosts
from .keys import (
    allowed_hosts_key,
    loop_lag_key,
    relay_share_key,
    settings_key,
    shutdown_key,
    stream_stats_key,
    turns_key,
)
from .lag import LoopLag, lag_watch
from .page import install as install_pages
from .routes import PACKAGE, setup_routes
from .security import add_security_headers, served_hosts_only
from .settings import Settings
from .shutdown import Shutdown
from .stalls import cut_blocked, stall_watch
from .streams import StreamStats


async def stop_streams(app: web.Application) -> None:
    """on_shutdown: every stream ends itself (HTTP cleanly, WebSocket with 1001)
    before aiohttp's shutdown timeout would cut it; one waiting on a reader that
    stopped reading cannot, so it ends at once."""
    app[shutdown_key].start()
    app[relay_share_key].open()
    cut_blocked(app[stream_stats_key])


def create_app(settings: Settings | None = None) -> web.Application:
    """Build the Transport Lab application from `settings` (defaults when None)."""
    settings = settings or Settings()
    app = web.Application(middlewares=[served_hosts_only, api_errors_as_json])
    app[allowed_hosts_key] = AllowedHosts.of(settings.host, settings.allowed_hosts)
    app[settings_key] = settings
    app[stream_stats_key] = StreamStats(max_streams=settings.max_streams, memory_budget=settings.memory_budget)
    app[shutdown_key] = Shutdown()
    app[loop_lag_key] = LoopLag()
    app[turns_key] = Turns()
    app[relay_share_key] = LoopShare()
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader(PACKAGE, "templates"),
        autoescape=jinja2.select_autoescape(default=True),
    )
    app[aiohttp_jinja2.static_root_key] = "/static"
    install_pages(app)
    setup_routes(app)
    app.on_response_prepare.append(add_security_headers)
    app.on_response_prepare.append(close_after_unframed_body)
    app.on_shutdown.append(stop_streams)
    app.cleanup_ctx.append(stall_watch)
    app.cleanup_ctx.append(lag_watch(loop_lag_key))
    return app
