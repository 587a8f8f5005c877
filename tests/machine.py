"""What the machine does to a busy process while a timing test runs, measured in that run.

A timing test scales its own bound by it, so that a busy machine (another test run, a
compiler, a CPU-bound job on one of two cores) does not fail it, while what it pins still
fails it: a server that starves a client for a second does so on an idle machine too, and
there this probe reads a whole core and waits of a fraction of a millisecond.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from types import TracebackType

#: A CPU-bound process that reports, when stopped, the longest it was kept off a core and
#: the share of the wall time it ran.
_SPINNER = """
import signal, sys, time
worst, started, cpu = 0.0, time.monotonic(), time.process_time()
def report(*_):
    wall = time.monotonic() - started
    print(worst, (time.process_time() - cpu) / wall if wall else 1.0, flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, report)
print("ready", flush=True)
last = time.monotonic()
while True:
    now = time.monotonic()
    worst = max(worst, now - last)
    last = now
"""


class Preemption:
    """How the machine treats a busy process while the block runs: the share of a core it
    got, and the longest it was kept off one.

    A busy probe, not a sleeping one: the scheduler wakes a sleeper at once, but makes a busy
    process (a page exporting, a server under load) wait its turn, and only another busy one
    sees how long. The probe is one more busy process meanwhile, which it measures too.
    """

    def __init__(self) -> None:
        self.worst = 0.0
        self.share = 1.0
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Preemption:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _SPINNER], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True
        )
        assert self._process.stdout is not None
        self._process.stdout.readline()  # "ready": spinning from now on
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGTERM)
        out, _ = self._process.communicate(timeout=30)
        worst, share = out.split()
        self.worst, self.share = float(worst), min(1.0, float(share))

    #: The probe and the process it stands for are scheduled apart: with the suite in two
    #: processes the share one got and the other's differ by a tenth or two from moment to
    #: moment (measured: 263 ms taken where 259 were allowed), so the allowance has a margin.
    MARGIN = 1.25

    def allows(self, seconds: float) -> float:
        """`seconds` of work at a whole core, as long as it may take on this machine now."""
        return self.MARGIN * (seconds / max(self.share, 0.05) + self.worst)

    def __str__(self) -> str:
        return f"a busy process got {self.share:.0%} of a core, held off one up to {self.worst * 1000:.1f} ms"
