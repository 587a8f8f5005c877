"""JSON error responses: every refusal names what was wrong."""

from __future__ import annotations

from aiohttp import web


def json_error(
    status: int, message: str, param: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    """`{"error": message, "param": param}` with the given status."""
    body: dict[str, object] = {"error": message}
    if param is not None:
        body["param"] = param
    return web.json_response(body, status=status, headers=headers)
