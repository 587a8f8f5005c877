"""A cut stream's cause: an idle timeout cuts in a silence, anything else right after a write."""

from __future__ import annotations

import pytest

from app.client.diagnose.cuts import IDLE_CUT_MS, cut_cause
from app.client.diagnose.exchange import Ending, Exchange
from app.client.diagnose.verdict import Arrival


def cut_after(silence_ms: float, ending: Ending = Ending.CUT, reading: str = "lines") -> Exchange:
    arrivals = [Arrival(1.0, 13, 8, 1), Arrival(1000.0, 13, 8, 1)]
    return Exchange(
        url="http://127.0.0.1/",
        http_version="HTTP/1.1",
        status=200,
        reason="OK",
        headers={},
        headers_ms=0.5,
        arrivals=arrivals,
        end_ms=1000.0 + silence_ms,
        ending=ending,
        reading=reading,
    )


@pytest.mark.parametrize("silence_ms", [IDLE_CUT_MS, 500.0, 60_000.0])
def test_a_cut_in_a_silence_is_an_idle_timeout(silence_ms: float) -> None:
    finding = cut_cause(cut_after(silence_ms))
    assert finding is not None and finding.id == "idle-timeout"
    assert f"{silence_ms / 1000:.1f} s after its last byte" in finding.evidence
    assert "heartbeat" in finding.fix


@pytest.mark.parametrize("silence_ms", [0.0, 3.0, IDLE_CUT_MS - 1])
def test_a_cut_right_after_a_write_is_a_connection_cut(silence_ms: float) -> None:
    finding = cut_cause(cut_after(silence_ms, reading="messages"))
    assert finding is not None and finding.id == "connection-cut"
    assert "after 2 messages" in finding.evidence and "without a close frame" in finding.evidence


@pytest.mark.parametrize("ending", [Ending.COMPLETE, Ending.CLOSED, Ending.TIMEOUT, Ending.MAX_BYTES])
def test_a_stream_that_was_not_cut_has_no_cut_cause(ending: Ending) -> None:
    assert cut_cause(cut_after(5000.0, ending)) is None
