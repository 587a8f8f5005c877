"""`diagnose [NAME=]URL [NAME=]URL ...`: the same stream read at several places at the same
instant, and the first hop where it changes shape, over real parts: the app's own stream
directly and through real nginx, buffering it (it ignores the app's X-Accel-Buffering) or
not (the documented config)."""

from __future__ import annotations

import asyncio
import functools
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pytest
from aiohttp.test_utils import TestServer

from app.client.diagnose import fleet
from app.exits import EXIT_FAILED, EXIT_OK
from app.server.yours import page_streams
from app.targets import hop_names, split_target
from tests.nginx import RunningNginx, adapt, documented_config, require_nginx, run_nginx
from tests.processes import PROJECT_ROOT, free_port

STREAM = "/chunked?count=5&interval=0.3"


@pytest.mark.parametrize(
    ("text", "split"),
    [
        ("origin=http://127.0.0.1:8080/sse", ("origin", "http://127.0.0.1:8080/sse")),
        ("http://127.0.0.1/x?a=b", (None, "http://127.0.0.1/x?a=b")),
        ("edge-1.eu=https://cdn.example/x?y=z", ("edge-1.eu", "https://cdn.example/x?y=z")),
        ("wss://h/ws?token=a=b", (None, "wss://h/ws?token=a=b")),
    ],
)
def test_a_target_may_be_named(text: str, split: tuple[str | None, str]) -> None:
    assert split_target(text) == split


def test_unnamed_hops_are_named_by_host_or_by_place_when_hosts_repeat() -> None:
    assert hop_names([(None, "http://a:1/"), ("edge", "http://b/")]) == ["a:1", "edge"]
    assert hop_names([(None, "http://a/x"), (None, "http://a/y")]) == ["hop 1", "hop 2"]


def nginx_in_front(server: TestServer, tmp_path: Path, buffering: bool) -> Iterator[RunningNginx]:
    port = free_port()
    config = adapt(documented_config(), listen_port=port, upstream_port=server.port)
    if buffering:  # nginx with its default buffering, deaf to the app's X-Accel-Buffering: no
        config = config.replace("location / {\n", "location / {\n        proxy_ignore_headers X-Accel-Buffering;\n", 1)
    with run_nginx(require_nginx(), tmp_path / "nginx", config, port) as nginx:
        yield nginx


@pytest.fixture
def buffering_nginx(server: TestServer, tmp_path: Path) -> Iterator[RunningNginx]:
    yield from nginx_in_front(server, tmp_path, buffering=True)


@pytest.fixture
def streaming_nginx(server: TestServer, tmp_path: Path) -> Iterator[RunningNginx]:
    yield from nginx_in_front(server, tmp_path, buffering=False)


