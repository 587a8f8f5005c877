"""Every typed application key."""

from __future__ import annotations

import asyncio

from aiohttp import web

from app.settings import Settings
from app.streams import StreamStats

settings_key = web.AppKey("settings", Settings)
stream_stats_key = web.AppKey("stream_stats", StreamStats)
#: Set when the server starts shutting down: every stream ends itself cleanly.
stopping_key = web.AppKey("stopping", asyncio.Event)
