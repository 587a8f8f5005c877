"""Which streams `compare` opens for `--via` and the faults (`--drop`, `--idle`,
`--heartbeat`): the culprit beside the healthy endpoint, each option only where the registry
says it applies, a clear refusal where it applies nowhere, and a default timeout that allows
for SSE's reconnections without growing past bounds."""

from __future__ import annotations

import pytest

import app.client.compare.command as compare
from app.client.compare.plan import PlanError, StreamPlan, fault_applies, plan_streams, via_applies
from app.client.compare.reconnection import DEFAULT_RETRY_MS, MAX_FRUITLESS_CONNECTIONS
from app.client.options import TIMEOUT_BOUNDS
from app.culprits import FAULTS, FAULTS_BY_NAME, VIA_TRANSPORTS
from app.endpoints import ENDPOINTS, ENDPOINTS_BY_NAME
from app.transport import Transport

RETRY_S = DEFAULT_RETRY_MS / 1000


def labels(plans: list[StreamPlan]) -> list[str]:
    return [plan.label for plan in plans]


def named(*names: str) -> list:
    return [ENDPOINTS_BY_NAME[name] for name in names]


def test_no_culprit_and_no_fault_open_the_endpoints_as_they_are() -> None:
    plans = plan_streams(ENDPOINTS, chosen=False, vias=[])
    assert labels(plans) == [endpoint.name for endpoint in ENDPOINTS]
    assert all(plan.via is None and plan.faults == () for plan in plans)


def test_via_shows_each_endpoint_it_applies_to_beside_its_culprit() -> None:
    plans = plan_streams(named("chunked", "sse"), chosen=True, vias=["gzip"])
    assert labels(plans) == ["chunked", "chunked via gzip", "sse", "sse via gzip"]
    assert plans[1].query({"count": "3"}) == {"count": "3", "via": "gzip"}
    assert plans[0].query({"count": "3"}) == {"count": "3"}


def test_via_by_default_narrows_all_to_the_endpoints_it_applies_to() -> None:
    plans = plan_streams(ENDPOINTS, chosen=False, vias=["proxy", "gzip", "proxy"])
    taking = [endpoint.name for endpoint in ENDPOINTS if via_applies(endpoint)]
    assert taking and "non-chunked" not in taking and "ws" not in taking
    assert labels(plans) == [label for name in taking for label in (name, f"{name} via proxy", f"{name} via gzip")]


def test_a_chosen_endpoint_the_culprit_cannot_stand_in_front_of_stays_healthy() -> None:
    plans = plan_streams(named("chunked", "ws", "non-chunked"), chosen=True, vias=["gzip"])
    assert labels(plans) == ["chunked", "chunked via gzip", "ws", "non-chunked"]


def test_via_or_a_fault_where_it_applies_to_none_is_refused_naming_where_it_applies_and_why() -> None:
    with pytest.raises(PlanError, match=r"--via applies to chunked, .*sse; not to ws, non-chunked"):
        plan_streams(named("ws", "non-chunked"), chosen=True, vias=["gzip"])
    drop = FAULTS_BY_NAME["drop"]
    with pytest.raises(PlanError, match=r"--drop applies to chunked, .*ws; not to non-chunked: ") as refused:
        plan_streams(named("non-chunked"), chosen=True, vias=[], faults={"drop": "2"})
    assert str(refused.value).endswith(f": {drop.why_not}")
    heartbeat = FAULTS_BY_NAME["heartbeat"]
    with pytest.raises(PlanError) as refused:
        plan_streams(named("chunked", "ndjson"), chosen=True, vias=[], faults={"heartbeat": "0.2"})
    assert str(refused.value) == f"--heartbeat applies to sse, ws; not to chunked, ndjson: {heartbeat.why_not}"


def test_drop_goes_to_every_stream_that_takes_it() -> None:
    plans = plan_streams(ENDPOINTS, chosen=False, vias=[], faults={"drop": "2"})
    assert labels(plans) == [endpoint.name for endpoint in ENDPOINTS if endpoint.transport is not Transport.BUFFERED]
    assert {plan.drop for plan in plans} == {"2"}
    chosen = plan_streams(named("chunked", "non-chunked"), chosen=True, vias=["gzip"], faults={"drop": "2"})
    assert [(plan.label, plan.drop) for plan in chosen] == [
        ("chunked", "2"),
        ("chunked via gzip", "2"),
        ("non-chunked", None),
    ]
    assert chosen[1].query({}) == {"via": "gzip", "drop": "2"}


