"""Every typed application key."""

from __future__ import annotations

import weakref

from aiohttp import web

from app.settings import Settings
from app.streams import StreamStats

settings_key = web.AppKey("settings", Settings)
stream_stats_key = web.AppKey("stream_stats", StreamStats)
#: Open WebSockets, closed with 1001 (going away) on shutdown.
websockets_key = web.AppKey("websockets", weakref.WeakSet[web.WebSocketResponse])
