"""Bytes shown on a terminal as they crossed the wire: framing made visible, one line."""

from __future__ import annotations

__all__ = ["escape_bytes"]

_ESCAPES = {"\r": "\\r", "\n": "\\n", "\t": "\\t"} | {
    chr(c): f"\\x{c:02x}" for c in (*range(32), 127) if c not in (9, 10, 13)
}


def escape_bytes(data: bytes, limit: int = 0) -> str:
    """Bytes as one printable line: `\\r`, `\\n`, `\\t` and `\\xNN` spelled out.

    With `limit`, data longer than that shows its start, then how many bytes were left out.
    """
    shown = data[:limit] if limit and len(data) > limit else data
    text = shown.decode("ascii", errors="backslashreplace")
    text = "".join(_ESCAPES.get(char, char) for char in text)
    if len(shown) < len(data):
        text += f"... (+{len(data) - len(shown)} bytes)"
    return text
