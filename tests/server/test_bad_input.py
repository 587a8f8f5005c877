"""Bad input, for every endpoint: a 400 with a JSON body naming the parameter, before any
streaming starts, and a server that stays healthy and logs no error."""

from __future__ import annotations

import logging

import pytest
import websockets
from aiohttp import web
from aiohttp.test_utils import TestClient
from websockets.asyncio.client import connect

from app.endpoints import ENDPOINTS, Endpoint
from app.params import MAX_DURATION_SECONDS, StreamParams
from app.transport import Transport
from tests.helpers import ids

BAD_QUERIES = [
    ("count=0", "count"),
    ("count=-5", "count"),
    ("count=1000001", "count"),
    ("count=ten", "count"),
    ("count=" + "9" * 200, "count"),
    ("interval=NaN", "interval"),
    ("interval=inf", "interval"),
    ("interval=-1", "interval"),
    ("interval=61", "interval"),
    ("size=-1", "size"),
    ("size=1048577", "size"),
    ("stamp=true", "stamp"),
    ("colour=red", "colour"),
    ("count=1&count=2", "count"),
    ("count=1000000&interval=1", "interval"),
]


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.transport is not Transport.WEBSOCKET], ids=ids)
@pytest.mark.parametrize(("query", "param"), BAD_QUERIES)
async def test_bad_query_gets_400_json_naming_the_param(
    endpoint: Endpoint, query: str, param: str, client: TestClient[web.Request, None], caplog: pytest.LogCaptureFixture
) -> None:
    async with client.get(f"{endpoint.path}?{query}") as response:
        assert response.status == 400
        assert response.content_type == "application/json"
        body = await response.json()
    assert body["param"] == param
    assert body["error"]
    async with client.get("/healthz") as health:
        assert health.status == 200
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]


@pytest.mark.parametrize(("query", "param"), BAD_QUERIES)
async def test_bad_websocket_query_is_refused_before_the_upgrade(query: str, param: str, server) -> None:
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with connect(f"ws://{server.host}:{server.port}/ws?{query}"):
            pass
    assert refused.value.response.status_code == 400
    assert b'"param": "%s"' % param.encode() in refused.value.response.body


async def test_buffered_body_over_the_cap_is_refused(client: TestClient[web.Request, None]) -> None:
    async with client.get("/non-chunked?count=100000&size=1000&interval=0") as response:
        assert response.status == 400
        assert (await response.json())["param"] == "size"
    async with client.get("/non-chunked?count=1000000&interval=0") as response:
        assert response.status == 400
        assert (await response.json())["param"] == "count"


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("count=0", "count must be between 1 and 1000000, not '0'"),
        ("size=2000000", "size must be between 0 and 1048576, not '2000000'"),
    ],
)
async def test_a_400_writes_the_bounds_as_plain_integers(
    query: str, error: str, client: TestClient[web.Request, None]
) -> None:
    async with client.get(f"/chunked?{query}") as response:
        assert response.status == 400
        assert (await response.json())["error"] == error


@pytest.mark.parametrize("last_id", ["abc", "-1", "5", "99999999999999999999999999999999999", "\u0663", "\uff11"])
async def test_sse_bad_last_event_id_is_refused(last_id: str, client: TestClient[web.Request, None]) -> None:
    async with client.get("/sse", headers={"Last-Event-ID": last_id}) as response:
        assert response.status == 400
        assert (await response.json())["param"] == "Last-Event-ID"


async def test_unknown_api_path_is_json_404(client: TestClient[web.Request, None]) -> None:
    async with client.get("/api/nope") as response:
        assert response.status == 404
        assert "error" in await response.json()


def _longest_count(endpoint: Endpoint, interval: float) -> int:
    """The largest count whose stream still fits the duration cap at `interval`."""
    count = 1
    while endpoint.messages(StreamParams(count=count + 1, interval=interval)) * interval <= MAX_DURATION_SECONDS:
        count += 1
    return count


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.rule.per_count > 1], ids=ids)
async def test_the_duration_cap_counts_messages_not_count(client: TestClient, endpoint: Endpoint) -> None:
    """Nested JSON sends about five messages per user: count x interval would let it run five hours."""
    count = _longest_count(endpoint, 1.0)
    assert count * 1.0 <= MAX_DURATION_SECONDS  # the old count x interval check lets this through
    response = await client.get(endpoint.path, params={"count": str(count + 1), "interval": "1"})
    assert response.status == 400
    body = await response.json()
    assert body["param"] == "interval" and "over the 3600 s a stream may last" in body["error"], body
    async with client.get(endpoint.path, params={"count": str(count), "interval": "1"}) as fits:
        assert fits.status == 200  # left at once: the first message is all this test needs
