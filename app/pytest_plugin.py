"""The pytest plugin (registered by entry point as `transport_lab`): a `check_stream`
fixture, so a test pins "this endpoint streams" in a few lines:

    async def test_events_stream(aiohttp_server, check_stream):
        server = await aiohttp_server(create_app())
        await check_stream(server.make_url("/events"), first_message_within_ms=200)

It fails with the verdict, the figures and the likely causes with their evidence and fixes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from .checks import check_stream as _check_stream
from .client.diagnose.report import Diagnosis

CheckStream = Callable[..., Awaitable[Diagnosis]]


@pytest.fixture
def check_stream() -> CheckStream:
    """`await check_stream(url, expect="progressive", first_message_within_ms=..., max_gap_ms=...)`."""

    async def check(url: Any, *args: Any, **kwargs: Any) -> Diagnosis:
        __tracebackhide__ = True  # the failure is the stream's, shown at the test's line
        return await _check_stream(str(url), *args, **kwargs)

    return check
