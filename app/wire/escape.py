"""Bytes and text shown on a terminal as they crossed the wire: framing made visible, one
line, and no control character left for the terminal to obey."""

from __future__ import annotations

import re

__all__ = ["escape_bytes", "escape_controls"]

_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}
#: What a terminal obeys: C0 controls, DEL and C1 controls (U+009B is a CSI by itself). Lone
#: surrogates too: a lenient decode keeps undecodable bytes as them, and a stream written
#: with `surrogateescape` would put those bytes back, raw.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _spelled(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def escape_controls(text: str) -> str:
    """`text` with every control character spelled out (`\\r`, `\\n`, `\\t`, `\\xNN`), the rest kept."""
    return _CONTROLS.sub(_spelled, text)


def escape_bytes(data: bytes, limit: int = 0) -> str:
    """Bytes as one printable line: `\\r`, `\\n`, `\\t` and `\\xNN` spelled out.

    With `limit`, data longer than that shows its start, then how many bytes were left out.
    """
    shown = data[:limit] if limit and len(data) > limit else data
    text = shown.decode("ascii", errors="backslashreplace")
    text = escape_controls(text)
    if len(shown) < len(data):
        text += f"... (+{len(data) - len(shown)} bytes)"
    return text
