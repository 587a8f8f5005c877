"""The event loop the server runs on: asyncio's own, or uvloop (an optional extra,
`pip install 'transport-lab[uvloop]'`), which is used when installed unless asked otherwise."""

from __future__ import annotations

import asyncio
import importlib
import importlib.util

AUTO, ASYNCIO, UVLOOP = "auto", "asyncio", "uvloop"
LOOPS = (AUTO, ASYNCIO, UVLOOP)


def uvloop_installed() -> bool:
    return importlib.util.find_spec(UVLOOP) is not None


def resolve(choice: str) -> str:
    """The loop `choice` means here: `auto` is uvloop when it is installed, else asyncio."""
    if choice == AUTO:
        return UVLOOP if uvloop_installed() else ASYNCIO
    return choice


def new_loop(choice: str) -> asyncio.AbstractEventLoop:
    if resolve(choice) == UVLOOP:
        return importlib.import_module(UVLOOP).new_event_loop()  # type: ignore[no-any-return]
    return asyncio.new_event_loop()
