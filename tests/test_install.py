"""The built package as a new user gets it: the wheel installed without -e into a fresh
virtual environment, run from a folder outside the repository; and the sdist, which must
hold everything the tests need.

Building and installing take a while (a fresh environment installs its dependencies from
the package index), so the wheel and its environment are made once for this module.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import PROJECT_ROOT, free_port, run_server

BUILD_TIMEOUT = 300
INSTALL_TIMEOUT = 600


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path


@dataclass(frozen=True)
class Installed:
    """A fresh virtual environment with the wheel and its bench and deploy extras installed."""

    bin: Path
    outside: Path

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            cwd=self.outside,
            env=outside_env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )


def outside_env() -> dict[str, str]:
    """The environment of a user's shell: nothing points into this repository."""
    return {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """`python -m build`: the sdist first, then the wheel built from that sdist."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(PROJECT_ROOT)],
        check=True,
        capture_output=True,
        timeout=BUILD_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Built(wheel, sdist)


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, f"{built.wheel}[bench,deploy]"],
        check=True,
        capture_output=True,
        timeout=INSTALL_TIMEOUT,
        env=outside_env(),
        stdin=subprocess.DEVNULL,
    )
    return Installed(venv / "bin", tmp_path_factory.mktemp("elsewhere"))


@pytest.fixture
def installed_server(installed: Installed, tmp_path: Path) -> Iterator[str]:
    """`transport-lab` from the installed wheel, started in a folder outside the repository."""
    port = free_port()
    command = [str(installed.bin / "transport-lab"), "--port", str(port)]
    with run_server(command, port, tmp_path / "server.log", cwd=installed.outside, env=outside_env()) as server:
        yield server.base_url


def fetch(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("Content-Type", ""), response.read()


def test_the_wheel_holds_the_page_inside_the_package(built: Built) -> None:
    names = zipfile.ZipFile(built.wheel).namelist()
    for folder in ("static", "templates"):
        shipped = {name.removeprefix("transport_lab/") for name in names if name.startswith(f"transport_lab/{folder}/")}
        in_repo = {path.relative_to(PROJECT_ROOT).as_posix() for path in (PROJECT_ROOT / folder).rglob("*")}
        assert shipped == {path for path in in_repo if not (PROJECT_ROOT / path).is_dir()}
    assert not [name for name in names if name.split("/")[0] in ("app", "bench", "tests")]


def test_the_wheel_holds_every_module(built: Built) -> None:
    names = set(zipfile.ZipFile(built.wheel).namelist())
    package = PROJECT_ROOT / "app"
    modules = {f"transport_lab/{path.relative_to(package).as_posix()}" for path in package.rglob("*.py")}
    assert modules - names == set()


def test_installed_server_serves_the_page_its_script_and_a_stream(installed_server: str) -> None:
    status, content_type, page = fetch(f"{installed_server}/")
    assert (status, content_type.split(";")[0]) == (200, "text/html")
    script = re.search(rb'<script type="module" src="([^"]+)"', page)
    assert script is not None, "the page has no module script"
    status, content_type, source = fetch(f"{installed_server}{script.group(1).decode()}")
    assert status == 200
    assert content_type.endswith("javascript")
    assert b"import" in source
    status, content_type, _ = fetch(f"{installed_server}/static/css/app.css")
    assert (status, content_type.split(";")[0]) == (200, "text/css")
    assert fetch(f"{installed_server}/chunked?interval=0")[2] == b"".join(f"Chunk {i}\n".encode() for i in range(5))


def test_installed_package_is_transport_lab_not_app(installed: Installed) -> None:
    assert installed.run("python", "-c", "import transport_lab").returncode == 0
    assert installed.run("python", "-c", "import app").returncode != 0
    help_text = installed.run("python", "-m", "transport_lab", "--help")
    assert help_text.returncode == 0
    assert "transport-lab" in help_text.stdout


def test_installed_benchmark_runs_with_its_baselines(installed: Installed) -> None:
    # The baselines run in the throughput section; the other sections, the same modules in
    # other ways, run in the checkout's quick run (tests/bench), and every module of the
    # wheel is imported by test_installed_package_loads_under_one_name.
    result = installed.run("transport-lab", "bench", "--quick", "--compare", "--only", "throughput", timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    for server in ("transport-lab", "aiohttp (bare)", "aiohttp-sse", "starlette on uvicorn"):
        assert server in result.stdout


def tracked_files() -> list[str]:
    if not (PROJECT_ROOT / ".git").exists():
        pytest.skip("not a git checkout: nothing to compare the sdist with")
    listed = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    return [name for name in listed.stdout.splitlines() if not (PROJECT_ROOT / name).is_symlink()]


def test_the_sdist_holds_every_tracked_file(built: Built) -> None:
    with tarfile.open(built.sdist) as sdist:
        root = sdist.getnames()[0].split("/")[0]
        names = {name.removeprefix(f"{root}/") for name in sdist.getnames()}
    missing = [name for name in tracked_files() if name not in names and name != ".gitignore"]
    assert missing == []


def test_the_sdist_runs_tests(built: Built, tmp_path: Path) -> None:
    with tarfile.open(built.sdist) as sdist:
        sdist.extractall(tmp_path, filter="data")
    (unpacked,) = tmp_path.iterdir()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "tests/test_params.py", "tests/wire/test_sse.py"],
        cwd=unpacked,
        env=outside_env(),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    assert re.search(r"\d+ passed", result.stdout)


#: Imports every module of a package by name, then names any module loaded under `other`.
LOAD_ALL = """
import importlib, importlib.util, pkgutil, sys
package = importlib.import_module(sys.argv[1])
# The pytest plugin needs pytest, which only a test environment has (pytest alone loads it).
needs = {package.__name__ + ".pytest_plugin": "pytest"}
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if module.name in needs and importlib.util.find_spec(needs[module.name]) is None:
        continue
    importlib.import_module(module.name)
print(sorted(name for name in sys.modules if name.split(".")[0] == sys.argv[2]))
"""


def test_installed_package_loads_under_one_name(installed: Installed) -> None:
    result = installed.run("python", "-c", LOAD_ALL, "transport_lab", "app")
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr[-2000:]


def test_checkout_package_loads_under_one_name() -> None:
    result = subprocess.run(
        [sys.executable, "-c", LOAD_ALL, "app", "transport_lab"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stderr[-2000:]
