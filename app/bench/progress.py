"""The benchmark's progress display on stderr: one line per phase, a live line within it.

On a terminal the live line is rewritten in place; in a log (CI) it is printed at most
every few seconds, so a long run shows it is alive without flooding the log.
"""

from __future__ import annotations

import time
from typing import Any, TextIO

PLAIN_EVERY_S = 5.0


class Progress:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.start = time.monotonic()
        self.server_rss: float | None = None
        self._live = False
        self._last_plain = 0.0

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def _stamp(self) -> str:
        return f"[{self.elapsed():6.1f}s]"

    def phase(self, text: str) -> None:
        self.done()
        print(f"{self._stamp()} {text}", file=self.stream, flush=True)

    def update(self, text: str) -> None:
        line = f"{self._stamp()}   {text}"
        if self.tty:
            self.stream.write(f"\r\x1b[K{line}")
            self.stream.flush()
            self._live = True
        elif time.monotonic() - self._last_plain >= PLAIN_EVERY_S:
            self._last_plain = time.monotonic()
            print(line, file=self.stream, flush=True)

    def load_line(self, fields: dict[str, Any]) -> None:
        """A progress line from the load generator."""
        if fields.get("phase") == "concurrency":
            rss = "" if self.server_rss is None else f", server RSS {self.server_rss:.0f} MiB"
            self.update(
                f"connected {fields['connected']:,}/{fields['streams']:,}, {fields['messages']:,} messages{rss}"
            )
        elif "run" in fields:
            self.update(str(fields["run"]))

    def done(self) -> None:
        if self._live:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._live = False
