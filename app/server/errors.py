"""JSON error responses: every refusal names what was wrong."""

from __future__ import annotations

from collections.abc import Awaitable

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

#: Seconds a client is asked to wait before retrying a 503.
RETRY_AFTER_SECONDS = 5


def json_error(
    status: int, message: str, param: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    """`{"error": message, "param": param}` with the given status."""
    body: dict[str, object] = {"error": message}
    if param is not None:
        body["param"] = param
    return web.json_response(body, status=status, headers=headers)


def unavailable(message: str) -> web.Response:
    """A 503 JSON error that tells the client when to retry."""
    return json_error(503, message, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _is_api(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


async def answered(response: web.StreamResponse) -> web.StreamResponse:
    """A response as the awaitable a plain-function middleware returns."""
    return response


# The middlewares are plain functions that return the handler's own awaitable: as
# coroutines, each would keep a frame alive for the whole life of every stream (at 10,000
# streams, megabytes), only to pass its result through.


@web.middleware
def api_errors_as_json(request: web.Request, handler: Handler) -> Awaitable[web.StreamResponse]:
    """The API's own refusals (no such path, a method it does not take) in JSON, like
    every other answer of /api; a 405 keeps its `Allow`."""
    if not _is_api(request.path):
        return handler(request)
    return _json_refusals(request, handler)


async def _json_refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        allow = error.headers.get(hdrs.ALLOW)
        headers: dict[str, str] | None = {hdrs.ALLOW: allow} if allow is not None else None
        if error.status == 405:
            message = f"{request.method[:20]} is not allowed on {request.path[:200]}; allowed: {allow}"
        elif error.status == 404:
            message = f"no API at {request.path[:200]}"
        else:
            message = error.reason
        return json_error(error.status, message, headers=headers)
