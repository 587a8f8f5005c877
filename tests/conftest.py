"""Shared fixtures: the app from the real factory, served on a real loopback port by
pytest-aiohttp's `aiohttp_server`, and clients for it."""

from __future__ import annotations

import asyncio
import fcntl
import inspect
import signal
import tempfile
import types
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from pytest_aiohttp import AiohttpClient, AiohttpServer

from app import Settings, create_app
from app.server.keys import stream_stats_key
from tests.processes import ServerProcess, app_server


def pytest_configure(config: pytest.Config) -> None:
    """The Ctrl-C tests send SIGINT to the commands they start, as a terminal does to its
    foreground job. A test run started in the background by a script (CI, `nohup`, `cmd &`)
    inherits SIGINT ignored and would pass that on to every command it starts, which would
    then never see the Ctrl-C: the run gives its children the terminal's default back."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


#: Names a function uses to start another process (`subprocess.run`, `asyncio.create_subprocess_exec`).
PROCESS_STARTERS = frozenset({"subprocess", "create_subprocess_exec", "create_subprocess_shell"})
#: Stress tests: each holds a server under load for seconds on purpose.
SLOW_FILES = ("tests/server/test_abuse_",)
#: Tests that take both cores on purpose (stress, a firehose through the browser, the load
#: benchmark): run with nothing beside them, so no timing test in the other process meets them.
ALONE_FILES = (*SLOW_FILES, "tests/browser/test_firehose.py", "tests/bench/test_load.py")


def _names(code: types.CodeType) -> set[str]:
    """The global and attribute names a function's code uses, nested functions included."""
    names = set(code.co_names)
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _names(constant)
    return names


def starts_a_process(function: Callable[..., object], seen: set[object] | None = None) -> bool:
    """Whether `function`, or a helper of this test suite it calls, starts a process."""
    seen = set() if seen is None else seen
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    if code is None or function in seen:
        return False
    seen.add(function)
    names = _names(code)
    if names & PROCESS_STARTERS:
        return True
    scope = getattr(function, "__globals__", {})
    helpers = [scope.get(name) for name in names]
    ours = [helper for helper in helpers if getattr(helper, "__module__", "").startswith("tests.")]
    methods = [member for cls in ours if inspect.isclass(cls) for member in vars(cls).values()]
    return any(starts_a_process(helper, seen) for helper in [*ours, *methods] if inspect.isfunction(helper))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """`process`: the test or a fixture it uses starts a process (a server, nginx, gunicorn,
    curl, a benchmark, a build); `slow`: a stress test (other tests that wait on purpose are
    marked where they are). `-m "not browser and not process and not slow"` is the quick
    part of the suite."""
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        fixtures = [defs[-1].func for defs in item._fixtureinfo.name2fixturedefs.values() if defs]
        if any(starts_a_process(function) for function in [item.function, *fixtures]):
            item.add_marker(pytest.mark.process)
        if item.nodeid.startswith(SLOW_FILES):
            item.add_marker(pytest.mark.slow)
        if item.nodeid.startswith(ALONE_FILES):
            item.add_marker(pytest.mark.alone)


@pytest.fixture(autouse=True)
def machine_turns(request: pytest.FixtureRequest) -> Iterator[None]:
    """With the suite in two processes, an `alone` test waits until the other process's test
    has ended and holds the machine to itself; every other test shares it. A readers-writer
    lock over two files: `alone` takes the share exclusively, the others together; all pass a
    turnstile first, so an `alone` test waiting for its turn is not overtaken for ever."""
    run = getattr(request.config, "workerinput", {}).get("testrunuid")
    if run is None:  # one process: nothing runs beside anything
        yield
        return
    folder = Path(tempfile.gettempdir())
    alone = request.node.get_closest_marker("alone") is not None
    with (
        open(folder / f"transport-lab-{run}.gate", "a") as gate,
        open(folder / f"transport-lab-{run}.share", "a") as share,
    ):
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(share, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(share, fcntl.LOCK_UN)


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def app(settings: Settings) -> web.Application:
    return create_app(settings)


#: A test's open streams get this long to end when the server stops (production: settings).
TEST_SHUTDOWN_TIMEOUT = 1.0


@pytest.fixture
async def server(app: web.Application, aiohttp_server: AiohttpServer) -> TestServer:
    """The app on 127.0.0.1 and a free port, served by pytest-aiohttp's test server.

    aiohttp's test server always cancels the handler of a client that left and takes no
    option for it; `test_the_test_server_cancels_handlers_as_production_does` pins that
    production's `HANDLER_CANCELLATION` agrees.
    """
    return await aiohttp_server(app, host="127.0.0.1", shutdown_timeout=TEST_SHUTDOWN_TIMEOUT)


@pytest.fixture
def base_url(server: TestServer) -> str:
    return f"{server.scheme}://{server.host}:{server.port}"


async def wait_for_no_active_streams(app: web.Application, within: float = 5.0) -> int:
    """Poll the live count until it is zero or `within` seconds pass; returns the last count."""
    stats = app[stream_stats_key]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    # Polled as /healthz would be: the count is observed from outside, not signalled.
    while stats.active and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    return stats.active


@pytest.fixture
def app_process(tmp_path: Path) -> Iterator[ServerProcess]:
    """`python -m app` as a real process, for what only a process shows (RSS, fds, signals)."""
    with app_server(tmp_path) as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def client(server: TestServer, aiohttp_client: AiohttpClient) -> TestClient[web.Request, None]:
    """A test client whose relative URLs (`client.get("/chunked")`) go to `server`."""
    return await aiohttp_client(server)
