"""Which streams `compare` opens for `--via` and `--drop`: the culprit beside the healthy
endpoint, only where the registry says it applies, and a clear refusal where it applies nowhere."""

from __future__ import annotations

import pytest

from app.client.compare.plan import PlanError, StreamPlan, drop_applies, plan_streams, via_applies
from app.culprits import CULPRITS
from app.endpoints import ENDPOINTS, ENDPOINTS_BY_NAME
from app.transport import Transport


def labels(plans: list[StreamPlan]) -> list[str]:
    return [plan.label for plan in plans]


def named(*names: str) -> list:
    return [ENDPOINTS_BY_NAME[name] for name in names]


def test_no_culprit_and_no_fault_open_the_endpoints_as_they_are() -> None:
    plans = plan_streams(ENDPOINTS, chosen=False, vias=[], drop=None)
    assert labels(plans) == [endpoint.name for endpoint in ENDPOINTS]
    assert all(plan.via is None and plan.drop is None for plan in plans)


def test_via_shows_each_endpoint_it_applies_to_beside_its_culprit() -> None:
    plans = plan_streams(named("chunked", "sse"), chosen=True, vias=["gzip"], drop=None)
    assert labels(plans) == ["chunked", "chunked via gzip", "sse", "sse via gzip"]
    assert plans[1].query({"count": "3"}) == {"count": "3", "via": "gzip"}
    assert plans[0].query({"count": "3"}) == {"count": "3"}


def test_via_by_default_narrows_all_to_the_endpoints_it_applies_to() -> None:
    plans = plan_streams(ENDPOINTS, chosen=False, vias=["proxy", "gzip", "proxy"], drop=None)
    taking = [endpoint.name for endpoint in ENDPOINTS if via_applies(endpoint)]
    assert taking and "non-chunked" not in taking and "ws" not in taking
    assert labels(plans) == [label for name in taking for label in (name, f"{name} via proxy", f"{name} via gzip")]


def test_a_chosen_endpoint_the_culprit_cannot_stand_in_front_of_stays_healthy() -> None:
    plans = plan_streams(named("chunked", "ws", "non-chunked"), chosen=True, vias=["gzip"], drop=None)
    assert labels(plans) == ["chunked", "chunked via gzip", "ws", "non-chunked"]


def test_via_or_drop_where_it_applies_to_none_is_refused_naming_where_it_applies() -> None:
    with pytest.raises(PlanError, match=r"--via applies to chunked, .*sse; not to ws, non-chunked"):
        plan_streams(named("ws", "non-chunked"), chosen=True, vias=["gzip"], drop=None)
    with pytest.raises(PlanError, match=r"--drop applies to chunked, .*ws; not to non-chunked"):
        plan_streams(named("non-chunked"), chosen=True, vias=[], drop="2")


def test_drop_goes_to_every_stream_that_takes_it() -> None:
    plans = plan_streams(ENDPOINTS, chosen=False, vias=[], drop="2")
    assert labels(plans) == [endpoint.name for endpoint in ENDPOINTS if endpoint.transport is not Transport.BUFFERED]
    assert {plan.drop for plan in plans} == {"2"}
    chosen = plan_streams(named("chunked", "non-chunked"), chosen=True, vias=["gzip"], drop="2")
    assert [(plan.label, plan.drop) for plan in chosen] == [
        ("chunked", "2"),
        ("chunked via gzip", "2"),
        ("non-chunked", None),
    ]
    assert chosen[1].query({}) == {"via": "gzip", "drop": "2"}


def test_the_registry_decides_where_culprits_and_faults_apply() -> None:
    assert [culprit.name for culprit in CULPRITS] == ["gzip", "gzip-flush", "proxy"]
    assert {e.transport for e in ENDPOINTS if via_applies(e)} == {Transport.CHUNKED, Transport.SSE}
    assert {e.transport for e in ENDPOINTS if drop_applies(e)} == {*Transport} - {Transport.BUFFERED}
