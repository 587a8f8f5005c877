"""The verdict rules, on the timelines that the page's copy of them is held to as well."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.client.diagnose.verdict import Arrival, Verdict, judge, largest_gap_ms

CASES = json.loads((Path(__file__).parents[1] / "verdict_cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_each_shared_timeline_gets_its_verdict(case: dict) -> None:
    arrivals = [Arrival(t, decoded, decoded, messages) for t, decoded, messages in case["arrivals"]]
    assert judge(arrivals, case["life_ms"], case["messages_known"]).verdict == Verdict(case["verdict"])


def test_the_cases_cover_every_verdict() -> None:
    assert {case["verdict"] for case in CASES} == set(Verdict)


def test_the_silence_before_the_first_byte_counts_as_a_gap() -> None:
    assert largest_gap_ms([4000.0, 4100.0]) == 4000.0


def test_a_buffered_reason_names_the_share_at_the_end() -> None:
    judgement = judge([Arrival(5000, 100, 100)], 5010)
    assert judgement.end_share == 1.0
    assert "100% of the content arrived in the last 501 ms" in judgement.reason
