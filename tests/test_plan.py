"""What each endpoint will send, said before it runs: its message rule against the real sources."""

from __future__ import annotations

import itertools

import pytest

from app.endpoints import ENDPOINTS, ENDPOINTS_BY_NAME, Endpoint
from app.params import StreamParams
from tests.helpers import ids

COUNTS = (1, 2, 3, 4, 7, 50, 333)
SIZES = (0, 1, 5, 100)


def produced(endpoint: Endpoint, params: StreamParams) -> int:
    return sum(1 for _ in endpoint.source(params, None).messages)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_the_rule_counts_what_the_source_really_sends(endpoint: Endpoint) -> None:
    for count, size in itertools.product(COUNTS, SIZES):
        params = StreamParams(count=count, interval=0, size=size)
        assert endpoint.messages(params) == produced(endpoint, params), (endpoint.name, count, size)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=ids)
def test_the_rule_as_published_gives_the_same_counts(endpoint: Endpoint) -> None:
    """The page evaluates the published figures, not the Python: they must say the same."""
    plan = endpoint.describe()["plan"]
    assert isinstance(plan, dict)
    for count, size in itertools.product(COUNTS, SIZES):
        per = plan["per_padded_count"] if size else plan["per_count"]
        params = StreamParams(count=count, interval=0, size=size)
        assert per * count + plan["fixed"] == produced(endpoint, params), (endpoint.name, count, size)


def test_count_means_users_for_nested_json_and_items_for_ijson() -> None:
    units = {endpoint.name: endpoint.describe()["plan"]["unit"] for endpoint in ENDPOINTS}  # type: ignore[index]
    assert units.pop("json-nested") == "users"
    assert units.pop("ijson") == "items"
    assert set(units.values()) == {"messages"}


def test_the_tutorials_defaults_plan_what_the_tutorial_sends() -> None:
    planned = {
        endpoint.name: (endpoint.messages(endpoint.defaults), endpoint.duration(endpoint.defaults))
        for endpoint in ENDPOINTS
    }
    # Nested JSON: 2 users, node by node; ijson: 3 items, event by event; both paced at 0.5 s.
    assert planned["json-nested"] == (16, 8.0)
    assert planned["ijson"] == (17, 8.5)
    assert planned["chunked"] == (5, 5.0)
    assert planned["json"] == (3, 3.0)
    for endpoint in ENDPOINTS:
        assert planned[endpoint.name][0] == produced(endpoint, endpoint.defaults), endpoint.name


def test_duration_is_messages_times_interval() -> None:
    nested = ENDPOINTS_BY_NAME["json-nested"]
    params = StreamParams(count=10, interval=0.25, size=3)
    assert nested.duration(params) == produced(nested, params) * 0.25 == 66 * 0.25
