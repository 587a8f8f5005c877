"""JSON error responses: every refusal names what was wrong."""

from __future__ import annotations

from aiohttp import web

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
