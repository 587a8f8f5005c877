"""The page itself: every registry endpoint listed, toggles, parameters in the URL."""

from __future__ import annotations

from playwright.async_api import Page, Request

from app.endpoints import ENDPOINTS
from tests.browser.dashboard import columns, open_dashboard, run_until_settled


async def test_page_lists_every_registry_endpoint(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)
    for endpoint in ENDPOINTS:
        toggle = page.locator(f'input[name="endpoint"][value="{endpoint.name}"]')
        assert await toggle.is_checked()
        column = page.locator(f'.column[data-endpoint="{endpoint.name}"]')
        assert await column.get_attribute("data-state") == "idle"
        assert await column.get_attribute("data-messages") == "0"
        assert endpoint.path in await column.inner_text()
    lanes = await page.locator("#timeline .lane").evaluate_all("(lanes) => lanes.map((l) => l.dataset.endpoint)")
    assert lanes == [endpoint.name for endpoint in ENDPOINTS]


async def test_an_endpoint_toggled_off_is_never_requested(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, interval="0.02")
    off = {"ndjson", "ws"}
    for name in off:
        await page.uncheck(f'input[name="endpoint"][value="{name}"]')
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("websocket", lambda socket: requested.append(socket.url))

    shown = await run_until_settled(page)

    assert set(shown) == {endpoint.name for endpoint in ENDPOINTS} - off
    assert all(column["state"] == "done" for column in shown.values()), shown
    streams = {endpoint.path for endpoint in ENDPOINTS if any(endpoint.path + "?" in url for url in requested)}
    assert streams == {endpoint.path for endpoint in ENDPOINTS if endpoint.name not in off}
    assert "endpoints=" in page.url and "ndjson" not in page.url.split("endpoints=")[1].split("&")[0]


async def test_choices_live_in_the_url_and_survive_a_reload(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,sse", count="3", interval="0.01")
    assert await page.input_value('input[name="count"]') == "3"
    assert await page.is_checked('input[name="endpoint"][value="sse"]')
    assert not await page.is_checked('input[name="endpoint"][value="json"]')

    await page.fill('input[name="count"]', "4")
    await page.click('button[data-preset="drip"]')
    assert "count=10" in page.url and "interval=2" in page.url
    await page.fill('input[name="interval"]', "0.01")
    await page.reload()
    await page.wait_for_selector("#app[data-ready=true]", state="attached")

    assert await page.input_value('input[name="count"]') == "10"
    assert await page.input_value('input[name="interval"]') == "0.01"
    visible = await columns(page)
    assert set(visible) == {"chunked", "sse"}


async def test_requests_go_only_to_this_server(page: Page, base_url: str) -> None:
    """Every request stays on this server's port (its own name or a lane name)."""
    port = base_url.rsplit(":", 1)[1]
    urls: list[Request] = []
    page.on("request", lambda request: urls.append(request))
    await open_dashboard(page, base_url, interval="0", count="2")
    await run_until_settled(page)
    hosts = {request.url.split("/")[2] for request in urls}
    assert all(host.endswith(f":{port}") for host in hosts), hosts


async def test_the_keyboard_alone_runs_and_stops(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked", count=100, interval=0.05)
    for control in ("count", "interval (s)", "size (bytes)", "a host name per stream"):
        assert await page.get_by_label(control, exact=True).count() == 1, control
    await page.get_by_label("count", exact=True).focus()
    await page.keyboard.press("Enter")
    await page.wait_for_selector('.column[data-endpoint="chunked"][data-state="streaming"]')
    await page.focus("#stop")
    await page.keyboard.press("Enter")
    await page.wait_for_selector('.column[data-endpoint="chunked"][data-state="aborted"]')
