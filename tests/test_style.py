"""The code stays as `ruff` wants it: lint and format are checked with the tests, so CI
keeps them clean."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.processes import PROJECT_ROOT


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["check", "format"])
def test_ruff_is_clean(command: list[str]) -> None:
    ruff = shutil.which("ruff")
    assert ruff is not None, "ruff is part of the test extra: pip install -e '.[test]'"
    result = subprocess.run([ruff, *command, "."], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-1000:]


def test_types_check_strictly() -> None:
    """`mypy --strict` over the package (configured in pyproject.toml), so a wrong type
    fails the tests, not a user."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-1000:]
