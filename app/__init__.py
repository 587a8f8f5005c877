"""Transport Lab: the same data over chunked HTTP, buffered HTTP, JSON streams, SSE and WebSocket."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .checks import StreamCheckFailed, check_stream, diagnose
    from .server.factory import create_app
    from .server.settings import Settings

__all__ = ["Settings", "StreamCheckFailed", "check_stream", "create_app", "diagnose"]

#: Imported on first use, not with the package: the terminal commands (`compare`,
#: `diagnose`, `raw`, every `--help`) never load the web app and its templates.
_LAZY = {
    "create_app": ".server.factory",
    "Settings": ".server.settings",
    "diagnose": ".checks",
    "check_stream": ".checks",
    "StreamCheckFailed": ".checks",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value
