"""What every real-stack test needs: a free loopback port, a subject run as a plain process in
the foreground with every path of its own in a temporary directory, and, re-exported here so
a test module imports from one place, the independent clients that say what really arrives
when (`tests.stacks.trace`) and diagnose run several times against one subject, with what
is asserted of those runs (`tests.stacks.runs`).

    with foreground("haproxy", ["haproxy", "-f", str(conf)], port, workdir) as proxy:
        truth = await curl_trace(proxy.url("/lines?count=10"))
        runs = await diagnose_runs(proxy.url("/lines?count=10"))
        assert_all(runs, "progressive", [], truth)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from string import Template

from tests.processes import free_port, require_tool
from tests.stacks.runs import (
    RUNS,
    CommandRun,
    Measured,
    assert_all,
    assert_consistent,
    cause_ids,
    diagnose,
    diagnose_command,
    diagnose_runs,
    measure,
    measure_all,
    outcome,
)
from tests.stacks.trace import Burst, Read, Trace, curl_trace, raw_trace

__all__ = [
    "RUNS",
    "Burst",
    "CommandRun",
    "Measured",
    "Read",
    "Running",
    "Trace",
    "assert_all",
    "assert_consistent",
    "cause_ids",
    "curl_trace",
    "diagnose",
    "diagnose_command",
    "diagnose_runs",
    "foreground",
    "free_port",
    "locate",
    "measure",
    "measure_all",
    "outcome",
    "python_command",
    "raw_trace",
    "render",
    "require",
]

HERE = Path(__file__).resolve().parent
#: Where Debian puts daemons (often not on a user's PATH).
SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")


def locate(name: str) -> str | None:
    """The path of a tool, on PATH or in sbin; None without it."""
    found = shutil.which(name)
    if found is not None:
        return found
    candidates = (Path(folder) / name for folder in SBIN)
    return next((str(path) for path in candidates if os.access(path, os.X_OK)), None)


def require(name: str, install: str) -> str:
    """The path of a tool (found in sbin too): skipped locally without it, failed under CI=true."""
    return locate(name) or require_tool(name, install)


def render(template: Path, target: Path, **values: object) -> Path:
    """`template` with its `$name`s filled in (string.Template), written to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(Template(template.read_text()).substitute({k: str(v) for k, v in values.items()}))
    return target


def python_command(program: Path, *args: str, unbuffered: bool = False) -> list[str]:
    """This interpreter running one of the subject programs beside the tests."""
    return [sys.executable, *(["-u"] if unbuffered else []), str(program), *args]


@dataclass(frozen=True)
class Running:
    """A subject listening on 127.0.0.1:`port`, its output in `log`."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _wait_listening(running: Running, within: float) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise RuntimeError(f"{running.name} exited with {running.process.returncode}:\n{running.log_text()}")
        try:
            with socket.create_connection(("127.0.0.1", running.port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{running.name} did not listen on {running.port} within {within} s:\n{running.log_text()}")


def _stop(process: subprocess.Popen[bytes], within: float) -> None:
    """SIGTERM to the subject's own process group (it may have children: workers, CGIs),
    then SIGKILL to that group if it does not exit in time."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # children left behind by a leader that exited


@contextmanager
def foreground(
    name: str,
    command: Sequence[str],
    port: int,
    workdir: Path,
    env: Mapping[str, str] | None = None,
    within: float = 15.0,
    stop_within: float = 5.0,
) -> Iterator[Running]:
    """Run `command` (a subject that listens on 127.0.0.1:`port`) in `workdir` in its own
    process group, its output in `workdir/NAME.log`; ready once the port accepts; stopped
    (its whole group) on leaving."""
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            list(command),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
        running = Running(name, port, process, log)
        try:
            _wait_listening(running, within)
            yield running
        finally:
            _stop(process, stop_within)
