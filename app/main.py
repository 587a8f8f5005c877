"""The application factory: builds the app, does no I/O."""

from __future__ import annotations

import weakref

import aiohttp_jinja2
import jinja2
from aiohttp import WSCloseCode, web

from app.keys import settings_key, stream_stats_key, websockets_key
from app.routes import TEMPLATES_DIR, setup_routes
from app.security import add_security_headers
from app.settings import Settings
from app.streams import StreamStats


async def close_websockets(app: web.Application) -> None:
    """Tell every open WebSocket the server is going away (1001) before shutdown."""
    for ws in set(app[websockets_key]):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


def create_app(settings: Settings | None = None) -> web.Application:
    """Build the Transport Lab application from `settings` (defaults when None)."""
    settings = settings or Settings()
    app = web.Application()
    app[settings_key] = settings
    app[stream_stats_key] = StreamStats(max_streams=settings.max_streams)
    app[websockets_key] = weakref.WeakSet()
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(default=True),
    )
    app[aiohttp_jinja2.static_root_key] = "/static"
    setup_routes(app)
    app.on_response_prepare.append(add_security_headers)
    app.on_shutdown.append(close_websockets)
    return app
