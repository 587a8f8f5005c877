"""The server answers only the host names it serves, so a DNS-rebinding page (its own name
resolving to 127.0.0.1) gets nothing: not the page, not a stream, not a WebSocket. A
malformed Host is a clean 400, and the page's policy is built from validated names only.
"""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from app import Settings, create_app
from app.server.hosts import AllowedHosts, HostHeader, parse_host
from app.server.keys import allowed_hosts_key
from app.server.settings import settings_from_args
from tests.helpers import WS_ENDPOINTS

SERVED = AllowedHosts.of("127.0.0.1", ["shop.example", ".corp.example"])


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("127.0.0.1:8080", HostHeader("127.0.0.1", 8080)),
        ("LOCALHOST", HostHeader("localhost", None)),
        ("[::1]:8080", HostHeader("::1", 8080)),
        ("lane3.localhost:8080", HostHeader("lane3.localhost", 8080)),
        ("example.com.", HostHeader("example.com", None)),
        ("127.0.0.1:99999", None),
        ("127.0.0.1:0", None),
        ("127.0.0.1:", None),
        ("127.0.0.1:80a", None),
        ("x; script-src *", None),
        ("[::1", None),
        ("[evil]:80", None),
        ("a..b", None),
        ("-a.b", None),
        ("", None),
    ],
)
def test_a_host_header_is_a_name_and_an_optional_port(value: str, parsed: HostHeader | None) -> None:
    assert parse_host(value) == parsed


@pytest.mark.parametrize(
    ("name", "served"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("lane0.localhost", True),
        ("lane7.localhost", True),
        ("shop.example", True),
        ("a.corp.example", True),
        ("corp.example", True),
        ("evil.example", False),
        ("notcorp.example", False),
        ("shop.example.evil", False),
        ("evil.localhost", False),
        ("10.0.0.1", False),
    ],
)
def test_the_served_names_are_loopback_lanes_the_bound_address_and_the_listed(name: str, served: bool) -> None:
    assert SERVED.allows(name) is served


def test_the_bound_address_is_served_unless_it_binds_everything() -> None:
    assert AllowedHosts.of("192.0.2.7").allows("192.0.2.7")
    assert not AllowedHosts.of("0.0.0.0").allows("0.0.0.0")


async def get(server: TestServer, path: str, host: str, **headers: str) -> tuple[int, dict[str, object] | str]:
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{server.port}{path}"
        async with session.get(url, headers={"Host": host, **headers}) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.text()


@pytest.mark.parametrize("path", ["/", "/chunked?count=1&interval=0", "/api/endpoints", "/static/css/app.css"])
async def test_a_rebinding_host_gets_400_everywhere(server: TestServer, path: str) -> None:
    status, body = await get(server, path, f"evil.example:{server.port}")
    assert status == 400
    assert isinstance(body, dict) and body["param"] == "Host"


async def test_a_rebound_websocket_is_refused_before_the_upgrade(server: TestServer) -> None:
    host = f"evil.example:{server.port}"
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(
                f"http://127.0.0.1:{server.port}{WS_ENDPOINTS[0].path}",
                headers={"Host": host, "Origin": f"http://{host}"},
            )
    assert refused.value.status == 400


@pytest.mark.parametrize("host", ["127.0.0.1:99999", "x; script-src *", "[::1", "a b:80"])
async def test_a_malformed_host_is_a_clean_400(server: TestServer, host: str, caplog: pytest.LogCaptureFixture) -> None:
    status, body = await get(server, "/", host)
    assert status == 400
    assert isinstance(body, dict) and body["param"] == "Host"
    assert [record for record in caplog.records if record.levelname == "ERROR"] == []


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "lane3.localhost", "[::1]"])
async def test_loopback_names_get_the_page_with_a_policy_of_validated_parts(server: TestServer, host: str) -> None:
    async with aiohttp.ClientSession() as session:
        headers = {"Host": f"{host}:{server.port}"}
        async with session.get(f"http://127.0.0.1:{server.port}/", headers=headers) as response:
            assert response.status == 200
            policy = response.headers["Content-Security-Policy"]
    assert f"connect-src 'self' http://*.localhost:{server.port};" in policy
    assert host not in policy.replace("*.localhost", "")


@pytest.fixture
def settings() -> Settings:
    return Settings(allowed_hosts=("shop.example",))


async def test_a_listed_name_is_served_and_its_pages_may_open_the_websocket(server: TestServer) -> None:
    host = f"shop.example:{server.port}"
    assert (await get(server, "/chunked?count=1&interval=0", host))[0] == 200
    async with aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{server.port}/ws?count=1&interval=0"
        async with session.ws_connect(url, headers={"Host": host, "Origin": f"http://{host}"}) as ws:
            assert (await ws.receive()).data == "WebSocket message 0"


async def test_a_served_host_still_refuses_a_page_of_another_site_on_its_websocket(server: TestServer) -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(
                f"http://127.0.0.1:{server.port}/ws",
                headers={"Host": f"127.0.0.1:{server.port}", "Origin": f"http://evil.example:{server.port}"},
            )
    assert refused.value.status == 403


def test_allowed_hosts_come_from_the_option_or_the_environment() -> None:
    assert settings_from_args(["--allowed-hosts", "a.example, .b.example"], {}).allowed_hosts == (
        "a.example",
        ".b.example",
    )
    assert settings_from_args([], {"TRANSPORT_LAB_ALLOWED_HOSTS": "c.example"}).allowed_hosts == ("c.example",)


def test_a_bad_allowed_host_names_its_variable(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        settings_from_args([], {"TRANSPORT_LAB_ALLOWED_HOSTS": "good.example,bad name"})
    assert exit_.value.code == 2
    assert "TRANSPORT_LAB_ALLOWED_HOSTS" in capsys.readouterr().err


def test_create_app_serves_the_listed_names() -> None:
    assert create_app(Settings(allowed_hosts=("x.example",)))[allowed_hosts_key].allows("x.example")