def test_each_fault_goes_only_where_it_applies_as_typed() -> None:
    faults = {"drop": "2", "idle": "0.50", "heartbeat": "0.2"}
    plans = plan_streams(named("chunked", "non-chunked", "sse", "ws"), chosen=True, vias=["gzip"], faults=faults)
    assert {plan.label: plan.query({}) for plan in plans} == {
        "chunked": {"drop": "2", "idle": "0.50"},
        "chunked via gzip": {"via": "gzip", "drop": "2", "idle": "0.50"},
        "non-chunked": {"idle": "0.50"},
        "sse": {"drop": "2", "idle": "0.50", "heartbeat": "0.2"},
        "sse via gzip": {"via": "gzip", "drop": "2", "idle": "0.50", "heartbeat": "0.2"},
        "ws": {"drop": "2", "idle": "0.50", "heartbeat": "0.2"},
    }
    by_default = plan_streams(ENDPOINTS, chosen=False, vias=[], faults={"heartbeat": "0.2", "idle": None})
    assert labels(by_default) == ["sse", "ws"]


def test_the_registry_decides_where_culprits_and_faults_apply() -> None:
    assert {e.transport for e in ENDPOINTS if via_applies(e)} == set(VIA_TRANSPORTS)
    for fault in FAULTS:
        assert {e.transport for e in ENDPOINTS if fault_applies(fault.name)(e)} == set(fault.transports), fault.name
    assert {e.transport for e in ENDPOINTS if fault_applies("idle")(e)} == {*Transport}


def timeout(*argv: str) -> float:
    args = compare.build_parser().parse_args(argv)
    return compare.timeout_of(args, compare.plan_results(args, "http://127.0.0.1:8080"))


@pytest.mark.parametrize(
    ("argv", "seconds"),
    [
        # quiet longer than idle between messages: a cut after each, waited out, then EventSource's wait
        (["--endpoints", "sse", "--count", "4", "--interval", "1", "--idle", "0.5"], 4 + 30 + 4 * (0.5 + RETRY_S)),
        # messages (or heartbeats) keep it from ever being idle: nothing to allow for
        (["--endpoints", "sse", "--count", "4", "--interval", "0.2", "--idle", "0.5"], 0.8 + 30),
        (["--endpoints", "sse", "--count", "4", "--interval", "1", "--idle", "0.5", "--heartbeat", "0.2"], 4 + 30),
        # through a culprit every message may be held past idle: the fruitless connections too
        (
            ["--endpoints", "sse", "--via", "gzip", "--count", "4", "--interval", "0.2", "--idle", "0.5"],
            0.8 + 30 + MAX_FRUITLESS_CONNECTIONS * (0.5 + RETRY_S),
        ),
        # only SSE reconnects: a cut HTTP body or WebSocket just ends
        (["--endpoints", "chunked,ws", "--count", "4", "--interval", "1", "--idle", "0.5"], 4 + 30),
        # refused by the server at once: no reconnection to wait for
        (["--endpoints", "sse", "--count", "4", "--interval", "1", "--idle", "nan"], 4 + 30),
        (["--endpoints", "sse", "--count", "4", "--interval", "1", "--idle", "0"], 4 + 30),
        # however many cuts are asked for, an hour of waits at most
        (["--endpoints", "sse", "--count", "3600", "--interval", "1", "--idle", "0.5"], 3600 + 30 + TIMEOUT_BOUNDS[1]),
        (["--endpoints", "sse", "--count", "100000", "--interval", "0", "--drop", "1"], 30 + TIMEOUT_BOUNDS[1]),
    ],
)
def test_the_default_timeout_allows_for_sse_reconnections_within_bounds(argv: list[str], seconds: float) -> None:
    assert timeout(*argv) == pytest.approx(seconds)
