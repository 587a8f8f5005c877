"""The client's command lines as a new user meets them: each command's own help, a URL that
is not one, bounds and values written as the user would write them, JSON numbers as numbers.

What only the real command shows (help, usage errors) runs `python -m app` in a process;
the rest calls `main()` in a worker thread while the test's loop serves (as test_client does).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import app.client.compare.command as compare
from app.client import raw
from app.endpoints import ENDPOINTS
from tests.processes import run_app_command

Main = Callable[[Sequence[str]], int]


async def run_main(main: Main, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = await asyncio.to_thread(main, list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def strict_json(text: str) -> Any:
    """json.loads that refuses NaN and Infinity, which no other JSON reader takes."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_raw_help_is_raws_own() -> None:
    done = run_app_command("raw", "--help")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: transport-lab raw ")
    assert "ENDPOINT" in done.stdout and "one HTTP endpoint: chunked" in done.stdout
    assert "--endpoints" not in done.stdout and "--upper" not in done.stdout  # compare's options


@pytest.mark.parametrize("command", ["compare", "raw"])
def test_help_writes_the_bounds_as_plain_integers(command: str) -> None:
    done = run_app_command(command, "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())  # argparse wraps lines wherever it likes
    for bound in ("between 1 and 1000000", "between 0 and 60", "between 0 and 1048576"):
        assert bound in text, bound
    assert "e+0" not in text


@pytest.mark.parametrize("command", ["compare", "raw"])
def test_help_says_what_count_counts_for_each_endpoint(command: str) -> None:
    text = " ".join(run_app_command(command, "--help").stdout.split())
    assert "--count COUNT messages per stream (users for json-nested, items for ijson)," in text
    # from the registry: each endpoint whose count is not messages is named with its unit
    for endpoint in ENDPOINTS:
        assert (f"{endpoint.rule.unit} for {endpoint.name}" in text) == (endpoint.rule.unit != "messages")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["compare", "--url", "127.0.0.1:8080"],
            "transport-lab compare: --url must start with http:// or https:// and name a host, "
            "not '127.0.0.1:8080' (did you mean http://127.0.0.1:8080?)",
        ),
        (
            ["compare", "--url", "ftp://127.0.0.1:8080"],
            "transport-lab compare: --url must start with http:// or https:// and name a host, "
            "not 'ftp://127.0.0.1:8080'",
        ),
        (
            ["raw", "chunked", "--url", "localhost:8080"],
            "transport-lab raw: --url must start with http:// and name a host, "
            "not 'localhost:8080' (did you mean http://localhost:8080?)",
        ),
        (
            ["raw", "chunked", "--url", "https://127.0.0.1:8080"],
            "transport-lab raw: --url must start with http:// and name a host, not 'https://127.0.0.1:8080'",
        ),
    ],
)
def test_a_url_that_is_not_http_is_a_usage_error_in_one_plain_line(argv: list[str], message: str) -> None:
    done = run_app_command(*argv)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == message + "\n"


@pytest.mark.parametrize("url", ["http://", "http://127.0.0.1:port", "http://[::1", "ws://127.0.0.1:8080"])
@pytest.mark.parametrize("command", ["compare", "raw"])
async def test_other_unusable_urls_exit_2_without_an_exception_name(
    command: str, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main, argv = (compare.main, ["--url", url]) if command == "compare" else (raw.main, ["chunked", "--url", url])
    status, out, err = await run_main(main, capsys, *argv)
    assert (status, out) == (2, "")
    assert len(err.splitlines()) == 1 and err.startswith("transport-lab ") and "--url" in err
    assert "Error" not in err and "Exception" not in err


async def test_a_refusal_echoes_the_value_as_typed(capsys: pytest.CaptureFixture[str], base_url: str) -> None:
    argv = ["--url", base_url, "--endpoints", "chunked", "--count", "100", "--interval", "100"]
    status, _, err = await run_main(compare.main, capsys, *argv)
    assert status == compare.EXIT_FAILED
    assert "interval must be between 0 and 60, not '100'" in err


async def test_raw_sends_the_values_as_typed(capsys: pytest.CaptureFixture[str], base_url: str) -> None:
    status, out, _ = await run_main(raw.main, capsys, "--url", base_url, "chunked", "--count", "2", "--interval", "0")
    assert status == 0
    assert f"GET {base_url}/chunked?count=2&interval=0 " in out


async def test_json_gives_the_parameters_as_numbers(capsys: pytest.CaptureFixture[str], base_url: str) -> None:
    argv = ["--url", base_url, "--json", "--endpoints", "chunked", "--count", "2", "--interval", "0.01", "--size", "3"]
    status, out, _ = await run_main(compare.main, capsys, *argv)
    assert status == 0
    assert strict_json(out)["params"] == {"count": 2, "interval": 0.01, "size": 3, "stamp": 1}


async def test_json_stays_json_when_a_value_is_no_number(capsys: pytest.CaptureFixture[str], base_url: str) -> None:
    argv = ["--url", base_url, "--json", "--endpoints", "chunked", "--interval", "nan"]
    status, out, err = await run_main(compare.main, capsys, *argv)
    assert status == compare.EXIT_FAILED and "interval must be a number, not 'nan'" in err
    document = strict_json(out)
    assert document["params"] == {"interval": "nan", "stamp": 1}
    assert document["outcome"] == "failed"
