"""The benchmark's processes: servers on 127.0.0.1, the load generator, and their memory.

Every wait has a deadline and every process started here is stopped here (SIGTERM,
then SIGKILL), by its own pid, whatever happens to the run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

HOST = "127.0.0.1"
READY_TIMEOUT = 20.0
STOP_TIMEOUT = 8.0
#: The server gets CPU 0, the load generator CPU 1, so they never share a core.
SERVER_CPU, LOAD_CPU = 0, 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def proc_status_kib(pid: int, field: str) -> int | None:
    """A `kB` field of /proc/<pid>/status (VmRSS now, VmHWM the peak), or None once gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(f"{field}:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """CPU time of a process so far: its main thread's, in nanoseconds, from
    /proc/<pid>/schedstat (an asyncio server runs on that thread); else user + system
    time in clock ticks from /proc/<pid>/stat, too coarse for runs of a few milliseconds."""
    try:
        with open(f"/proc/{pid}/schedstat") as schedstat:
            return int(schedstat.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def pinning(cpu: int, enabled: bool) -> Callable[[], None] | None:
    if not enabled or (os.cpu_count() or 1) < 2 or not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


@dataclass
class Server:
    """One server process on a loopback port."""

    label: str
    process: asyncio.subprocess.Process
    port: int

    @property
    def pid(self) -> int:
        return self.process.pid

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def rss_mib(self) -> float | None:
        kib = proc_status_kib(self.pid, "VmRSS")
        return None if kib is None else kib / 1024

    def peak_rss_mib(self) -> float | None:
        kib = proc_status_kib(self.pid, "VmHWM")
        return None if kib is None else kib / 1024


async def _wait_ready(process: asyncio.subprocess.Process, port: int, label: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT
    while loop.time() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"{label} exited with status {process.returncode} before listening")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection(HOST, port)
            writer.close()
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"{label} did not listen on {HOST}:{port} within {READY_TIMEOUT:.0f} s")


async def stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM (a graceful stop), then SIGKILL if it lingers."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()


@contextlib.asynccontextmanager
async def running_server(label: str, argv: list[str], pin: bool) -> AsyncIterator[Server]:
    """Start `argv + ["--port", N]`; stop it when the block ends."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        *argv,
        "--port",
        str(port),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        preexec_fn=pinning(SERVER_CPU, pin),
    )
    try:
        await _wait_ready(process, port, label)
        yield Server(label, process, port)
    finally:
        await stop(process)


ProgressLine = Callable[[dict[str, Any]], None]


async def run_load(job: dict[str, Any], pin: bool, limit_s: float, on_progress: ProgressLine) -> dict[str, Any]:
    """Run one job in the load generator process; its progress lines go to `on_progress`."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        f"{__package__}.load",
        json.dumps(job),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        preexec_fn=pinning(LOAD_CPU, pin),
        limit=16 * 1024 * 1024,
    )
    assert process.stdout is not None and process.stderr is not None
    errors: list[str] = []

    async def relay(stream: asyncio.StreamReader) -> None:
        async for raw in stream:
            line = raw.decode(errors="replace").strip()
            try:
                on_progress(json.loads(line))
            except ValueError:
                errors.append(line)

    try:
        relay_task = asyncio.ensure_future(relay(process.stderr))
        out = await asyncio.wait_for(process.stdout.read(), limit_s)
        await asyncio.wait_for(relay_task, 5)
        await asyncio.wait_for(process.wait(), 5)
    except TimeoutError:
        raise RuntimeError(f"load generator gave no result within {limit_s:.0f} s") from None
    finally:
        await stop(process)
    if process.returncode != 0 or not out.strip():
        raise RuntimeError(f"load generator failed ({process.returncode}): {' | '.join(errors[-5:])}")
    return dict(json.loads(out))
