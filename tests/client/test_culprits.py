"""`compare --via` and the faults end to end against the real server: every culprit beside
the healthy stream, each disconnect (`--drop`, `--idle`) as the user sees it, a heartbeat
that keeps a stream alive, and SSE's EventSource recovery.

The JSON runs call `main()` in a worker thread while the test's loop serves; what the user
reads in a terminal runs `python -m app compare` in a process from the project root.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import pytest

import app.client.compare.command as compare
from app.client.compare.reconnection import DEFAULT_RETRY_MS
from app.culprits import CULPRITS, FAULTS, STREAMED_TYPE, Culprit, Via
from app.endpoints import ENDPOINTS, ENDPOINTS_BY_NAME
from app.params import BOUNDS
from app.wire.coding import ENCODINGS
from tests.processes import run_app_command

#: Three messages 150 ms apart: a held stream gets them together, 300 ms after the first was sent.
PACED = ["--count", "3", "--interval", "0.15"]


async def run(capsys: pytest.CaptureFixture[str], base_url: str, *argv: str) -> tuple[int, dict[str, Any], str]:
    # bounded: an SSE reader that does not resume would reconnect for ever
    status = await asyncio.wait_for(asyncio.to_thread(compare.main, ["--url", base_url, "--json", *argv]), 60)
    captured = capsys.readouterr()
    return status, json.loads(captured.out), captured.err


def stream(document: dict[str, Any], label: str) -> dict[str, Any]:
    return next(s for s in document["streams"] if s["stream"] == label)


def arrivals(document: dict[str, Any], label: str) -> list[dict[str, Any]]:
    return [m for m in document["messages"] if m["stream"] == label]


def spread_ms(messages: list[dict[str, Any]]) -> float:
    return messages[-1]["t_ms"] - messages[0]["t_ms"]


def held_by(culprit: Culprit, endpoint: str) -> bool:
    """What the registry expects of a culprit's lane: held when `diagnose` calls it buffered,
    except that a CDN passes the one type it streams (SSE) at once."""
    if culprit.via is Via.CDN and ENDPOINTS_BY_NAME[endpoint].content_type == STREAMED_TYPE:
        return False
    return culprit.diagnosed.verdict == "buffered"


def compresses(culprit: Culprit) -> bool:
    return culprit.name.removesuffix("-flush") in ENCODINGS


@pytest.mark.parametrize("culprit", CULPRITS, ids=[culprit.name for culprit in CULPRITS])
async def test_every_culprit_is_shown_beside_the_healthy_stream(
    capsys: pytest.CaptureFixture[str], base_url: str, culprit: Culprit
) -> None:
    via = culprit.name
    status, document, err = await run(capsys, base_url, "--endpoints", "chunked,sse", "--via", via, *PACED)
    assert status == 0, err
    assert [s["stream"] for s in document["streams"]] == ["chunked", f"chunked via {via}", "sse", f"sse via {via}"]
    for name, texts in (
        ("chunked", ["Chunk 0", "Chunk 1", "Chunk 2"]),
        ("sse", [f"SSE message {i}" for i in range(3)]),
    ):
        healthy, beside = arrivals(document, name), arrivals(document, f"{name} via {via}")
        assert [m["text"] for m in beside] == [m["text"] for m in healthy] == texts
        # Against the server's own schedule (each message's send time), not fixed milliseconds.
        sent = [m["sent_ms"] for m in beside]
        span = sent[-1] - sent[0]
        assert span > 250  # sent 150 ms apart
        if held_by(culprit, name):
            assert spread_ms(beside) < span / 4, name  # all together, at the end
            assert beside[0]["delay_ms"] > 0.8 * span, name  # the first was held while the others were sent
        else:
            # Passed on as it came: the first arrived before the last was even sent (held, it
            # would come after it), however busy the machine.
            assert beside[0]["delay_ms"] < span, name
        row, plain = stream(document, f"{name} via {via}"), stream(document, name)
        assert (row["endpoint"], row["via"], row["connections"], plain["via"]) == (name, via, 1, None)
        assert row["body_bytes"] == plain["body_bytes"]  # decoded: byte for byte the healthy body
        assert (row["encoded_bytes"] is not None) == compresses(culprit), name
        assert row["url"].endswith(f"/{name}?count=3&interval=0.15&stamp=1&via={via}")


@pytest.mark.parametrize("via", [culprit.name for culprit in CULPRITS if compresses(culprit)])
async def test_compressed_bytes_on_the_wire_are_counted_apart_from_the_decoded_body(
    capsys: pytest.CaptureFixture[str], base_url: str, via: str
) -> None:
    argv = ["--endpoints", "sse", "--via", via, "--count", "20", "--interval", "0", "--size", "200"]
    status, document, err = await run(capsys, base_url, *argv)
    assert status == 0, err
    healthy, culprit = stream(document, "sse"), stream(document, f"sse via {via}")
    assert healthy["encoded_bytes"] is None
    assert culprit["body_bytes"] == healthy["body_bytes"]  # decoded, byte for byte the healthy body
    assert 0 < culprit["encoded_bytes"] < culprit["body_bytes"] / 2  # padding compresses well
    assert culprit["wire_bytes"] == culprit["encoded_bytes"] + culprit["transfer_bytes"]
    assert healthy["wire_bytes"] == healthy["body_bytes"] + healthy["transfer_bytes"]
    assert [m["text"] for m in arrivals(document, f"sse via {via}")] == [m["text"] for m in arrivals(document, "sse")]


async def test_drop_cuts_http_and_websocket_streams_short_with_a_clear_error_each(
    capsys: pytest.CaptureFixture[str], base_url: str
) -> None:
    argv = ["--endpoints", "chunked,ndjson,ws", "--drop", "2", "--count", "5", "--interval", "0"]
    status, document, err = await run(capsys, base_url, *argv)
    assert status == compare.EXIT_FAILED
    assert document["outcome"] == "failed"
    for name in ("chunked", "ndjson", "ws"):
        row = stream(document, name)
        assert (row["messages"], row["drop"], row["connections"]) == (2, 2, 1), row
    assert (
        "transport-lab compare: chunked: cut short: the connection closed after 2 messages, "
        "before the chunked body's last chunk (incomplete body)\n"
    ) in err
    assert "ndjson: cut short: the connection closed after 2 messages" in err
    assert "ws: closed with code 1006 (abnormal closure: the connection was cut without a close frame)" in err
    assert stream(document, "ws")["close_code"] == 1006
    assert "Traceback" not in err and "ClientPayloadError" not in err


@pytest.mark.parametrize(("count", "drop", "connections"), [(5, 2, 3), (4, 2, 2), (3, 5, 1)])
async def test_sse_reconnects_as_eventsource_and_gets_every_message_once(
    capsys: pytest.CaptureFixture[str], base_url: str, count: int, drop: int, connections: int
) -> None:
    argv = ["--endpoints", "sse", "--drop", str(drop), "--count", str(count), "--interval", "0"]
    status, document, err = await run(capsys, base_url, *argv)
    assert status == 0, err
    assert [m["text"] for m in arrivals(document, "sse")] == [f"SSE message {i}" for i in range(count)]
    row = stream(document, "sse")
    # each connection brings `drop` more, the last one the rest and ends cleanly
    assert (row["messages"], row["connections"], row["error"]) == (count, connections, None)


async def test_sse_waits_the_retry_the_server_asked_for(capsys: pytest.CaptureFixture[str], base_url: str) -> None:
    argv = ["--endpoints", "sse", "--drop", "1", "--count", "3", "--interval", "0"]
    status, document, _ = await run(capsys, base_url, *argv)
    assert status == 0
    times = [m["t_ms"] for m in arrivals(document, "sse")]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # `retry: 500`, not the default 3000 ms: each reconnection waits about half a second
    assert all(450 < gap < DEFAULT_RETRY_MS / 2 for gap in gaps), gaps


async def test_the_terminal_shows_the_culprit_beside_the_stream_and_every_disconnect(base_url: str) -> None:
    argv = ["compare", "--url", base_url, "--endpoints", "chunked,sse", "--via", "gzip-flush", "--drop", "2"]
    done = await asyncio.to_thread(run_app_command, *argv, "--count", "3", "--interval", "0")
    assert done.returncode == compare.EXIT_FAILED, done.stderr
    out = done.stdout
    for label in ("chunked", "chunked via gzip-flush", "sse", "sse via gzip-flush"):
        assert f"ms  {label}  " in out, label
    lines = [" ".join(line.split()) for line in out.splitlines()]  # the label column padded to one space
    for label in ("sse", "sse via gzip-flush"):
        notes = [line.split(f" ms {label} -- ")[1] for line in lines if f" ms {label} -- " in line]
        assert notes == [
            "connection 1 was cut after 2 events; EventSource reconnects in 500 ms with Last-Event-ID: 1",
            "connection 2 ended cleanly after 1 event",
        ]
    table = out[out.index("\nstream ") :].splitlines()
    rows = {line[:22].strip(): line.split()[-1] for line in table[3:7]}
    assert rows == {"chunked": "1", "chunked via gzip-flush": "1", "sse": "2", "sse via gzip-flush": "2"}
    for label in ("chunked", "chunked via gzip-flush"):
        assert any(line.endswith(f" ms {label} -- the connection was cut after 2 messages") for line in lines)
    err = done.stderr.splitlines()
    assert [line.split(": ")[1] for line in err] == ["chunked", "chunked via gzip-flush"]
    assert all("cut short: the connection closed after 2 messages" in line for line in err)


async def test_idle_cuts_a_quiet_stream_and_a_buffered_one_is_answered_504(
    capsys: pytest.CaptureFixture[str], base_url: str
) -> None:
    # 400 ms between messages, an idle timeout of 200 ms: cut after the first
    argv = ["--endpoints", "chunked,non-chunked,ws", "--idle", "0.2", "--count", "2", "--interval", "0.4"]
    status, document, err = await run(capsys, base_url, *argv)
    assert status == compare.EXIT_FAILED
    for name in ("chunked", "ws"):
        row = stream(document, name)
        assert (row["messages"], row["idle"], row["heartbeat"], row["connections"]) == (1, 0.2, None, 1), row
    assert "chunked: cut short: the connection closed after 1 message, before the chunked body's last chunk" in err
    assert "ws: closed with code 1006 (abnormal closure: the connection was cut without a close frame)" in err
    # nothing of a buffered body is sent before it is whole: the timeout answers for it
    assert stream(document, "non-chunked")["status"] == 504
    assert "non-chunked: refused with HTTP 504: nothing was sent for 0.2 s: the idle timeout (idle) cut" in err
    assert stream(document, "chunked")["url"].endswith("/chunked?count=2&interval=0.4&stamp=1&idle=0.2")


async def test_a_heartbeat_keeps_a_quiet_stream_whole_under_idle(
    capsys: pytest.CaptureFixture[str], base_url: str
) -> None:
    argv = ["--endpoints", "sse,ws", "--idle", "0.25", "--heartbeat", "0.05", "--count", "2", "--interval", "0.35"]
    status, document, err = await run(capsys, base_url, *argv)
    assert status == 0, err
    assert [m["text"] for m in arrivals(document, "sse")] == ["SSE message 0", "SSE message 1"]  # comments unseen
    for name in ("sse", "ws"):
        row = stream(document, name)
        assert (row["messages"], row["connections"], row["error"]) == (2, 1, None), row
        assert (row["idle"], row["heartbeat"]) == (0.25, 0.05)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--via", "gzip", "--endpoints", "ws"], "--via applies to chunked, json, json-nested, ijson, ndjson, sse; "),
        (["--drop", "2", "--endpoints", "non-chunked"], "--drop applies to chunked,"),
        (["--via", "brotli"], "argument --via: invalid choice: 'brotli'"),
        (["--drop", "two"], "argument --drop: invalid int value: 'two'"),
        (
            ["--heartbeat", "0.2", "--endpoints", "chunked,ndjson"],
            "--heartbeat applies to sse, ws; not to chunked, ndjson: only SSE (a comment) and a WebSocket (a ping) "
            "have a heartbeat a reader ignores",
        ),
    ],
)
def test_a_culprit_or_fault_that_cannot_apply_is_a_usage_error(argv: list[str], message: str) -> None:
    done = run_app_command("compare", "--url", "http://127.0.0.1:9", *argv)
    assert (done.returncode, done.stdout) == (2, "")
    assert message in done.stderr


async def test_a_drop_out_of_bounds_is_the_servers_refusal(capsys: pytest.CaptureFixture[str], base_url: str) -> None:
    status, document, err = await run(capsys, base_url, "--endpoints", "chunked", "--drop", "0")
    assert status == compare.EXIT_FAILED
    assert "chunked: refused with HTTP 400: drop must be" in err
    assert stream(document, "chunked")["status"] == 400


def help_entries(lines: list[str], heading: str) -> list[str]:
    """The entries of a help table, each as one line: a line at two spaces starts one, a
    line further in goes on with it; a blank line ends the table."""
    entries: list[str] = []
    for line in lines[lines.index(heading) + 1 :]:
        if not line.strip():
            break
        if line.startswith("   "):
            entries[-1] += " " + line.strip()
        else:
            entries.append(" ".join(line.split()))
    return entries


def test_help_lists_every_culprit_on_its_own_line_and_where_each_option_applies() -> None:
    done = run_app_command("compare", "--help", env={"COLUMNS": "80"})
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    # one entry per culprit, its name first, then its cause's first clause: a table to read
    entries = help_entries(lines, "culprits (--via CULPRIT), each shown beside the healthy stream:")
    assert entries == [f"{culprit.name} {culprit.cause.split(':')[0]}" for culprit in CULPRITS]
    text = " ".join(done.stdout.split())
    assert "Repeatable. Applies to chunked, json, json-nested, ijson, ndjson, sse --drop N" in text
    assert "after N messages (between 1 and 1000000)" in text
    following = [f"--{fault.name} " for fault in FAULTS[1:]] + ["--upper "]
    for fault, after in zip(FAULTS, following, strict=True):
        where = ", ".join(endpoint.name for endpoint in ENDPOINTS if endpoint.transport in fault.transports)
        assert f"({BOUNDS[fault.name].between()})" in text, fault.name
        assert f"Applies to {where} {after}" in text, fault.name
