"""Query parsing: every bound is enforced and every refusal names its parameter."""

from __future__ import annotations

import pytest

from app.params import BOUNDS, MAX_DURATION_SECONDS, ParamError, StreamParams, parse_params, plain

DEFAULTS = StreamParams(count=5, interval=1.0)

BAD = [
    ("count", "0"),
    ("count", "-1"),
    ("count", "1000001"),
    ("count", "abc"),
    ("count", "1.5"),
    ("count", "1_000"),
    ("count", " 5"),
    ("count", ""),
    ("count", "9" * 40),
    ("interval", "-0.1"),
    ("interval", "60.5"),
    ("interval", "nan"),
    ("interval", "NaN"),
    ("interval", "inf"),
    ("interval", "1e309"),
    ("interval", "0x10"),
    ("size", "-1"),
    ("size", "1048577"),
    ("size", "1e3"),
    ("stamp", "2"),
    ("stamp", "yes"),
]


@pytest.mark.parametrize(("param", "raw"), BAD)
def test_out_of_range_or_malformed_values_are_refused_naming_the_param(param: str, raw: str) -> None:
    with pytest.raises(ParamError) as caught:
        parse_params({param: raw}, DEFAULTS)
    assert caught.value.param == param
    assert param in caught.value.message


def test_unknown_parameter_is_refused() -> None:
    with pytest.raises(ParamError) as caught:
        parse_params({"cuont": "3"}, DEFAULTS)
    assert caught.value.param == "cuont"


def test_repeated_parameter_is_refused() -> None:
    with pytest.raises(ParamError) as caught:
        parse_params({"count": "3"}, DEFAULTS, {"count": 2})
    assert caught.value.param == "count"


def test_a_stream_longer_than_the_duration_cap_is_refused() -> None:
    with pytest.raises(ParamError) as caught:
        parse_params({"count": str(MAX_DURATION_SECONDS + 1), "interval": "1"}, DEFAULTS)
    assert caught.value.param == "interval"


def test_defaults_fill_what_the_query_leaves_out() -> None:
    assert parse_params({}, DEFAULTS) == DEFAULTS
    assert parse_params({"size": "10", "stamp": "1"}, DEFAULTS) == StreamParams(5, 1.0, size=10, stamp=True)


@pytest.mark.parametrize("bound", BOUNDS.values(), ids=lambda bound: bound.name)
def test_both_ends_of_every_range_are_accepted(bound) -> None:
    for edge in (bound.minimum, bound.maximum):
        raw = str(int(edge)) if bound.integer else str(edge)
        query = {bound.name: raw}
        # Keep count x interval under the duration cap while testing the other edge.
        query.setdefault("count" if bound.name == "interval" else "interval", "1" if bound.name == "interval" else "0")
        parsed = parse_params(query, DEFAULTS)
        assert getattr(parsed, bound.name) == (bool(edge) if bound.name == "stamp" else edge)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"count": "0"}, "count must be between 1 and 1000000, not '0'"),
        ({"size": "1048577"}, "size must be between 0 and 1048576, not '1048577'"),
        ({"interval": "61"}, "interval must be between 0 and 60, not '61'"),
        ({"stamp": "2"}, "stamp must be between 0 and 1, not '2'"),
        ({"count": "1000000", "interval": "60"}, "count x interval is 60000000 s, over the 3600 s a stream may last"),
        ({"count": "36001", "interval": "0.1"}, "count x interval is 3600.1 s, over the 3600 s a stream may last"),
    ],
)
def test_refusals_write_numbers_as_the_readme_does(query: dict[str, str], message: str) -> None:
    with pytest.raises(ParamError) as caught:
        parse_params(query, DEFAULTS)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1_000_000, "1000000"),
        (1_048_576.0, "1048576"),
        (0, "0"),
        (60.0, "60"),
        (0.5, "0.5"),
        (3600.1000000000004, "3600.1"),
    ],
)
def test_plain_numbers_never_use_exponent_notation(value: float, text: str) -> None:
    assert plain(value) == text


def test_every_bound_reads_as_its_readme_range() -> None:
    assert {name: bound.between() for name, bound in BOUNDS.items()} == {
        "count": "between 1 and 1000000",
        "interval": "between 0 and 60",
        "size": "between 0 and 1048576",
        "stamp": "between 0 and 1",
        "drop": "between 1 and 1000000",
        "idle": "between 0.1 and 3600",
        "heartbeat": "between 0.05 and 3600",
    }
