"""Servers as real processes, and what /proc says about them (memory, fds, sockets)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.bench.processes import free_port, proc_status_kib

__all__ = ["free_port"]

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def require_tool(name: str, install: str) -> str:
    """The path of a command the test needs: a skip without it, a failure under CI=true
    (where .ci/run installs it)."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed, but CI must run this test ({install})")
        pytest.skip(f"{name} is not installed ({install})")
    return found


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB (VmRSS)."""
    kib = proc_status_kib(pid, "VmRSS")
    if kib is None:
        raise RuntimeError(f"no VmRSS for {pid}")
    return kib


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used so far, user and system (from /proc/<pid>/stat)."""
    # The command name may hold spaces and parentheses: the fields follow its last ')'.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in text.split()]


def _socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of a loopback TCP connection, from /proc/net/tcp."""
    local, remote = f"0100007F:{server_port:04X}", f"0100007F:{client_port:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[2] == remote:
            return fields[9]
    return None


def socket_owner(server_port: int, client_port: int, pids: Sequence[int]) -> int | None:
    """Which of `pids` holds the server end of the connection from `client_port`."""
    inode = _socket_inode(server_port, client_port)
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
            except FileNotFoundError:
                continue
    return None


def wait_until_serving(process: subprocess.Popen[bytes], url: str, within: float = 15.0) -> None:
    """Poll `url` until it answers 200, failing early if the process dies."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before serving")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not answer {url} within {within} s")


def stop(process: subprocess.Popen[bytes], within: float = 10.0) -> int:
    """SIGTERM, then wait; a kill only if it does not exit in time. Returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    return process.returncode


@dataclass(frozen=True)
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def make_url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@contextmanager
def run_server(
    command: Sequence[str], port: int, log: Path, env: dict[str, str] | None = None, cwd: Path = PROJECT_ROOT
) -> Iterator[ServerProcess]:
    """Run `command` (a server on `port`) in `cwd` with its output in `log`; stopped with SIGTERM after."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            list(command), cwd=cwd, stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        try:
            wait_until_serving(process, f"http://127.0.0.1:{port}/healthz")
            yield ServerProcess(process, port)
        finally:
            stop(process)


def app_command(port: int, *args: str) -> list[str]:
    """`python -m app` on a loopback port: the server exactly as users start it."""
    return [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port), *args]


def run_app_command(
    *args: str, env: Mapping[str, str] | None = None, within: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """`python -m app ARGS` from the project root, to its end, as a user runs it: the status
    and everything it printed. A command still running after `within` seconds is killed and
    fails the test (TimeoutExpired)."""
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=within,
        check=False,
    )


@contextmanager
def app_server(log_dir: Path, *args: str) -> Iterator[ServerProcess]:
    """`python -m app ARGS` on a free loopback port, its log in `log_dir/server.log`."""
    port = free_port()
    with run_server(app_command(port, *args), port, log_dir / "server.log") as server:
        yield server
