"""Controls that tell the truth before Run: values checked on their fields (and nothing sent),
what each stream will send, stale results, a calm live region, Escape, and the WebSocket send box."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, Request, WebSocket

from app.endpoints import ENDPOINTS, ENDPOINTS_BY_NAME
from app.params import BOUNDS, MAX_DURATION_SECONDS, StreamParams
from tests.browser.dashboard import ALL_SETTLED, FINAL_STATES, columns, open_dashboard, run_until_settled

STREAM_PATHS = tuple(endpoint.path for endpoint in ENDPOINTS)

FIELD = """(name) => {
    const input = document.querySelector(`#controls [name="${name}"]`);
    const ids = (input.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean);
    const described = ids.map((id) => document.getElementById(id)).filter((node) => node && !node.hidden);
    return {
        value: input.value,
        invalid: input.getAttribute('aria-invalid'),
        message: described.map((node) => node.textContent).join(' '),
    };
}"""

PLAN = """() => Object.fromEntries([...document.querySelectorAll('#plan .plan-row')].map((row) => [
    row.dataset.endpoint,
    {messages: Number(row.dataset.messages), durationMs: Number(row.dataset.durationMs), text: row.textContent},
]))"""

ECHOES = """(items) => items.map((item) => [
    item.querySelector('.echo-text').textContent, item.querySelector('.echo-rtt').textContent,
])"""


def stream_requests(page: Page) -> list[str]:
    """Every request (and WebSocket) to a stream endpoint from now on."""
    seen: list[str] = []

    def on_request(request: Request) -> None:
        if any(f"{path}?" in request.url or request.url.endswith(path) for path in STREAM_PATHS):
            seen.append(request.url)

    def on_socket(socket: WebSocket) -> None:
        seen.append(socket.url)

    page.on("request", on_request)
    page.on("websocket", on_socket)
    return seen


def range_words(name: str) -> str:
    """The bound as the page must print it: integers with thousands separators, never 1e+06."""
    bound = BOUNDS[name]
    return f"from {bound.minimum:,.0f} to {bound.maximum:,.0f}"


async def press_run_and_settle(page: Page) -> None:
    """Click Run, then give the page every chance to send something (a worker round trip)."""
    await page.click("#run")
    await page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 300)))")


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("count", "abc"),
        ("count", "0"),
        ("count", "-5e"),
        ("count", "1e6"),
        ("count", "1000001"),
        ("size", "1048577"),
        ("interval", "61"),
        ("interval", "1e-3"),
        ("drop", "0"),
    ],
)
async def test_a_bad_value_in_the_url_is_kept_marked_and_nothing_is_sent(
    page: Page, base_url: str, name: str, raw: str
) -> None:
    await open_dashboard(page, base_url, **{name: raw})
    field = await page.evaluate(FIELD, name)
    assert field["value"] == raw, "a URL value is shown as it is, never replaced by a default"
    assert field["invalid"] == "true", field
    assert name in field["message"] and range_words(name) in field["message"], field
    assert "e+" not in field["message"]
    assert f"{name}={raw}" in page.url.replace("%2B", "+")

    requested = stream_requests(page)
    await press_run_and_settle(page)

    assert requested == []
    assert (await page.evaluate(FIELD, name))["invalid"] == "true"
    assert raw in await page.inner_text("#status") or name in await page.inner_text("#status")
    assert await page.evaluate("document.activeElement.name") == name
    states = {column["state"] for column in (await columns(page)).values()}
    assert states == {"idle"}, states


# The values the URL test above does not run through the same checks (validate.js): typing
# is a second way in, and each of these a different way to be wrong.
@pytest.mark.parametrize("raw", ["abc", "2000000", "5.5"])
async def test_a_bad_value_typed_is_marked_and_run_sends_nothing(page: Page, base_url: str, raw: str) -> None:
    await open_dashboard(page, base_url)
    await page.fill('input[name="count"]', raw)
    requested = stream_requests(page)
    await press_run_and_settle(page)

    field = await page.evaluate(FIELD, "count")
    assert field["invalid"] == "true", field
    assert field["message"].startswith("count must be a whole number from 1 to 1,000,000"), field
    assert requested == []
    assert "Not run" in await page.inner_text("#status")

    # Mended, the mark goes and Run runs.
    await page.fill('input[name="count"]', "2")
    assert (await page.evaluate(FIELD, "count"))["invalid"] is None
    await page.fill('input[name="interval"]', "0")
    await page.uncheck('input[name="endpoint"][value="ws"]')
    shown = await run_until_settled(page)
    assert {column["state"] for column in shown.values()} == {"done"}
    assert requested, "a valid Run requests its streams"


async def test_a_stream_that_would_outlast_the_servers_cap_is_refused_in_the_page(page: Page, base_url: str) -> None:
    """count x interval is 720 s, but nested JSON sends 5 x 720 + 6 messages: an hour and more."""
    nested = ENDPOINTS_BY_NAME["json-nested"]
    messages = nested.messages(StreamParams(count=720, interval=5))
    assert 720 * 5 <= MAX_DURATION_SECONDS < messages * 5
    await open_dashboard(page, base_url, count="720", interval="5")
    requested = stream_requests(page)
    await press_run_and_settle(page)
    field = await page.evaluate(FIELD, "interval")
    assert field["invalid"] == "true", field
    assert f"json-nested would send {messages:,} messages" in field["message"], field
    assert requested == []


async def test_good_values_are_not_marked(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, count="1000000", interval="0.0001", size="1048576", drop="3")
    for name in ("count", "interval", "size", "drop"):
        field = await page.evaluate(FIELD, name)
        assert field["invalid"] is None and field["message"] == "", (name, field)


async def test_the_plan_at_the_defaults_is_the_tutorials(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)
    plan = await page.evaluate(PLAN)
    assert set(plan) == {endpoint.name for endpoint in ENDPOINTS}
    for endpoint in ENDPOINTS:
        messages = len(list(endpoint.source(endpoint.defaults, None).messages))
        assert plan[endpoint.name]["messages"] == messages, endpoint.name
        assert plan[endpoint.name]["durationMs"] == pytest.approx(messages * endpoint.defaults.interval * 1000)
    assert "chunked5 msgs · 5.0 s" in plan["chunked"]["text"]
    assert "16 msgs · 8.0 s" in plan["json-nested"]["text"] and "count = 2 users" in plan["json-nested"]["text"]
    assert "count = 3 items" in plan["ijson"]["text"]


async def test_the_plan_follows_the_controls_and_is_what_the_streams_deliver(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)
    await page.fill('input[name="count"]', "3")
    await page.fill('input[name="size"]', "4")
    await page.fill('input[name="interval"]', "0")
    await page.uncheck('input[name="endpoint"][value="sse"]')
    plan = await page.evaluate(PLAN)
    assert "sse" not in plan
    nested = ENDPOINTS_BY_NAME["json-nested"]
    assert plan["json-nested"]["messages"] == nested.messages(StreamParams(count=3, interval=0, size=4)) == 24

    shown = await run_until_settled(page)

    assert {name: column["messages"] for name, column in shown.items()} == {
        name: row["messages"] for name, row in plan.items()
    }
    assert {column["state"] for column in shown.values()} == {"done"}


async def test_the_live_region_speaks_a_few_times_per_run(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,ws", count=20, interval=0.05)
    await page.evaluate("""() => {
        window.statusChanges = [];
        new MutationObserver(() => window.statusChanges.push(document.getElementById('status').textContent))
            .observe(document.getElementById('status'), {childList: true, characterData: true, subtree: true});
    }""")
    await run_until_settled(page)
    await page.wait_for_timeout(100)
    changes = await page.evaluate("window.statusChanges")
    assert 1 <= len(changes) <= 4, changes
    assert changes[-1].startswith("Finished in") and "2 done" in changes[-1], changes
    # The ticking clock is elsewhere, and says nothing to a screen reader.
    assert await page.get_attribute("#elapsed", "aria-live") == "off"
    outside = "document.getElementById('status').contains(document.getElementById('elapsed'))"
    assert await page.evaluate(outside) is False


async def test_escape_stops_a_running_run(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,ws", count=200, interval=0.05)
    await page.click("#run")
    await page.wait_for_selector('.column[data-endpoint="chunked"][data-state="streaming"]')
    await page.keyboard.press("Escape")
    await page.wait_for_function(ALL_SETTLED, arg=["aborted"], timeout=5_000)
    assert (await page.inner_text("#status")).startswith("Stopped at")
    stop_t = await page.evaluate("() => document.getElementById('stop').disabled")
    assert stop_t is True


async def test_escape_already_taken_by_something_else_does_not_stop(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked", count=40, interval=0.05)
    await page.evaluate("""() => document.addEventListener('keydown', (event) => {
        if (event.key === 'Escape') event.preventDefault();
    }, {capture: true})""")
    await page.click("#run")
    await page.wait_for_selector('.column[data-endpoint="chunked"][data-state="streaming"]')
    await page.keyboard.press("Escape")
    shown = await columns(page)
    assert shown["chunked"]["state"] == "streaming"
    await page.click("#stop")


async def test_results_go_stale_when_the_controls_change_and_run_clears_it(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,json", count=2, interval=0)
    await run_until_settled(page)
    assert await page.get_attribute("#app", "data-stale") == "false"
    assert await page.is_hidden("#stale-note")

    await page.fill('input[name="count"]', "3")
    assert await page.get_attribute("#app", "data-stale") == "true"
    assert "previous settings" in await page.inner_text("#stale-note")
    await page.fill('input[name="count"]', "2")
    assert await page.get_attribute("#app", "data-stale") == "false", "back to the run's settings"

    await page.check('input[name="endpoint"][value="ndjson"]')
    assert await page.get_attribute("#app", "data-stale") == "true"
    fresh = page.locator('.column[data-endpoint="ndjson"]')
    assert await fresh.get_attribute("data-state") == "not-run"
    assert "not in this run" in (await fresh.locator('[data-role="state"]').inner_text()).lower()

    shown = await run_until_settled(page)
    assert shown["ndjson"]["state"] == "done"
    assert await page.get_attribute("#app", "data-stale") == "false"
    assert await page.is_hidden("#stale-note")


async def test_text_sent_over_the_open_websocket_comes_back_as_an_echo(page: Page, base_url: str) -> None:
    count = 40
    await open_dashboard(page, base_url, endpoints="ws", count=count, interval=0.1)
    box = page.locator('.column[data-endpoint="ws"] [data-role="ws-send"]')
    assert await box.locator("input").is_disabled()
    assert "Run" in await box.locator('[data-role="send-why"]').inner_text()

    sockets: list[WebSocket] = []
    sent: list[str | bytes] = []

    def on_socket(socket: WebSocket) -> None:
        sockets.append(socket)
        socket.on("framesent", lambda payload: sent.append(payload))

    page.on("websocket", on_socket)
    await page.click("#run")
    await page.wait_for_selector('[data-role="ws-send"][data-open="true"]')
    await box.locator("input").fill("hello <b>there</b>")
    await box.locator("button").click()
    await page.wait_for_selector('[data-role="ws-send"][data-echoes="1"]', timeout=5_000)

    echoes = await box.locator(".echo").evaluate_all(ECHOES)
    assert echoes[0][0] == "hello <b>there</b>" and echoes[0][1].endswith("ms"), echoes
    assert await box.locator("b").count() == 0
    assert len(sockets) == 1 and "hello <b>there</b>" in sent, "sent over the stream's own socket"
    await page.wait_for_function(ALL_SETTLED, arg=list(FINAL_STATES), timeout=15_000)
    ws = (await columns(page))["ws"]
    assert ws["state"] == "done" and ws["messages"] == count, "an echo is not a stream message"
    assert all("there" not in text for text in ws["texts"])
    assert await box.locator("input").is_disabled()
    assert "Run to open it again" in await box.locator('[data-role="send-why"]').inner_text()
