"""`check_stream` from a user's own pytest-aiohttp suite: the README's example run by pytest
itself against this project's app, and the same check on a deliberately buffered body, which
must fail saying why (the verdict, the cause, its evidence and its fix)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from app.checks import StreamCheckFailed, check_stream

#: The README's example, word for word but for the second, buffered endpoint.
EXAMPLE = """\
from transport_lab import create_app


async def test_the_events_stream(aiohttp_server, check_stream):
    server = await aiohttp_server(create_app())
    await check_stream(server.make_url("/sse?count=3&interval=0.2"), first_message_within_ms=1000)


async def test_a_body_built_whole(aiohttp_server, check_stream):
    server = await aiohttp_server(create_app())
    await check_stream(server.make_url("/non-chunked?count=3&interval=0.2"))
"""


def test_the_plugin_run_by_pytest_passes_a_stream_and_fails_a_buffered_body_saying_why(tmp_path: Path) -> None:
    (tmp_path / "test_example.py").write_text(EXAMPLE)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "0", "-o", "asyncio_mode=auto"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    said = done.stdout
    assert done.returncode == 1, said
    assert "1 failed, 1 passed" in said, said
    assert "FAILED test_example.py::test_a_body_built_whole" in said
    assert "did not stream as expected" in said and "expected progressive, got buffered" in said
    assert "[content-length] the headers came with Content-Length" in said
    assert "fix: stream the body instead of building it" in said


async def test_a_check_passes_with_the_figures_it_asked_for(server: TestServer) -> None:
    diagnosis = await check_stream(
        str(server.make_url("/ndjson?count=4&interval=0.15")), first_message_within_ms=1000, max_gap_ms=1000
    )
    assert diagnosis.metrics is not None and diagnosis.metrics.count == 4


async def test_a_check_fails_on_each_figure_it_asked_for(server: TestServer) -> None:
    url = str(server.make_url("/ndjson?count=3&interval=0.3"))
    with pytest.raises(StreamCheckFailed) as failed:
        await check_stream(url, first_message_within_ms=1000, max_gap_ms=100)
    assert "between messages, over 100 ms" in str(failed.value)
    with pytest.raises(StreamCheckFailed) as failed:
        await check_stream(
            str(server.make_url("/ndjson?count=2&interval=0.3&via=middleware")), first_message_within_ms=100
        )
    assert "not within 100 ms" in str(failed.value) and "expected progressive, got buffered" in str(failed.value)
