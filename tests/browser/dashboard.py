"""What the browser tests do to the dashboard, in the page's own terms (its stable hooks)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from playwright.async_api import Page

from app.endpoints import ENDPOINTS, Endpoint
from app.params import StreamParams

FINAL_STATES = ("done", "error", "aborted")

ALL_SETTLED = """(states) => [...document.querySelectorAll('.column:not([hidden])')]
    .every((column) => states.includes(column.dataset.state))"""

COLUMNS = """() => Object.fromEntries([...document.querySelectorAll('.column:not([hidden])')].map((column) => [
    column.dataset.endpoint,
    {
        state: column.dataset.state,
        messages: Number(column.dataset.messages),
        texts: [...column.querySelectorAll('.row .text')].map((node) => node.textContent),
        error: column.querySelector('[data-role=error]').hidden ? null
            : column.querySelector('[data-role=error]').textContent,
        notice: column.querySelector('[data-role=notice]').hidden ? null
            : column.querySelector('[data-role=notice]').textContent,
        marks: document.querySelectorAll(`#timeline .lane[data-endpoint="${column.dataset.endpoint}"] .mark`).length,
    },
]))"""


def page_url(base_url: str, **query: object) -> str:
    # A list is a parameter given several times (`stream=a&stream=b`).
    text = urlencode({key: value for key, value in query.items() if value is not None}, doseq=True)
    return f"{base_url}/?{text}" if text else f"{base_url}/"


async def open_dashboard(page: Page, base_url: str, **query: object) -> None:
    await page.goto(page_url(base_url, **query))
    await page.wait_for_selector("#app[data-ready=true]", state="attached")


async def run_until_settled(page: Page, timeout_ms: float = 30_000) -> dict[str, dict[str, Any]]:
    """Press Run, wait until every visible column has ended, return the columns."""
    await page.click("#run")
    await page.wait_for_function(ALL_SETTLED, arg=list(FINAL_STATES), timeout=timeout_ms)
    return await columns(page)


async def columns(page: Page) -> dict[str, dict[str, Any]]:
    return await page.evaluate(COLUMNS)


async def export_json(page: Page) -> dict[str, Any]:
    """The run as the page exports it (its times are the page's own record)."""
    async with page.expect_download() as download_info:
        await page.click("#export-json")
    download = await download_info.value
    path = await download.path()
    return json.loads(path.read_text(encoding="utf-8"))


def by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {endpoint["name"]: endpoint for endpoint in document["endpoints"]}


def source_messages(endpoint: Endpoint, count: int | None = None) -> list[str]:
    """What the server sends for `endpoint`, one string per message, straight from its source."""
    params = StreamParams(count=count or endpoint.defaults.count, interval=0)
    return list(endpoint.source(params, None).messages)


#: How late the page's own timers fire, every `every` ms, from now until `page_lag_ms`:
#: what the machine, at this moment, does to any wake-up of this browser.
LAG_PROBE = """(every) => {
    const probe = { lags: [], timer: 0 };
    let due = performance.now() + every;
    const tick = () => {
        const now = performance.now();
        probe.lags.push(Math.max(0, now - due));
        due = now + every;
        probe.timer = setTimeout(tick, every);
    };
    probe.timer = setTimeout(tick, every);
    window.__lagProbe = probe;
}"""


async def start_lag_probe(page: Page, every_ms: float = 20) -> None:
    await page.evaluate(LAG_PROBE, every_ms)


async def page_lag_ms(page: Page) -> list[float]:
    """What the probe measured since `start_lag_probe`; it stops."""
    return await page.evaluate("() => { clearTimeout(window.__lagProbe.timer); return window.__lagProbe.lags; }")


def shown(text: str) -> str:
    """A message as a reader shows it: without its line break or the array's `[` `,` framing."""
    text = text.strip("\n")
    if text.startswith("[\n"):
        text = text[2:]
    return text.strip("\n").removesuffix(",").strip("\n")


__all__ = ["ENDPOINTS"]
