"""The route table, derived from the endpoint registry."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from aiohttp import web

from ..endpoints import ENDPOINTS
from . import views

#: The top-level package under the name it was imported by (`app` in a checkout,
#: `transport_lab` when installed): the page's files travel inside it.
PACKAGE = __name__.partition(".")[0]
STATIC_DIR = Path(str(resources.files(PACKAGE) / "static"))


async def preflight(request: web.Request) -> web.Response:
    """CORS preflight for the streams (EventSource resumes with a Last-Event-ID header);
    the allow-origin header itself is added only for the dashboard's origins.
    """
    return web.Response(
        status=204,
        headers={
            "Access-Control-Allow-Methods": "GET",
            "Access-Control-Allow-Headers": "Last-Event-ID",
            "Access-Control-Max-Age": "600",
        },
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", views.index, name="index")
    app.router.add_get("/healthz", views.healthz, name="healthz")
    app.router.add_get("/api/endpoints", views.api_endpoints, name="api_endpoints")
    for endpoint in ENDPOINTS:
        app.router.add_get(endpoint.path, views.stream_view(endpoint), name=endpoint.name, allow_head=False)
        app.router.add_route("OPTIONS", endpoint.path, preflight)
    app.router.add_static("/static/", STATIC_DIR, name="static")
