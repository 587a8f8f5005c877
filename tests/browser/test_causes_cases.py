"""The page's causes (static/js/causes.js) in Chromium, on the shared cases the terminal's
rules are held to (tests/causes_cases.json): given all the terminal sees, the same ids,
evidence and fixes word for word; given what a browser may see of the same exchange (the
headers CORS exposes, no time of sending, no wire bytes), what each case's `page` says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from tests.browser.dashboard import open_dashboard

SHARED = json.loads((Path(__file__).parents[1] / "causes_cases.json").read_text())
CASES: list[dict[str, Any]] = SHARED["cases"]
#: Everything the terminal sees: every header, times from the sending, the wire bytes.
TERMINAL_VIEW = {"exposed": "all", "sent": True, "wire_bytes": True}

#: Each case as the page would hold it, seen as `sees` says, then the page's findings.
DIAGNOSE_IN_PAGE = """async (runs) => {
    const { diagnose, exposedNames } = await import("/static/js/causes.js");
    const exchangeOf = (e, sees) => {
        const exposed = sees.exposed === "all" ? null : exposedNames("cors",
            sees.exposed === "safelisted" ? {} : { "access-control-expose-headers": sees.exposed.join(", ") });
        const seen = Object.entries(e.headers).filter(([name]) => exposed === null || exposed.includes(name));
        const shift = sees.fetch_ms ?? 0;
        return {
            url: "http://127.0.0.1/stream", status: e.status ?? 200, reason: e.reason ?? "OK",
            httpVersion: e.http_version ?? "HTTP/1.1", headers: Object.fromEntries(seen), exposed,
            sent: sees.sent ?? true, headersMs: e.headers_ms + shift, endMs: e.end_ms + shift, reading: e.reading,
            ending: e.ending ?? "complete",
            arrivals: e.arrivals.map(([t, wire, decoded, messages]) => ({
                tMs: t + shift, wireBytes: sees.wire_bytes ?? true ? wire : null, decodedBytes: decoded, messages,
            })),
        };
    };
    return runs.map(({ exchange, verdict, sees }) => diagnose(exchangeOf(exchange, sees), { verdict }));
}"""


def told(findings: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"id": finding["id"], "evidence": finding["evidence"]} for finding in findings]


async def diagnosed(page: Page, base_url: str, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    await open_dashboard(page, base_url)
    result: list[dict[str, Any]] = await page.evaluate(DIAGNOSE_IN_PAGE, runs)
    return result


async def test_given_what_the_terminal_sees_the_page_says_what_it_says(page: Page, base_url: str) -> None:
    runs = [{**case, "sees": TERMINAL_VIEW} for case in CASES]
    for case, found in zip(CASES, await diagnosed(page, base_url, runs), strict=True):
        assert (told(found["causes"]), told(found["warnings"])) == (case["causes"], case["warnings"]), case["name"]
        assert found["unchecked"] == [], case["name"]
        for finding in found["causes"] + found["warnings"]:
            assert finding["fix"] == SHARED["fixes"][finding["id"]], finding["id"]


VIEWS = [(case, seen) for case in CASES for seen in case.get("page", [])]


async def test_given_what_a_browser_sees_the_page_claims_only_what_it_saw(page: Page, base_url: str) -> None:
    runs = [{**case, "sees": seen} for case, seen in VIEWS]
    assert len(runs) >= 6
    for (case, seen), found in zip(VIEWS, await diagnosed(page, base_url, runs), strict=True):
        where = f"{case['name']}: {seen['about']}"
        assert told(found["causes"]) == seen["causes"], where
        assert told(found["warnings"]) == seen["warnings"], where
        assert [finding["id"] for finding in found["unchecked"]] == seen["unchecked"], where
        assert all(finding["unseen"] for finding in found["unchecked"]), where


@pytest.mark.parametrize(
    ("exposed", "unchecked"),
    [
        ("safelisted", ["cached", "compression", "proxy-buffering", "held-by-server", "no-transform"]),
        (["via", "content-encoding"], ["cached", "proxy-buffering", "held-by-server", "no-transform"]),
        ("all", []),
    ],
)
async def test_a_header_cors_hid_is_unseen_not_absent(
    page: Page, base_url: str, exposed: str | list[str], unchecked: list[str]
) -> None:
    """nginx that passed the head at once: held-by-server only when the page saw no proxy's header was sent."""
    (case,) = [case for case in CASES if case["name"].startswith("nginx with proxy_buffering off")]
    (found,) = await diagnosed(page, base_url, [{**case, "sees": {"exposed": exposed, "sent": True}}])
    assert [finding["id"] for finding in found["unchecked"]] == unchecked
    assert [finding["id"] for finding in found["causes"]] == ([] if unchecked else ["held-by-server"])
