"""The lab is the diagnosis's test bench: for every culprit and fault, `diagnose` on that
lane's URL says what the registry documents (the README's table is made of the same
entries): the verdict and the cause id, and the exit status a script would see.

Each case runs the real command (`python -m app diagnose --json URL`) against the real
server, all of them at once: they are independent streams, each a second and a half long.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from app.culprits import CULPRITS, FAULTS_BY_NAME, Diagnosed
from app.exits import EXIT_CUT, EXIT_ERROR_STATUS, EXIT_OK
from tests.processes import PROJECT_ROOT

#: Five messages 0.3 s apart: long enough that a held stream is plainly held.
PACED = "count=5&interval=0.3"
#: An idle timeout shorter than the interval: the stream is cut after its first message,
#: half a second into it (at the lab's defaults, 1 s apart, the same).
IDLE = "count=3&interval=0.6&idle=0.5"


@dataclass(frozen=True)
class Case:
    name: str
    path: str
    expected: Diagnosed
    exit_status: int = EXIT_OK


CASES = [
    *(Case(f"chunked via {c.name}", f"/chunked?{PACED}&via={c.name}", c.diagnosed) for c in CULPRITS),
    # The CDN streams text/event-stream: the fix for its lane is the sse lane through it.
    Case("sse via cdn", f"/sse?{PACED}&via=cdn", Diagnosed("progressive")),
    Case("chunked drop=2", f"/chunked?{PACED}&drop=2", FAULTS_BY_NAME["drop"].diagnosed, EXIT_CUT),  # type: ignore[arg-type]
    *(
        Case(f"{path} idle", f"{path}?{IDLE}", FAULTS_BY_NAME["idle"].diagnosed, EXIT_CUT)  # type: ignore[arg-type]
        for path in ("/chunked", "/sse", "ws")
    ),
    # A heartbeat well within the idle timeout keeps the stream whole.
    *(Case(f"{path} heartbeat", f"{path}?{IDLE}&heartbeat=0.1", Diagnosed("progressive")) for path in ("/sse", "ws")),
    # A body built whole for longer than the timeout is answered 504 before its head.
    Case("non-chunked idle", f"/non-chunked?{IDLE}", Diagnosed("error"), EXIT_ERROR_STATUS),
]


async def diagnose(server: TestServer, path: str) -> tuple[int, dict[str, Any], str]:
    scheme, path = ("ws", "/" + path) if path.startswith("ws") else ("http", path)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "diagnose",
        "--json",
        f"{scheme}://127.0.0.1:{server.port}{path}",
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, json.loads(out), err.decode()


async def test_diagnose_says_of_every_lab_lane_what_the_registry_documents(server: TestServer) -> None:
    results = await asyncio.gather(*(diagnose(server, case.path) for case in CASES))
    wrong = []
    for case, (status, document, err) in zip(CASES, results, strict=True):
        causes = [cause["id"] for cause in document["causes"]]
        said = (document["verdict"], status)
        if said != (case.expected.verdict, case.exit_status):
            wrong.append(f"{case.name}: {said} (want {case.expected.verdict}, exit {case.exit_status}); {err}")
        elif case.expected.cause is None and causes:
            wrong.append(f"{case.name}: no cause expected, got {causes}")
        elif (
            case.expected.cause is not None
            and causes[:1] != [case.expected.cause]
            and case.expected.cause not in causes
        ):
            wrong.append(f"{case.name}: {case.expected.cause} expected among {causes}")
    assert not wrong, "\n".join(wrong)


def test_every_culprit_and_fault_is_on_the_bench() -> None:
    benched = {case.path.split("via=")[1] for case in CASES if "via=" in case.path}
    assert benched == {culprit.name for culprit in CULPRITS}
    assert {name for name in FAULTS_BY_NAME if any(f"{name}=" in case.path for case in CASES)} == set(FAULTS_BY_NAME)


@pytest.mark.parametrize("culprit", CULPRITS, ids=lambda culprit: culprit.name)
def test_a_culprit_fixed_by_another_lane_names_one_that_streams(culprit) -> None:
    if culprit.fixed_by is not None:
        fix = next(other for other in CULPRITS if other.name == culprit.fixed_by)
        assert (fix.diagnosed.verdict, fix.diagnosed.cause) == ("progressive", None)


def test_the_readmes_table_says_what_the_registry_documents() -> None:
    rows = [line for line in (PROJECT_ROOT / "README.md").read_text().splitlines() if line.startswith("| `via=")]
    for culprit in CULPRITS:
        row = next((row for row in rows if f"`via={culprit.name}`" in row.split("|")[1]), None)
        assert row is not None, culprit.name
        said = row.split("|")[3]
        assert f"`{culprit.diagnosed.verdict}`" in said, (culprit.name, said)
        assert culprit.diagnosed.cause is None or f"`{culprit.diagnosed.cause}`" in said, (culprit.name, said)
