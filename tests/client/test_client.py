"""`transport-lab compare` and `raw` end to end against the real server on a loopback port.

`main()` runs in a worker thread (it owns its own event loop) while the test's loop
serves; the Ctrl-C test runs the real command in a subprocess and sends it SIGINT.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from typing import Any

import pytest
from aiohttp import web

import app.client.compare.command as client
from app.client import raw
from app.client.options import start_hint
from app.wire.chunked import chunk_framing_bytes
from tests import tutorial
from tests.conftest import wait_for_no_active_streams
from tests.processes import free_port

FAST = ["--count", "3", "--interval", "0.01"]


async def run_client(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = await asyncio.to_thread(client.main, list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


async def run_raw(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = await asyncio.to_thread(raw.main, list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


async def run_json(capsys: pytest.CaptureFixture[str], base_url: str, *argv: str) -> dict[str, Any]:
    status, out, err = await run_client(capsys, "--url", base_url, "--json", *argv)
    assert status == 0, err
    return json.loads(out)


def texts(document: dict[str, Any], endpoint: str) -> list[str]:
    return [m["text"] for m in document["messages"] if m["endpoint"] == endpoint]


def stream(document: dict[str, Any], endpoint: str) -> dict[str, Any]:
    return next(s for s in document["streams"] if s["endpoint"] == endpoint)


async def test_text_output_prints_each_message_then_a_summary_row_per_endpoint(
    capsys: pytest.CaptureFixture[str], base_url: str
) -> None:
    status, out, _ = await run_client(capsys, "--url", base_url, "--endpoints", "chunked,sse,ws", *FAST)
    assert status == 0
    lines = out.splitlines()
    for text in ("Chunk 2", "SSE message 2", "WebSocket message 2"):
        assert any(text in line and "delay" in line for line in lines), text
    times = [float(line.split()[0]) for line in lines if line.endswith("ms]")]
    assert len(times) == 9 and times == sorted(times)
    table = lines[lines.index(next(line for line in lines if line.startswith("stream"))) :]
    assert [row.split()[:2] for row in table[2:5]] == [["chunked", "200"], ["sse", "200"], ["ws", "101"]]
    assert all(row.split()[5] == "3" for row in table[2:5])


async def test_json_output_has_the_tutorial_messages_their_stamps_and_figures(
    capsys: pytest.CaptureFixture[str], base_url: str
) -> None:
    document = await run_json(capsys, base_url, "--endpoints", "chunked,json,ndjson,sse,ws,ijson", *FAST)
    assert document["outcome"] == "complete"
    assert texts(document, "chunked") == ["Chunk 0", "Chunk 1", "Chunk 2"]
    assert texts(document, "json") == [
        json.dumps(p) for p in ({"id": 1, "name": "Tom"}, {"id": 2, "name": "Adam"}, {"id": 3, "name": "Sam"})
    ]
    assert texts(document, "ndjson") == texts(document, "json")
    assert texts(document, "sse") == ["SSE message 0", "SSE message 1", "SSE message 2"]
    assert texts(document, "ws") == ["WebSocket message 0", "WebSocket message 1", "WebSocket message 2"]
    assert texts(document, "ijson")[:2] == [" start_map None", " map_key items"]
    for message in document["messages"]:
        assert message["sent_ms"] is not None and -50 < message["delay_ms"] < 5000, message
    assert [s["messages_not_kept"] for s in document["streams"]] == [0] * 6  # every message listed
    chunked = stream(document, "chunked")
    assert chunked["messages"] == 3 and chunked["chunks"] == 3
    stamped_line = len("Chunk 0 @1764000000000.000\n")
    assert chunked["framing_bytes_per_message"] == round((3 * chunk_framing_bytes(stamped_line) + 5) / 3, 1)
    assert chunked["wire_bytes"] == 3 * stamped_line + 3 * chunk_framing_bytes(stamped_line) + 5
    assert stream(document, "ws")["framing_bytes_per_message"] == 2.0
    assert stream(document, "sse")["syntax_bytes"] > 0


async def test_streams_are_read_at_once_and_interleave_as_they_arrive(
    capsys: pytest.CaptureFixture[str], base_url: str
) -> None:
    document = await run_json(capsys, base_url, "--endpoints", "chunked,ws", "--count", "3", "--interval", "0.15")
    order = [(m["endpoint"], m["text"][-1]) for m in document["messages"]]
    # each endpoint's message i arrives before either endpoint's message i+1
    assert sorted(order[:2]) == [("chunked", "0"), ("ws", "0")]
    assert sorted(order[2:4]) == [("chunked", "1"), ("ws", "1")]


async def test_upper_processes_each_message_and_no_stamp_sends_the_tutorial_body(
    capsys: pytest.CaptureFixture[str], base_url: str
) -> None:
    document = await run_json(capsys, base_url, "--endpoints", "chunked", "--upper", "--no-stamp", *FAST)
    assert texts(document, "chunked") == ["CHUNK 0", "CHUNK 1", "CHUNK 2"]
    assert all(m["sent_ms"] is None for m in document["messages"])


async def test_nested_json_messages_join_into_the_document(capsys: pytest.CaptureFixture[str], base_url: str) -> None:
    document = await run_json(capsys, base_url, "--endpoints", "json-nested", "--interval", "0")
    assert json.loads("".join(texts(document, "json-nested"))) == json.loads(tutorial.JSON_NESTED)
    assert stream(document, "json-nested")["messages"] == stream(document, "json-nested")["chunks"]


async def test_unknown_endpoint_exits_2_naming_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = await run_client(capsys, "--endpoints", "chunked,nope")
    assert (status, out) == (client.EXIT_USAGE, "")
    assert "unknown endpoint 'nope'" in err and "sse" in err


async def test_unreachable_server_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()  # nothing listens there
    status, _, err = await run_client(capsys, "--url", f"http://127.0.0.1:{port}", "--endpoints", "chunked,ws")
    assert status == client.EXIT_UNREACHABLE
    assert f"cannot reach the server at http://127.0.0.1:{port}" in err
    assert err.endswith(f"\nstart one with: transport-lab --port {port}\n")


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("http://127.0.0.1:8080", "start one with: transport-lab"),
        ("http://localhost:8080/", "start one with: transport-lab"),
        ("http://[::1]:9000", "start one with: transport-lab --port 9000"),
        ("https://127.0.0.1:8080", None),  # the server serves plain HTTP: it cannot be this one
        ("http://example.invalid:8080", None),  # not this machine
    ],
)
def test_an_unreachable_server_on_this_machine_is_told_how_to_start(url: str, hint: str | None) -> None:
    assert start_hint(url) == hint


@pytest.mark.parametrize("endpoint", ["chunked", "ws"])
async def test_a_400_exits_1_with_the_servers_message(
    capsys: pytest.CaptureFixture[str], base_url: str, endpoint: str
) -> None:
    status, out, err = await run_client(capsys, "--url", base_url, "--endpoints", endpoint, "--count", "0")
    assert status == client.EXIT_FAILED
    assert f"{endpoint}: refused with HTTP 400: count must be between 1 and 1000000, not '0'" in err
    # said once: the summary row shows the status, not the message again
    assert (out + err).count("count must be between") == 1
    assert [row.split()[:2] for row in out.splitlines() if row.startswith(endpoint)] == [[endpoint, "400"]]


async def test_raw_shows_the_chunk_framing_on_the_wire(capsys: pytest.CaptureFixture[str], base_url: str) -> None:
    status, out, _ = await run_raw(capsys, "--url", base_url, "chunked", "--count", "2", "--interval", "0")
    assert status == 0
    assert "Transfer-Encoding: chunked\\r\\n" in out
    for element in ("8\\r\\n", "Chunk 0\\n", "Chunk 1\\n", "0\\r\\n"):
        assert element in out, element
    assert "chunk size 0x8 = 8 bytes" in out and "last chunk" in out
    assert out.rstrip().endswith("total: 2 chunks, 16 data bytes, 15 framing bytes")


async def test_raw_shows_a_buffered_body_without_framing(capsys: pytest.CaptureFixture[str], base_url: str) -> None:
    status, out, _ = await run_raw(capsys, "--url", base_url, "non-chunked", "--interval", "0")
    assert status == 0
    assert "Content-Length: 40\\r\\n" in out and "no chunk framing" in out


async def test_raw_refuses_websocket_and_reports_a_400(capsys: pytest.CaptureFixture[str], base_url: str) -> None:
    status, _, err = await run_raw(capsys, "--url", base_url, "ws")
    assert status == client.EXIT_USAGE and "WebSocket" in err
    status, _, err = await run_raw(capsys, "--url", base_url, "sse", "--interval", "nan")
    assert status == client.EXIT_FAILED and "HTTP 400: interval must be" in err


async def test_ctrl_c_exits_130_and_closes_its_streams(base_url: str, app: web.Application) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "compare",
        "--url",
        base_url,
        "--endpoints",
        "chunked,sse,ws",
        "--count",
        "1000",
        "--interval",
        "0.05",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        first = await asyncio.wait_for(process.stdout.readline(), 15)
        assert b"Chunk 0" in first or b"message 0" in first
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), 15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == client.EXIT_INTERRUPTED
    assert b"interrupted; connections closed" in err and b"Traceback" not in err
    assert b"stream" in out  # the summary of what arrived before the interrupt
    assert await wait_for_no_active_streams(app) == 0
