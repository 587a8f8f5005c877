"""The verdict rules, on the timelines that the page's copy of them is held to as well."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.client.diagnose.verdict import JUDGED, Arrival, Judgement, Verdict, judge, largest_gap_ms

CASES = json.loads((Path(__file__).parents[1] / "verdict_cases.json").read_text())["cases"]
BY_NAME = {case["name"]: case for case in CASES}


def judged(case: dict[str, Any]) -> Judgement:
    arrivals = [Arrival(t, decoded, decoded, messages) for t, decoded, messages in case["arrivals"]]
    return judge(arrivals, case["life_ms"], case["messages_known"])


def named(start: str) -> dict[str, Any]:
    (case,) = [case for name, case in BY_NAME.items() if name.startswith(start)]
    return case


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_each_shared_timeline_gets_its_verdict(case: dict[str, Any]) -> None:
    assert judged(case).verdict == Verdict(case["verdict"]), judged(case).reason


def test_the_cases_cover_every_verdict_a_timeline_can_get() -> None:
    assert {case["verdict"] for case in CASES} == set(JUDGED)


def test_error_and_not_upgraded_are_verdicts_for_the_command_never_for_a_timeline() -> None:
    assert (Verdict.ERROR.value, Verdict.NOT_UPGRADED.value) == ("error", "not-upgraded")
    assert set(Verdict) - set(JUDGED) == {Verdict.ERROR, Verdict.NOT_UPGRADED}


def test_the_silence_before_the_first_byte_counts_as_a_gap() -> None:
    assert largest_gap_ms([4000.0, 4100.0]) == 4000.0


def test_a_buffered_reason_names_the_share_at_the_end() -> None:
    judgement = judge([Arrival(5000, 100, 100)], 5010)
    assert judgement.end_share == 1.0
    assert "100% of the content arrived in the last 501 ms" in judgement.reason


def test_a_long_stream_behind_nginx_is_bursty_however_many_blocks_it_has() -> None:
    """Six blocks of 4 KiB over 3.6 s: silences of 600 ms, far less than a fifth of the life."""
    case = named("nginx with its defaults in front of 24 x 1 KiB lines")
    judgement = judged(case)
    shape = judgement.structure
    assert judgement.verdict is Verdict.BURSTY
    assert (shape.blocks, shape.buffer_bytes, shape.buffer_blocks, shape.messages_per_block) == (7, 4096, 6, 4)
    assert 595 < shape.silence_ms < 610 and 145 < shape.cadence_ms < 155
    assert shape.silence_ms < 0.2 * case["life_ms"]


def test_a_bursty_reason_states_blocks_sizes_messages_and_silences_against_the_cadence() -> None:
    reason = judged(named("nginx with its defaults in front of 500 x 60 B events")).reason
    assert reason.startswith("the content came in 8 blocks (typically 68 messages each; 7 of them at or near 4096 B")
    assert "with silences of typically 1391 ms before them (up to 1415 ms), 68 times the message cadence of 20 ms" in (
        reason
    )


def test_a_plain_byte_stream_is_judged_by_its_block_sizes() -> None:
    judgement = judged(named("the same nginx blocks of lines read as plain bytes"))
    assert judgement.verdict is Verdict.BURSTY
    assert judgement.structure.messages_per_block == 0 and judgement.structure.cadence_ms == 0.0
    assert "(6 of them at or near 4096 B, a buffer's size) with silences of typically 603 ms" in judgement.reason


def test_direct_tokens_are_one_message_a_read_and_progressive() -> None:
    judgement = judged(named("the 500 events fetched directly"))
    assert judgement.verdict is Verdict.PROGRESSIVE
    assert (judgement.structure.messages_per_block, judgement.content_arrivals) == (1, 500)


def test_an_early_message_is_not_held_however_large_the_last_one() -> None:
    """By bytes alone (100% at the end) it would be buffered; one of its two messages came at 30 ms."""
    judgement = judged(named("one 53 B event early"))
    assert (judgement.verdict, judgement.end_share, judgement.end_message_share) == (Verdict.PROGRESSIVE, 0.9997, 0.5)
    assert "but only 1 of its 2 messages (a large message, not content held back)" in judgement.reason


def test_a_stream_held_but_for_its_first_message_is_buffered() -> None:
    judgement = judged(named("one event at once, the other 99 held"))
    assert judgement.verdict is Verdict.BUFFERED
    assert judgement.reason.startswith("99% of the content (99 of 100 messages) arrived in the last 501 ms")


def test_without_messages_counted_there_is_no_message_share() -> None:
    assert judge([Arrival(5000, 100, 100, 3)], 5010).end_message_share is None


def test_one_read_split_in_two_by_the_socket_is_one_block() -> None:
    halves = [Arrival(t + d, 2048, 2048, 34) for t in (1000.0, 2400.0, 3800.0) for d in (0.0, 0.6)]
    judgement = judge(halves, 3900, messages_known=True)
    shape = judgement.structure
    assert (judgement.verdict, shape.blocks, shape.block_bytes, shape.buffer_bytes) == (Verdict.BURSTY, 3, 4096, 4096)
    assert shape.messages_per_block == 68


@pytest.mark.parametrize(
    ("silence_ms", "verdict"),
    [(150.0, Verdict.PROGRESSIVE), (250.0, Verdict.BURSTY)],
    ids=["too-short-to-notice", "noticed"],
)
def test_blocks_need_silences_long_enough_to_notice(silence_ms: float, verdict: Verdict) -> None:
    arrivals = [Arrival(20 + silence_ms * k, 4096, 4096, 68) for k in range(12)]
    assert judge(arrivals, 20 + silence_ms * 11 + 1, messages_known=True).verdict is verdict
