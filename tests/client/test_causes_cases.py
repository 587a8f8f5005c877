"""The terminal's causes on the shared cases that the page's copy of the rules is held to as
well (tests/causes_cases.json, tests/browser/test_causes_cases.py): the same ids, the same
evidence word for word, and each id's one fix. A cut (cuts.py) comes first, as the report
puts it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.client.diagnose.causes import Finding, causes, warnings
from app.client.diagnose.cuts import cut_cause
from app.client.diagnose.exchange import Ending, Exchange
from app.client.diagnose.verdict import Arrival, Judgement, Verdict

SHARED = json.loads((Path(__file__).parents[1] / "causes_cases.json").read_text())
CASES: list[dict[str, Any]] = SHARED["cases"]
FIXES: dict[str, str] = SHARED["fixes"]


def exchange_of(case: dict[str, Any]) -> Exchange:
    recorded = case["exchange"]
    return Exchange(
        url="http://127.0.0.1/stream",
        http_version=recorded.get("http_version", "HTTP/1.1"),
        status=recorded.get("status", 200),
        reason=recorded.get("reason", "OK"),
        headers=recorded["headers"],
        headers_ms=recorded["headers_ms"],
        end_ms=recorded["end_ms"],
        reading=recorded["reading"],
        ending=Ending(recorded.get("ending", "complete")),
        arrivals=[Arrival(*arrival) for arrival in recorded["arrivals"]],
    )


def judged(case: dict[str, Any]) -> Judgement:
    """The case's verdict, given: the causes read nothing else of a judgement."""
    return Judgement(Verdict(case["verdict"]), reason="given", end_share=0.0, largest_gap_ms=0.0, content_arrivals=0)


def told(findings: list[Finding]) -> list[dict[str, str]]:
    return [{"id": finding.id, "evidence": finding.evidence} for finding in findings]


def claimed(case: dict[str, Any]) -> list[Finding]:
    """The causes as the report lists them: the cut's first, then the rest."""
    exchange = exchange_of(case)
    cut = cut_cause(exchange)
    return ([cut] if cut else []) + causes(exchange, judged(case))


def every_finding(case: dict[str, Any]) -> list[Finding]:
    return claimed(case) + warnings(exchange_of(case))


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_each_shared_exchange_gets_its_causes_and_warnings_word_for_word(case: dict[str, Any]) -> None:
    assert told(claimed(case)) == case["causes"]
    assert told(warnings(exchange_of(case))) == case["warnings"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_each_finding_carries_its_ids_one_fix(case: dict[str, Any]) -> None:
    for finding in every_finding(case):
        assert finding.fix == FIXES[finding.id], finding.id


def test_the_cases_cover_every_id_and_every_fix_is_given() -> None:
    found = {finding["id"] for case in CASES for finding in case["causes"] + case["warnings"]}
    assert found == set(FIXES)
    assert found == {
        "cached",
        "content-length",
        "compression",
        "proxy-buffering",
        "write-buffer",
        "held-by-server",
        "sniffing",
        "no-transform",
        "content-type-buffering",
        "idle-timeout",
        "connection-cut",
    }


def test_the_page_claims_nothing_the_terminal_would_not() -> None:
    """What a browser sees of a case is less than the terminal sees: it may leave a cause
    unchecked, or tell it with less evidence, never claim one the terminal does not."""
    for case in CASES:
        terminal = {finding["id"] for finding in case["causes"] + case["warnings"]}
        for seen in case.get("page", []):
            page = {finding["id"] for finding in seen["causes"] + seen["warnings"]}
            assert page <= terminal, (case["name"], seen["about"])
            assert not page & set(seen["unchecked"]), seen["about"]


@pytest.mark.parametrize(
    ("start", "ids"),
    [
        ("nginx with proxy_buffering off", ["held-by-server"]),
        ("nginx with its defaults in front of a token stream", ["proxy-buffering", "write-buffer"]),
        ("Varnish replays", ["cached"]),
        ("a Content-Length after", ["content-length"]),
        ("gzip: encoded bytes came early", ["compression"]),
        ("a tunnel that streams only text/event-stream", ["content-type-buffering", "proxy-buffering"]),
        ("an SSE stream cut in a silence", ["idle-timeout"]),
        ("an NDJSON stream cut right after a message", ["connection-cut"]),
    ],
)
def test_the_issues_cases_are_among_them(start: str, ids: list[str]) -> None:
    (case,) = [case for case in CASES if case["name"].startswith(start)]
    assert [finding.id for finding in claimed(case)] == ids