async def diagnose(*argv: str) -> tuple[int, dict[str, Any], str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "diagnose",
        *argv,
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, json.loads(out) if out.startswith(b"{") else {}, out.decode() + err.decode()


async def test_the_hop_that_buffers_is_named_with_its_likely_cause(
    server: TestServer, buffering_nginx: RunningNginx
) -> None:
    origin, edge = f"origin=http://127.0.0.1:{server.port}{STREAM}", f"nginx={buffering_nginx.make_url(STREAM)}"
    status, document, said = await diagnose("--json", origin, edge)
    assert status == EXIT_OK, said
    comparison = document["comparison"]
    assert comparison["verdicts"] == {"origin": "progressive", "nginx": "buffered"}
    assert (comparison["after"], comparison["changed_at"]) == ("origin", "nginx")
    # The documented config gzips streams too: nginx's hop is held by its buffer and its gzip.
    nginx = document["hops"][1]
    assert comparison["likely"] == nginx["causes"][0]
    assert "proxy-buffering" in [cause["id"] for cause in nginx["causes"]]
    assert [hop["name"] for hop in document["hops"]] == ["origin", "nginx"]
    assert all(hop["messages"] == 5 for hop in document["hops"])
    # The dashboard's link reads the same hops, named the same, as lanes of "your stream".
    link = urlsplit(comparison["browser"])
    streams = page_streams(parse_qs(link.query)["stream"]) or ()
    assert [(s.name, s.url) for s in streams] == [(h["name"], h["url"]) for h in document["hops"]]


async def test_hops_that_all_stream_name_no_hop_and_expect_holds_for_each(
    server: TestServer, streaming_nginx: RunningNginx
) -> None:
    status, _, said = await diagnose(
        "--expect", "progressive", f"http://127.0.0.1:{server.port}{STREAM}", streaming_nginx.make_url(STREAM)
    )
    assert status == EXIT_OK, said
    assert "every hop progressive: no hop changes the stream's shape" in said
    # Last, one link to the dashboard with every hop in it.
    link = said.strip().splitlines()[-1].strip()
    assert link.startswith("http://127.0.0.1:8080/?stream=") and link.count("stream=") == 2, said


async def test_hops_a_browser_cannot_read_get_no_browser_link(server: TestServer) -> None:
    http, ws = f"http://127.0.0.1:{server.port}/chunked?count=1&interval=0", f"ws://127.0.0.1:{server.port}/ws?count=1"
    status, document, said = await diagnose("--json", http, ws)
    assert status == EXIT_OK, said
    assert document["comparison"]["browser"] is None


async def test_expect_names_each_hop_that_failed_it(server: TestServer, buffering_nginx: RunningNginx) -> None:
    origin, edge = f"http://127.0.0.1:{server.port}{STREAM}", f"edge={buffering_nginx.make_url(STREAM)}"
    status, _, said = await diagnose("--expect", "progressive", origin, edge)
    assert status == EXIT_FAILED, said
    assert "--expect progressive failed at edge" in said
    assert f"the stream changes shape between 127.0.0.1:{server.port} and edge — likely " in said


async def test_junit_has_a_case_per_hop_and_a_failure_carrying_the_verdict_causes_and_fix(
    server: TestServer, tmp_path: Path
) -> None:
    report = tmp_path / "report.xml"
    base = f"http://127.0.0.1:{server.port}/sse?count=3&interval=0.2"
    status, _, said = await diagnose("--junit", str(report), "--expect", "progressive", base, f"gzip={base}&via=gzip")
    assert status == EXIT_FAILED, said
    suite = ElementTree.parse(report).getroot()
    assert (suite.tag, suite.get("tests"), suite.get("failures")) == ("testsuite", "2", "1")
    healthy, held = suite.findall("testcase")
    assert healthy.get("name") == f"127.0.0.1:{server.port}" and healthy.find("failure") is None
    failure = held.find("failure")
    assert held.get("name") == "gzip" and failure is not None
    assert failure.get("message", "").startswith("buffered: ") and failure.get("message", "").endswith(
        "(expected progressive)"
    )
    assert "[compression]" in (failure.text or "") and "fix: do not compress streams" in (failure.text or "")


async def test_junit_for_one_url_that_is_not_reached_is_one_failed_case(tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    status, _, said = await diagnose("--junit", str(report), f"http://127.0.0.1:{free_port()}/sse")
    assert status == 3, said
    (case,) = ElementTree.parse(report).getroot().findall("testcase")
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "exit 3" and "nothing listens" in (failure.text or "")


async def test_a_fleet_from_a_file_is_checked_each_against_its_own_expectation(
    server: TestServer, tmp_path: Path
) -> None:
    base = f"http://127.0.0.1:{server.port}"
    listed = tmp_path / "fleet.txt"
    listed.write_text(
        "# streams we ship\n"
        f"healthy={base}/sse?count=3&interval=0.2 progressive\n"
        f"gz={base}/sse?count=3&interval=0.2&via=gzip progressive\n"
        "\n"
        f"{base}/non-chunked?count=2&interval=0.2 buffered\n"
    )
    report = tmp_path / "report.xml"
    status, _, said = await diagnose("--from", str(listed), "--junit", str(report))
    assert status == EXIT_FAILED, said
    assert "ok    healthy: progressive, expected progressive" in said
    assert "FAIL  gz: buffered (compression), expected progressive" in said
    assert "2 of 3 passed" in said
    suite = ElementTree.parse(report).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")


@pytest.mark.parametrize(
    ("listed", "said"),
    [
        ("http://127.0.0.1:9/ fastest\n", "fleet.txt:1: a line is [NAME=]URL [VERDICT]"),
        ("# nothing\n\n", "fleet.txt: no URL to check"),
        ("ok=http://127.0.0.1:9/\nftp://x/ progressive\n", "fleet.txt:2: URL must be http://"),
    ],
)
async def test_a_fleet_file_it_cannot_read_is_a_usage_error_naming_the_line(
    tmp_path: Path, listed: str, said: str
) -> None:
    path = tmp_path / "fleet.txt"
    path.write_text(listed)
    status, _, output = await diagnose("--from", str(path))
    assert status == 2 and said in output, output


async def test_a_fleet_is_checked_no_more_than_its_bound_at_a_time() -> None:
    running, most = 0, 0

    async def job(index: int) -> int:
        nonlocal running, most
        running += 1
        most = max(most, running)
        await asyncio.sleep(0)  # let every other job that may start, start
        running -= 1
        return index

    jobs = [functools.partial(job, index) for index in range(3 * fleet.CONCURRENT)]
    assert await fleet.bounded(jobs) == list(range(3 * fleet.CONCURRENT))  # results in order
    assert most == fleet.CONCURRENT
