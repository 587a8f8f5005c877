"""Django in one module, run by gunicorn's sync worker (`application`):

- `/tokens`: a StreamingHttpResponse of NDJSON lines: progressive;
- `/gzipped/tokens`: the same view under `gzip_page` (Django's GZipMiddleware for one view):
  it compresses the stream through a GzipFile it never flushes, so only the gzip header
  leaves at once and the content when the stream ends: compression holds it;

and by uvicorn (`asgi_application`):

- `/async/gzipped/tokens`: an async generator under the same `gzip_page`: Django compresses
  each message on its own, so the body is one whole gzip member per message, each sent at
  once: compressed and progressive (a decoder must go on past the first member's end).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

# Django ships no type hints (django-stubs would be one more dependency for one test subject).
from django.conf import settings  # type: ignore[import-untyped]
from django.core.asgi import get_asgi_application  # type: ignore[import-untyped]
from django.core.wsgi import get_wsgi_application  # type: ignore[import-untyped]
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse  # type: ignore[import-untyped]
from django.urls import path  # type: ignore[import-untyped]
from django.views.decorators.gzip import gzip_page  # type: ignore[import-untyped]

from .tokens import aticks, line, pacing, ticks

settings.configure(
    DEBUG=False,
    SECRET_KEY="a test subject on loopback, no secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
)


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def tokens(request: HttpRequest) -> StreamingHttpResponse:
    count, interval = pacing(request.GET)

    def lines() -> Iterator[str]:
        for number in ticks(count, interval):
            yield line(number)

    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson")
    response["X-Content-Type-Options"] = "nosniff"
    return response


async def async_tokens(request: HttpRequest) -> StreamingHttpResponse:
    count, interval = pacing(request.GET)

    async def lines() -> AsyncIterator[str]:
        async for number in aticks(count, interval):
            yield line(number)

    response = StreamingHttpResponse(lines(), content_type="application/x-ndjson")
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("healthz", healthz),
    path("tokens", tokens),
    path("gzipped/tokens", gzip_page(tokens)),
    path("async/gzipped/tokens", gzip_page(async_tokens)),
]

application = get_wsgi_application()
asgi_application = get_asgi_application()
