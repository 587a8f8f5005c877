"""Every typed application key."""

from __future__ import annotations

from aiohttp import web

from .fairness import LoopShare, Turns
from .hosts import AllowedHosts
from .lag import LoopLag
from .settings import Settings
from .shutdown import Shutdown
from .streams import StreamStats

settings_key = web.AppKey("settings", Settings)
stream_stats_key = web.AppKey("stream_stats", StreamStats)
#: Started when the server starts shutting down: every stream ends itself cleanly.
shutdown_key = web.AppKey("shutdown", Shutdown)
#: The host names the server answers to; any other `Host` gets 400.
allowed_hosts_key = web.AppKey("allowed_hosts", AllowedHosts)
#: How late the event loop runs, sampled all the time (reported by /healthz).
loop_lag_key = web.AppKey("loop_lag", LoopLag)
#: Busy streams (nothing to wait for) take the loop in turns, one slice per pass.
turns_key = web.AppKey("turns", Turns)
#: The share of the loop the culprit relays may use together (their compression).
relay_share_key = web.AppKey("relay_share", LoopShare)
