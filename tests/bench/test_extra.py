"""A missing bench extra is one line naming the package and how to install it, not a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.bench.extra import INSTALL, not_installed
from app.exits import EXIT_FAILED
from tests.processes import PROJECT_ROOT

#: Runs a baseline server as `python -m` does, with one package made impossible to import.
WITHOUT = """
import runpy, sys
sys.modules[sys.argv[1]] = None
sys.argv = [sys.argv[2], "--port", "9"]
runpy.run_module(sys.argv[0], run_name="__main__")
"""


@pytest.mark.parametrize(
    ("module", "package"),
    [
        ("app.bench.servers.aiohttp_sse_lib", "aiohttp_sse"),
        ("app.bench.servers.starlette_app", "starlette"),
        ("app.bench.servers.starlette_app", "uvicorn"),
    ],
)
def test_a_baseline_without_its_package_says_how_to_install_it(module: str, package: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT, package, module],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == EXIT_FAILED
    assert done.stderr.endswith(f"{package} is not installed: pip install 'transport-lab[bench]'\n"), done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def test_a_skipped_baseline_says_how_to_install_it() -> None:
    assert (
        not_installed(["starlette", "uvicorn"])
        == f"not installed: starlette, uvicorn (install the bench extra: {INSTALL})"
    )
