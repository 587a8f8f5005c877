"""Export that is true (the parameters that ran, a summary per stream, every stream in the
CSV, built without stalling the page) and the runs the page keeps, loads back and compares."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from playwright.async_api import Page

from app.endpoints import ENDPOINTS
from tests.browser.dashboard import (
    ALL_SETTLED,
    FINAL_STATES,
    by_name,
    columns,
    open_dashboard,
    run_until_settled,
)
from tests.machine import Preemption

#: The runs the page keeps (static/js/history-store.js MAX_RUNS), as the README says.
MAX_RUNS = 10
#: What the browser reports as a long task: one that kept the page busy for over 50 ms.
LONG_TASK_MS = 50
CSV_HEADER = ["endpoint", "index", "receive_ms", "server_sent_ms", "delay_ms", "payload_bytes", "wire_bytes", "text"]

HAS_MESSAGES = """([name, n]) =>
    Number(document.querySelector(`.column[data-endpoint="${name}"]`).dataset.messages) >= n"""

#: What each visible column shows of a stream: the figures a kept run must show again.
FIGURES = """() => Object.fromEntries([...document.querySelectorAll('.column:not([hidden])')].map((column) => [
    column.dataset.endpoint,
    Object.fromEntries(['first', 'last', 'count'].map((role) =>
        [role, column.querySelector(`[data-role="${role}"]`).textContent])),
]))"""

#: The comparison table: {endpoint: {field: [A's text, B's text]}}.
COMPARED = """() => Object.fromEntries([...document.querySelectorAll('#runs-compare-rows tr')].map((row) => [
    row.dataset.endpoint,
    Object.fromEntries(['first', 'last', 'count', 'wire', 'outcome'].map((field) => [field,
        ['a', 'b'].map((run) => row.querySelector(`td[data-run="${run}"][data-field="${field}"]`).textContent)])),
]))"""

#: The kept runs as listed, newest first.
LISTED = """() => [...document.querySelectorAll('#runs-rows tr')].map((row) => ({
    id: row.dataset.runId, source: row.dataset.source,
    cells: [...row.querySelectorAll('td')].slice(3).map((td) => td.textContent),
    kept: row.querySelector('td.kept').textContent, sampled: row.querySelector('td.kept').classList.contains('sampled'),
}))"""


async def download(page: Page, button: str) -> Path:
    async with page.expect_download(timeout=60_000) as download_info:
        await page.click(button)
    return Path(await (await download_info.value).path())


async def kept_runs(page: Page, n: int) -> list[dict[str, Any]]:
    """Wait until the Runs panel lists `n` runs, and return them."""
    await page.wait_for_function("(n) => document.querySelectorAll('#runs-rows tr').length === n", arg=n)
    return await page.evaluate(LISTED)


async def stop_when(page: Page, name: str, messages: int) -> None:
    """Run, let `name` deliver `messages`, press Stop and wait until every stream has ended."""
    await page.click("#run")
    await page.wait_for_function(HAS_MESSAGES, arg=[name, messages], timeout=20_000)
    await page.click("#stop")
    await page.wait_for_function(ALL_SETTLED, arg=list(FINAL_STATES))


def ms(text: str) -> float:
    value, unit = text.split()
    return float(value) * (1000 if unit == "s" else 1)


async def test_the_export_says_which_parameters_each_stream_ran_with_at_the_defaults(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)
    await stop_when(page, "chunked", 1)
    document = json.loads((await download(page, "#export-json")).read_text(encoding="utf-8"))

    # As typed, every field was empty: what ran was each endpoint's own default.
    assert set(document["params"].values()) == {""}, document["params"]
    exported = by_name(document)
    assert set(exported) == {endpoint.name for endpoint in ENDPOINTS}
    for endpoint in ENDPOINTS:
        params = exported[endpoint.name]["params"]
        used = {key: params[key] for key in ("count", "interval", "size")}
        assert used == {"count": endpoint.defaults.count, "interval": endpoint.defaults.interval, "size": 0}, params
    assert document["run"]["user_agent"] == await page.evaluate("navigator.userAgent")
    assert document["run"]["stopped_ms"] is not None and document["run"]["duration_ms"] > 0

    chunked = exported["chunked"]["summary"]
    assert chunked["message_count"] == len(exported["chunked"]["messages"]) >= 1
    assert chunked["first_ms"] == exported["chunked"]["messages"][0]["receive_ms"]
    assert chunked["headers_ms"] is not None and chunked["headers_ms"] <= chunked["first_ms"]
    assert exported["non-chunked"]["summary"]["outcome"] == "aborted"


async def test_the_csv_has_a_row_for_a_stream_that_delivered_nothing(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,non-chunked", interval=0.2)
    await stop_when(page, "chunked", 2)
    shown = await columns(page)
    assert shown["non-chunked"]["messages"] == 0, shown  # buffered: nothing before its end
    [kept] = await kept_runs(page, 1)  # a stopped run is kept too, and listed as stopped
    assert kept["cells"][2].endswith("(stopped)"), kept

    text = (await download(page, "#export-csv")).read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text))
    assert next(reader) == CSV_HEADER
    rows = [dict(zip(CSV_HEADER, cells, strict=True)) for cells in reader]
    chunked = [row for row in rows if row["endpoint"] == "chunked"]
    assert [int(row["index"]) for row in chunked] == list(range(shown["chunked"]["messages"]))
    silent = [row for row in rows if row["endpoint"] == "non-chunked"]
    assert len(silent) == 1 and not any(value for key, value in silent[0].items() if key != "endpoint"), silent


async def test_an_exported_run_loads_back_with_the_figures_the_page_showed(
    page: Page, base_url: str, tmp_path: Path
) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,non-chunked,sse,ws", count=3, interval=0.05)
    await run_until_settled(page)
    shown = await page.evaluate(FIGURES)
    [live] = await kept_runs(page, 1)
    path = await download(page, "#export-json")
    exported = by_name(json.loads(path.read_text(encoding="utf-8")))
    for name, endpoint in exported.items():
        summary, messages = endpoint["summary"], endpoint["messages"]
        assert summary["message_count"] == len(messages) == 3, name
        assert (summary["first_ms"], summary["last_ms"]) == (messages[0]["receive_ms"], messages[-1]["receive_ms"])
        if summary["wire_bytes"] is not None:  # every message's wire bytes and the rest add up to the total
            assert sum(m["wire_bytes"] for m in messages) + summary["extra_wire_bytes"] == summary["wire_bytes"], name

    await page.set_input_files("#runs-file", str(path))
    loaded, again = await kept_runs(page, 2)
    assert (loaded["source"], again["id"]) == ("file", live["id"])
    assert loaded["cells"] == live["cells"]  # endpoints, parameters, duration, what was kept
    compared = await page.evaluate(COMPARED)  # A: the loaded file, B: the run itself
    assert set(compared) == set(exported)
    for name, fields in compared.items():
        for field, (a, b) in fields.items():
            assert a == b, (name, field, a, b)
        assert [fields[role][0] for role in ("first", "last", "count")] == list(shown[name].values()), name
        assert fields["outcome"][0] == "done"

    # A file that is no export is refused, said, and keeps nothing.
    (tmp_path / "notes.json").write_text('{"tool": "something else"}', encoding="utf-8")
    await page.set_input_files("#runs-file", str(tmp_path / "notes.json"))
    await page.wait_for_function("() => document.getElementById('runs-status').textContent.includes('not loaded')")
    assert len(await kept_runs(page, 2)) == 2


async def test_two_runs_are_kept_across_a_reload_and_overlaid(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,non-chunked", count=3, interval=0.05)
    await run_until_settled(page)
    await kept_runs(page, 1)
    await page.fill('input[name="interval"]', "0.15")
    await run_until_settled(page)
    await kept_runs(page, 2)

    await page.reload()
    await page.wait_for_selector("#runs[data-ready=true]", state="attached")
    newer, older = await kept_runs(page, 2)
    assert "interval 0.15" in newer["cells"][1] and "interval 0.05" in older["cells"][1], (newer, older)
    compared = await page.evaluate(COMPARED)  # A: the newer run, B: the one before
    for name in ("chunked", "non-chunked"):
        assert compared[name]["count"] == ["3", "3"]
        last_a, last_b = (ms(text) for text in compared[name]["last"])
        assert last_a > last_b + 150, (name, compared[name])  # 2 gaps of 150 ms against 2 of 50 ms

    await page.click("#runs-overlay")
    lanes = await page.eval_on_selector_all("#timeline .lane", "nodes => nodes.map((n) => n.dataset.endpoint)")
    assert lanes == ["chunked", "non-chunked"]
    ghosts = await page.locator("#timeline .ghost-mark").count()
    assert ghosts == 2 * 3, ghosts  # B: 3 messages in each of the 2 lanes
    await page.click("#runs-back")
    assert await page.locator("#timeline .ghost-mark").count() == 0


async def test_a_big_run_exports_without_a_long_task_and_is_kept_as_a_sample(page: Page, base_url: str) -> None:
    count = 10_000
    await open_dashboard(page, base_url, count=count, interval=0)
    shown = await run_until_settled(page, timeout_ms=120_000)
    total = sum(column["messages"] for column in shown.values())
    assert total >= len(ENDPOINTS) * count, shown
    [kept] = await kept_runs(page, 1)
    assert kept["sampled"] and "summary + 200 message times per stream" in kept["kept"], kept

    await page.evaluate("""() => {
        window.longTasks = [];
        window.longTaskObserver = new PerformanceObserver((list) =>
            window.longTasks.push(...list.getEntries().map((entry) => entry.duration)));
        window.longTaskObserver.observe({ type: 'longtask' });
    }""")
    with Preemption() as machine:
        exported = (await download(page, "#export-json")).read_text(encoding="utf-8")
        lines = (await download(page, "#export-csv")).read_bytes().count(b"\r\n")
        # Entries not yet delivered to the callback are taken as well.
        tasks = await page.evaluate("[...longTasks, ...longTaskObserver.takeRecords().map((e) => e.duration)]")
    document = json.loads(exported)
    # A long task is one of over 50 ms (the browser's own measure); a slice of the export
    # lasts a few ms of the page's time, which on a busy machine is stretched by its share
    # of a core and by the longest wait for one, as measured meanwhile.
    allowed_ms = machine.allows(LONG_TASK_MS / 1000) * 1000
    print(f"long tasks {tasks} ms; allowed {allowed_ms:.0f} ms: {machine}")
    assert all(task < allowed_ms for task in tasks), (tasks, str(machine))
    assert sum(len(endpoint["messages"]) for endpoint in document["endpoints"]) == total
    assert lines == 1 + total
    assert by_name(document)["chunked"]["params"]["count"] == count


async def test_only_the_last_runs_are_kept(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked", count=1, interval=0)
    for n in range(1, MAX_RUNS + 3):
        await page.fill('input[name="size"]', str(n))  # each run told apart by its size
        await run_until_settled(page)
        await kept_runs(page, min(n, MAX_RUNS))
    listed = await page.evaluate(LISTED)
    sizes = [cells["cells"][1] for cells in listed]
    assert len(listed) == MAX_RUNS, sizes
    # Newest first, and the two oldest (size 1 and 2) are the ones gone.
    assert f"size {MAX_RUNS + 2}" in sizes[0] and "size 3" in sizes[-1], sizes


#: The Runs panel's status line says this of a file it refused.
STATUS_SAYS = "(words) => words.every((word) => document.getElementById('runs-status').textContent.includes(word))"


async def status_says(page: Page, *words: str) -> str:
    await page.wait_for_function(STATUS_SAYS, arg=list(words))
    return await page.text_content("#runs-status") or ""


def without(document: dict[str, Any], field: str) -> dict[str, Any]:
    broken = json.loads(json.dumps(document))
    del broken["endpoints"][0][field]
    return broken


async def a_kept_run_exported(page: Page, base_url: str) -> dict[str, Any]:
    """A small run, kept, and its Export JSON."""
    await open_dashboard(page, base_url, endpoints="chunked", count=2, interval=0)
    await run_until_settled(page)
    await kept_runs(page, 1)
    return json.loads((await download(page, "#export-json")).read_text(encoding="utf-8"))


async def test_a_bad_file_is_refused_with_the_field_named_and_never_kept(
    page: Page, base_url: str, tmp_path: Path
) -> None:
    document = await a_kept_run_exported(page, base_url)
    bad_date = json.loads(json.dumps(document))
    bad_date["run"]["started_at"] = "yesterday"
    wrong_types = json.loads(json.dumps(document))
    wrong_types["endpoints"][0]["summary"]["first_ms"] = "fast"
    wrong_count = json.loads(json.dumps(document))
    wrong_count["endpoints"][0]["summary"]["message_count"] = None
    bad_files = {
        "no-summary.json": (json.dumps(without(document, "summary")), ["summary is missing"]),
        "no-messages.json": (json.dumps(without(document, "messages")), ["messages is missing"]),
        "bad-date.json": (json.dumps(bad_date), ["run.started_at must be a date", "yesterday"]),
        "not-json.json": ('{"tool": "Transport Lab", "run": ', ["it is not JSON"]),
        "wrong-types.json": (json.dumps(wrong_types), ["summary.first_ms must be a number", "fast"]),
        "wrong-count.json": (json.dumps(wrong_count), ["summary.message_count must be a whole number"]),
    }
    for name, (text, words) in bad_files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        await page.set_input_files("#runs-file", str(tmp_path / name))
        said = await status_says(page, f"{name} was not loaded", *words)
        assert not any(raw in said for raw in ("Cannot read", "undefined", "TypeError", "Invalid Date")), said
        assert len(await kept_runs(page, 1)) == 1, name  # nothing kept: the run of this page alone

    # Nothing of them was stored: after a reload the panel is ready, and a new run is listed.
    await page.reload()
    await page.wait_for_selector("#runs[data-ready=true]", state="attached")
    await kept_runs(page, 1)
    await run_until_settled(page)
    newer, _ = await kept_runs(page, 2)
    assert newer["source"] == "page"
    assert "Invalid Date" not in json.dumps(await page.evaluate(LISTED))


#: A kept run as an older version of the page might have stored it: copies of the one kept
#: here, newer, one without its streams' summaries and one with a date that is none.
STORE_OLD_RECORDS = """() => new Promise((resolve, reject) => {
    const open = indexedDB.open('transport-lab');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
        const db = open.result;
        const read = db.transaction('runs').objectStore('runs').getAll();
        read.onsuccess = () => {
            const [kept] = read.result;
            const noSummary = { ...kept, id: 'old 1', savedAt: kept.savedAt + 1,
                streams: kept.streams.map(({ summary, ...stream }) => stream) };
            const badDate = { ...kept, id: 'old 2', savedAt: kept.savedAt + 2, startedAt: 'yesterday' };
            const tx = db.transaction('runs', 'readwrite');
            tx.objectStore('runs').put(noSummary);
            tx.objectStore('runs').put(badDate);
            tx.oncomplete = () => { db.close(); resolve(read.result.length); };
            tx.onerror = () => reject(tx.error);
        };
    };
})"""


async def test_a_kept_run_that_cannot_be_shown_is_skipped_with_a_note(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked", count=2, interval=0)
    await run_until_settled(page)
    [kept] = await kept_runs(page, 1)
    assert await page.evaluate(STORE_OLD_RECORDS) == 1

    await page.reload()
    await page.wait_for_selector("#runs[data-ready=true]", state="attached")
    [still] = await kept_runs(page, 1)
    assert still["id"] == kept["id"]
    await status_says(page, "2 kept runs could not be shown", "skipped")
    await run_until_settled(page)  # a new run is kept and listed beside the one before
    newer, older = await kept_runs(page, 2)
    assert (newer["source"], older["id"]) == ("page", kept["id"])
    assert "Invalid Date" not in json.dumps(await page.evaluate(LISTED))


async def test_a_run_exported_before_the_figures_were_renamed_still_loads(
    page: Page, base_url: str, tmp_path: Path
) -> None:
    """Format 2 said `ttfb_ms` and `held_max_ms` for what is now `headers_ms` and `delay_max_ms`."""
    document = await a_kept_run_exported(page, base_url)
    assert document["format"] == 3
    for endpoint in document["endpoints"]:
        endpoint["summary"]["ttfb_ms"] = endpoint["summary"].pop("headers_ms")
        endpoint["held_max_ms"] = endpoint.pop("delay_max_ms")
    document["format"] = 2
    (tmp_path / "old.json").write_text(json.dumps(document), encoding="utf-8")
    await page.set_input_files("#runs-file", str(tmp_path / "old.json"))
    loaded, live = await kept_runs(page, 2)
    assert loaded["source"] == "file" and loaded["cells"] == live["cells"]
    compared = await page.evaluate(COMPARED)
    assert all(a == b for fields in compared.values() for a, b in fields.values()), compared
