"""Where a response's body ends: at its Content-Length, at its last chunk, or, with
neither (HTTP/1.0 has no chunked framing), where the server closes the connection."""

from __future__ import annotations

from aiohttp import hdrs, web

#: Statuses whose responses never have a body, whatever their headers say.
BODYLESS_STATUSES = frozenset({204, 304})


def ends_on_close(request: web.Request, response: web.StreamResponse) -> bool:
    """Whether the body of `response` has no length and no chunked framing: a client then
    reads it up to the connection's close, so nothing may follow it on that connection."""
    if request.method == hdrs.METH_HEAD or response.status < 200 or response.status in BODYLESS_STATUSES:
        return False
    chunked = "chunked" in response.headers.get(hdrs.TRANSFER_ENCODING, "").lower()
    return response.content_length is None and not chunked


async def close_after_unframed_body(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: a body that ends on close is followed by the close.

    aiohttp decides so for such a body but keeps the connection open when an HTTP/1.0
    client asked for keep-alive (3.14), and then writes the next response right after
    a body whose end the client cannot see. Every response passes here, whichever
    transport sent it.
    """
    if ends_on_close(request, response):
        response.force_close()
        response.headers[hdrs.CONNECTION] = "close"
