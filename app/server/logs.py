"""The server's log lines: one key=value access line per request, with values escaped so
a client cannot forge fields, and one WARNING line (no traceback) per malformed request,
so a flood of them cannot amplify the log."""

from __future__ import annotations

import logging
import re

from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web import BaseRequest, StreamResponse

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: The longest value a log line repeats from a client.
MAX_VALUE_CHARS = 500
_UNSAFE = re.compile(r'[\\"\x00-\x1f\x7f-\x9f]')


def escape(value: str) -> str:
    """`value` safe inside double quotes on one line: `\\` and `"` escaped, control
    characters as `\\xNN`, cut at MAX_VALUE_CHARS."""
    if len(value) > MAX_VALUE_CHARS:
        value = value[:MAX_VALUE_CHARS] + "…"
    return _UNSAFE.sub(lambda match: f"\\x{ord(match[0]):02x}" if match[0] not in '\\"' else "\\" + match[0], value)


class KeyValueAccessLogger(AbstractAccessLogger):
    """`access remote=… request="…" status=… bytes=… duration=…s agent="…"`; a stream's own
    line (transport_lab.streams) adds its endpoint, messages, bytes and how it ended."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        version = f"HTTP/{request.version.major}.{request.version.minor}"
        self.logger.info(
            'access remote=%s request="%s" status=%d bytes=%d duration=%.6fs agent="%s"',
            request.remote or "-",
            escape(f"{request.method} {request.raw_path} {version}"),
            response.status,
            response.body_length,
            time,
            escape(request.headers.get("User-Agent", "-")),
        )


class MalformedRequests(logging.Filter):
    """aiohttp logs each request it cannot parse as an ERROR with a traceback; it is a
    client's mistake, not the server's: one WARNING line says enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "malformed request from %s: %d %s"
            peer = record.args[:1] if isinstance(record.args, tuple) and record.args else ("-",)
            record.args = (*peer, error.code, escape(" ".join(str(error.message).split())))
            record.exc_info = record.exc_text = None
        return True


def quiet_malformed_requests() -> None:
    logging.getLogger("aiohttp.server").addFilter(MalformedRequests())
