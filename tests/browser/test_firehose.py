"""A firehose (every endpoint at once, interval 0, thousands of messages each) never holds the
page's main thread for long, and every message is still counted, in every place it is shown."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page

from app.endpoints import ENDPOINTS
from app.params import BOUNDS
from tests.browser.dashboard import open_dashboard, run_until_settled, source_messages
from tests.machine import Preemption

COUNT = min(3000, int(BOUNDS["count"].maximum))
#: What the browser reports as a long task, and what the page may never exceed on an idle machine.
LONG_TASK_MS = 50

#: Every long task from now on (and any already buffered), with when it began.
OBSERVE_LONG_TASKS = """() => {
    window.longTasks = [];
    window.longTaskObserver = new PerformanceObserver((list) => window.longTasks.push(
        ...list.getEntries().map((entry) => ({ start: entry.startTime, ms: entry.duration }))));
    window.longTaskObserver.observe({ type: 'longtask', buffered: true });
    return performance.now();
}"""

#: The long tasks that began at or after `since` (ms, the page's clock); those still queued too.
LONG_TASKS_SINCE = """(since) => [...window.longTasks,
    ...window.longTaskObserver.takeRecords().map((entry) => ({ start: entry.startTime, ms: entry.duration }))]
    .filter((task) => task.start >= since).map((task) => Math.round(task.ms))"""

#: How much of a stream the page draws: rows in its column, marks in its lane.
CAPS = """async () => ({
    rows: (await import('/static/js/columns.js')).MAX_ROWS,
    marks: (await import('/static/js/timeline.js')).MAX_MARKS,
})"""

#: Every column has drawn its rows and every lane its marks: the page is done with the run.
DRAWN = """({ rows, marks }) => [...document.querySelectorAll('.column:not([hidden])')].every((column) => {
    const n = Number(column.dataset.messages);
    const lane = document.querySelector(`#timeline .lane[data-endpoint="${column.dataset.endpoint}"]`);
    return column.querySelectorAll('.row').length === Math.min(n, rows)
        && lane.querySelectorAll('.mark').length === Math.min(n, marks);
})"""

#: Each stream's count as the page shows it: its column, its summary row, and its lane (the
#: marks drawn, and the band's "+N more" for the rest).
SHOWN_COUNTS = """() => Object.fromEntries([...document.querySelectorAll('.column:not([hidden])')].map((column) => {
    const name = column.dataset.endpoint;
    const lane = document.querySelector(`#timeline .lane[data-endpoint="${name}"]`);
    const band = lane.querySelector('.band-count');
    const more = band && band.getAttribute('visibility') !== 'hidden' ? band.textContent : '';
    return [name, {
        column: column.querySelector('[data-role="count"]').textContent,
        summary: document.querySelector(`#summary-rows tr[data-endpoint="${name}"] [data-field="count"]`).textContent,
        marks: lane.querySelectorAll('.mark').length,
        more: Number(more.replace(/[^0-9]/g, '') || 0),
    }];
}))"""


def as_shown(n: int) -> str:
    return f"{n:,}"


async def firehose(page: Page, base_url: str) -> tuple[dict[str, dict[str, Any]], list[int], Preemption]:
    """Every endpoint at COUNT and interval 0, until the page has drawn it all: the columns, the
    long tasks from Run on, and what the machine did meanwhile."""
    await open_dashboard(page, base_url, count=COUNT, interval=0)
    caps = await page.evaluate(CAPS)
    since = await page.evaluate(OBSERVE_LONG_TASKS)
    with Preemption() as machine:
        shown = await run_until_settled(page, timeout_ms=120_000)
        await page.wait_for_function(DRAWN, arg=caps, timeout=30_000)
        tasks = await page.evaluate(LONG_TASKS_SINCE, since)
    return shown, tasks, machine


async def test_a_firehose_never_holds_the_main_thread_and_counts_every_message(page: Page, base_url: str) -> None:
    shown, tasks, machine = await firehose(page, base_url)
    # A frame's work is bounded whatever has arrived: no task of the page's lasts longer than
    # a long task's 50 ms, stretched by the share of a core a busy process got meanwhile and
    # by the longest it waited for one, as measured on this machine during this run.
    allowed_ms = machine.allows(LONG_TASK_MS / 1000) * 1000
    print(f"long tasks {tasks} ms; allowed {allowed_ms:.0f} ms: {machine}")
    assert all(task < allowed_ms for task in tasks), (tasks, f"allowed {allowed_ms:.0f} ms", str(machine))

    assert set(shown) == {endpoint.name for endpoint in ENDPOINTS}, sorted(shown)
    counts = await page.evaluate(SHOWN_COUNTS)
    for endpoint in ENDPOINTS:
        expected = len(source_messages(endpoint, COUNT))
        column = shown[endpoint.name]
        assert column["state"] == "done", (endpoint.name, column["state"], column["error"])
        assert column["messages"] == expected, (endpoint.name, column["messages"], expected)
        seen = counts[endpoint.name]
        assert seen["column"] == seen["summary"] == as_shown(expected), (endpoint.name, seen, expected)
        # The lane draws some messages as marks and says how many more its band holds: all of them.
        assert seen["marks"] + seen["more"] == expected, (endpoint.name, seen, expected)
