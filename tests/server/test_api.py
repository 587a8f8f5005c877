"""The registry API, health, and the headers that keep the page safe."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from app.endpoints import ENDPOINTS


async def test_api_endpoints_lists_the_registry(client: TestClient[web.Request, None]) -> None:
    async with client.get("/api/endpoints") as response:
        document = await response.json()
    listed = {entry["name"]: entry for entry in document["endpoints"]}
    assert list(listed) == [endpoint.name for endpoint in ENDPOINTS]
    for endpoint in ENDPOINTS:
        entry = listed[endpoint.name]
        assert entry["path"] == endpoint.path
        assert entry["transport"] == endpoint.transport.value
        assert entry["content_type"] == endpoint.content_type
        assert entry["defaults"]["count"] == endpoint.defaults.count
        assert entry["format"]["message"]
        assert (entry["format"]["stamped"] is None) == (not endpoint.stampable)
    assert {param["name"] for param in document["params"]} == {
        "count",
        "interval",
        "size",
        "stamp",
        "drop",
        "idle",
        "heartbeat",
        "via",
    }


async def test_api_endpoints_gives_the_bounds_as_json_numbers(client: TestClient[web.Request, None]) -> None:
    async with client.get("/api/endpoints") as response:
        document = await response.json()
    ranges = {param["name"]: (param["min"], param["max"]) for param in document["params"] if "min" in param}
    assert ranges == {
        "count": (1, 1000000),
        "interval": (0, 60),
        "size": (0, 1048576),
        "stamp": (0, 1),
        "drop": (1, 1000000),
        "idle": (0.1, 3600),
        "heartbeat": (0.05, 3600),
    }
    assert all(type(end) in (int, float) for pair in ranges.values() for end in pair)


async def test_healthz_reports_active_streams(client: TestClient[web.Request, None]) -> None:
    async with client.get("/healthz") as response:
        assert response.status == 200
        assert (await response.json())["active_streams"] == 0


async def test_page_sends_a_strict_content_security_policy(client: TestClient[web.Request, None]) -> None:
    async with client.get("/") as response:
        assert response.status == 200
        policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in policy and "*" not in directives["script-src"]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://127.0.0.1:{port}", True),
        ("http://localhost:{port}", True),
        ("http://evil.example", False),
        ("http://localhost:1", False),
        ("http://lane1.localhost:{port}", False),
        ("null", False),
    ],
)
async def test_cors_is_answered_only_for_the_dashboards_origins(
    origin: str, allowed: bool, server, session: aiohttp.ClientSession
) -> None:
    origin = origin.format(port=server.port)
    async with session.get(server.make_url("/chunked?interval=0"), headers={"Origin": origin}) as response:
        await response.read()
    assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed
    # The page reads a lane's Resource Timing (queued time, encoded size) only with this.
    assert (response.headers.get("Timing-Allow-Origin") == origin) is allowed
    if not allowed:
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Timing-Allow-Origin" not in response.headers


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
async def test_a_method_the_api_does_not_take_is_a_json_405_with_allow(
    client: TestClient[web.Request, None], method: str
) -> None:
    async with client.request(method, "/api/endpoints") as response:
        assert response.status == 405
        assert "GET" in response.headers["Allow"]
        assert (await response.json())["error"].startswith(f"{method} is not allowed on /api/endpoints")


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/nope", "/api/endpoints/x"])
async def test_an_unknown_api_path_is_a_json_404(client: TestClient[web.Request, None], path: str) -> None:
    async with client.get(path) as response:
        assert response.status == 404
        assert response.content_type == "application/json"
        assert "no API at" in (await response.json())["error"]
