"""Where text meets the terminal: what a server sent is shown, never obeyed.

A header, a reason phrase, a message or an error a server worded can carry ESC, BEL or a
C1 CSI; written as they are, they would set the window's title, clear the screen or move
the cursor. Every line the commands print goes through `say`, so none can forget.
`--json` needs nothing more: `json.dumps` escapes every control character already.
"""

from __future__ import annotations

from typing import TextIO

from ..wire.escape import escape_controls

__all__ = ["printable", "say"]


def printable(text: str) -> str:
    """`text` with its control characters (C0, DEL, C1) spelled out: `\\x1b`, `\\x07`, `\\x9b`."""
    return escape_controls(text)


def say(*lines: str, file: TextIO | None = None) -> None:
    """Each of `lines` on a line of its own (the only line breaks written), flushed at once.

    Args:
        lines: the lines, any of them holding text from the network.
        file: where to write; standard output by default.
    """
    print("\n".join(printable(line) for line in lines), file=file, flush=True)
