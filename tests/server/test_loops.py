"""The event loop the server runs on: uvloop when installed (the optional extra), asyncio
when asked for; /healthz and the banner say which."""

from __future__ import annotations

import argparse
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.server import settings as settings_module
from app.server.loops import ASYNCIO, AUTO, UVLOOP, resolve, uvloop_installed
from app.server.run import banner
from app.server.settings import Settings
from tests.processes import ServerProcess, app_server, run_app_command


def event_loop_of(server: ServerProcess) -> str:
    with urllib.request.urlopen(server.make_url("/healthz"), timeout=5) as response:
        return str(json.load(response)["event_loop"])


@pytest.fixture
def asyncio_process(tmp_path: Path) -> Iterator[ServerProcess]:
    with app_server(tmp_path, "--loop", "asyncio") as server:
        yield server


def test_auto_means_uvloop_exactly_when_it_is_installed() -> None:
    assert resolve(AUTO) == (UVLOOP if uvloop_installed() else ASYNCIO)
    assert resolve(ASYNCIO) == ASYNCIO


def test_asking_for_asyncio_serves_on_asyncio(asyncio_process: ServerProcess) -> None:
    assert event_loop_of(asyncio_process) == ASYNCIO


def test_the_default_process_runs_on_what_auto_means(app_process: ServerProcess) -> None:
    assert event_loop_of(app_process) == resolve(AUTO)


def test_the_banner_names_the_loop() -> None:
    assert ", on asyncio (Ctrl-C" in banner(Settings(loop=ASYNCIO))


def test_an_unknown_loop_is_a_usage_error() -> None:
    done = run_app_command("--loop", "trio")
    assert done.returncode == 2
    assert "loop must be one of auto, asyncio, uvloop, not 'trio'" in done.stderr


def test_uvloop_asked_for_but_missing_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "uvloop_installed", lambda: False)
    with pytest.raises(argparse.ArgumentTypeError, match=r"pip install 'transport-lab\[uvloop\]'"):
        settings_module._loop("uvloop")
