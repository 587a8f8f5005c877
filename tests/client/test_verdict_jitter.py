"""Verdicts that hold under jitter: every shared timeline, its arrivals moved at random by up
to a quarter of the stream's own cadence, keeps its verdict. Seeded, so a failure replays.

The issue's nginx blocks come every 600 ms; a quarter of that is the 150 ms of jitter that
flipped the old rule (a silence of a fifth of the stream's life, or not).
"""

from __future__ import annotations

import json
import random
import statistics
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from app.client.diagnose.verdict import MIN_END_WINDOW_MS, Arrival, Verdict, judge

CASES = json.loads((Path(__file__).parents[1] / "verdict_cases.json").read_text())["cases"]
#: Each arrival moves by up to this share of the cadence, either way.
JITTER_SHARE = 0.25
TRIALS = 40


def cadence_ms(case: dict[str, Any]) -> float:
    """The median gap between content arrivals; with fewer than two gaps there is no cadence to
    speak of, and the shortest end window stands in (jitter far smaller than the stream)."""
    times = sorted(t for t, size, _ in case["arrivals"] if size > 0)
    gaps = [later - earlier for earlier, later in pairwise(times)]
    return statistics.median(gaps) if len(gaps) >= 2 else MIN_END_WINDOW_MS


def jittered(case: dict[str, Any], rng: random.Random) -> tuple[list[Arrival], float]:
    """The arrivals moved, in their new order; the reading ends no sooner than the last of them."""
    amplitude = JITTER_SHARE * cadence_ms(case)
    moved = sorted(
        (max(t + rng.uniform(-amplitude, amplitude), 0.0), size, messages) for t, size, messages in case["arrivals"]
    )
    arrivals = [Arrival(t, size, size, messages) for t, size, messages in moved]
    return arrivals, max([case["life_ms"], *(a.t_ms for a in arrivals)])


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_jitter_of_a_quarter_of_the_cadence_does_not_flip_the_verdict(case: dict[str, Any]) -> None:
    rng = random.Random(case["name"])
    for trial in range(TRIALS):
        arrivals, life_ms = jittered(case, rng)
        judgement = judge(arrivals, life_ms, case["messages_known"])
        assert judgement.verdict == Verdict(case["verdict"]), (trial, judgement.reason)


def test_the_nginx_blocks_are_jittered_by_the_issues_150_ms() -> None:
    (case,) = [c for c in CASES if c["name"].startswith("nginx with its defaults in front of 24 x 1 KiB lines")]
    assert 148 < JITTER_SHARE * cadence_ms(case) < 152


def test_jitter_moves_the_arrivals() -> None:
    """Not a property that holds because nothing moved."""
    case = CASES[0]
    arrivals, _ = jittered(case, random.Random(1))
    moves = [abs(a.t_ms - t) for a, (t, _, _) in zip(arrivals, case["arrivals"], strict=True)]
    assert max(moves) > 0.05 * cadence_ms(case)
