"""An answer that is not a stream is said plainly. An error status is the verdict `error`,
named with its status and reason phrase, exit 8; a ws:// URL answered without 101 is
`not-upgraded`, exit 9, whatever the answer streams. Both fail --expect (but their own),
draw no cause from their body's timing, and show the start of the body, read within bounds.

The servers answer as real ones do: Django and Express stream a 200 to a WebSocket
handshake on a plain route, Werkzeug (Flask) answers 400, Starlette 403, and the
`websockets` library 426 when a proxy drops the handshake's Upgrade and Connection."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer
from websockets.asyncio.server import ServerConnection, serve

import app.client.diagnose.command as diagnose
from app.client.diagnose.fetch import NOT_A_STREAM_BYTES, NOT_A_STREAM_SECONDS
from app.exits import EXIT_ERROR_STATUS, EXIT_FAILED, EXIT_NOT_UPGRADED, EXIT_OK

ERROR_BODY = '{"error": {"message": "The model `nope` does not exist"}}'
WERKZEUG_400 = (
    "<!doctype html>\n<title>400 Bad Request</title>\n<h1>Bad Request</h1>\n"
    "<p>The browser (or proxy) sent a request that this server could not understand.</p>\n"
)


async def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """diagnose's main() in a worker thread (it runs its own event loop) while this loop serves."""
    status = await asyncio.to_thread(diagnose.main, list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


async def json_of(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object], str]:
    status, out, err = await run(capsys, *argv, "--json")
    return status, json.loads(out), err


async def status(request: web.Request) -> web.Response:
    code = int(request.match_info["code"])
    return web.Response(status=code, text=ERROR_BODY, content_type="application/json")


async def ticks(request: web.Request) -> web.StreamResponse:
    """A plain 200 that streams lines for 10 s, to a WebSocket handshake too (as Django does)."""
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    for tick in range(100):
        await response.write(f"tick {tick}\n".encode())
        await asyncio.sleep(0.1)
    return response


async def flask_400(request: web.Request) -> web.Response:
    return web.Response(status=400, text=WERKZEUG_400, content_type="text/html")


async def starlette_403(request: web.Request) -> web.Response:
    return web.Response(status=403)  # uvicorn's answer to a WebSocket no route takes: no body


async def old_version(request: web.Request) -> web.Response:
    """RFC 6455 4.4: a version the server does not speak is answered with the ones it does."""
    return web.Response(status=426, headers={"Sec-WebSocket-Version": "8"}, text="Upgrade Required")


async def endless_error(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(status=500, headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    while True:
        await response.write(b"x" * 16_384)
        await asyncio.sleep(0.01)


@pytest.fixture
async def subjects(aiohttp_server: AiohttpServer) -> str:
    app = web.Application()
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/ticks", ticks)
    app.router.add_get("/flask", flask_400)
    app.router.add_get("/starlette", starlette_403)
    app.router.add_get("/old-version", old_version)
    app.router.add_get("/endless-error", endless_error)
    server = await aiohttp_server(app, host="127.0.0.1")
    return f"127.0.0.1:{server.port}"


# --- an error status ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "phrase"),
    [(404, "Not Found"), (400, "Bad Request"), (426, "Upgrade Required"), (500, "Internal Server Error")],
)
async def test_an_error_status_is_the_verdict_error_named_with_its_status(
    subjects: str, capsys: pytest.CaptureFixture[str], code: int, phrase: str
) -> None:
    said = f"the server answered {code} {phrase}: an error, not a stream"
    exit_code, out, err = await run(capsys, f"http://{subjects}/status/{code}")
    assert exit_code == EXIT_ERROR_STATUS
    assert f"verdict: ERROR: {said}" in " ".join(out.split())
    assert f"  body: {ERROR_BODY}" in out
    assert "likely causes" not in out and "warnings" not in out
    assert "&terminal=error" in out  # the page says what a browser's request got instead
    assert err == f"transport-lab diagnose: {said}\n"


async def test_json_says_error_with_the_body_and_no_cause_or_figures(subjects: str, capsys) -> None:
    exit_code, found, _ = await json_of(capsys, f"http://{subjects}/status/404")
    assert exit_code == EXIT_ERROR_STATUS
    assert (found["status"], found["verdict"]) == (404, "error")
    assert found["reason"] == "the server answered 404 Not Found: an error, not a stream"
    assert (found["causes"], found["warnings"]) == ([], [])
    assert str(found["browser"]).endswith("&terminal=error")
    assert found["body_preview"] == ERROR_BODY
    assert (found["first_message_ms"], found["gaps_ms"], found["metrics_unit"]) == (None, None, None)
    assert found["decoded_bytes"] == len(ERROR_BODY)  # the body was read, and its timeline is there


@pytest.mark.parametrize(
    ("expect", "exit_code", "complaint"),
    [
        ("error", EXIT_OK, ""),
        ("progressive", EXIT_ERROR_STATUS, "expected progressive, got error"),
        ("inconclusive", EXIT_ERROR_STATUS, "expected inconclusive, got error"),
        ("not-upgraded", EXIT_ERROR_STATUS, "expected not-upgraded, got error"),
    ],
)
async def test_an_error_status_fails_every_expectation_but_error(
    subjects: str, capsys: pytest.CaptureFixture[str], expect: str, exit_code: int, complaint: str
) -> None:
    code, out, err = await run(capsys, f"http://{subjects}/status/404", "--expect", expect)
    assert code == exit_code and "verdict: ERROR" in out
    assert (complaint in err) if complaint else err == ""


async def test_expect_error_fails_on_a_stream(subjects: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = await run(capsys, f"http://{subjects}/ticks", "--expect", "error", "--timeout", "1")
    assert (code, err) == (EXIT_FAILED, "transport-lab diagnose: expected error, got progressive\n")


async def test_an_error_whose_body_never_ends_is_read_only_for_what_it_says(subjects: str, capsys) -> None:
    started = time.monotonic()
    exit_code, found, _ = await json_of(capsys, f"http://{subjects}/endless-error")
    assert (exit_code, found["verdict"], found["ending"]) == (EXIT_ERROR_STATUS, "error", "max-bytes")
    assert isinstance(found["wire_bytes"], int) and found["wire_bytes"] <= NOT_A_STREAM_BYTES
    assert time.monotonic() - started < NOT_A_STREAM_SECONDS + 2
    preview = found["body_preview"]
    assert isinstance(preview, str) and preview.startswith("xxxx") and preview.endswith("…") and len(preview) == 200


# --- a WebSocket URL not upgraded ---------------------------------------------------------------


async def test_a_plain_200_that_streams_is_not_a_websocket(subjects: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Django's answer: the lines stream on for 10 s; they are not read as a line stream, nor waited for."""
    started = time.monotonic()
    exit_code, out, err = await run(capsys, f"ws://{subjects}/ticks", "--expect", "progressive")
    said = "the server answered HTTP 200 OK instead of switching protocols (101): not a WebSocket"
    assert exit_code == EXIT_NOT_UPGRADED
    assert f"verdict: NOT-UPGRADED: {said}" in " ".join(out.split())
    assert "  body: tick 0 tick 1" in out
    assert err == f"transport-lab diagnose: expected progressive, got not-upgraded\ntransport-lab diagnose: {said}\n"
    assert time.monotonic() - started < NOT_A_STREAM_SECONDS + 2


@pytest.mark.parametrize(
    ("path", "answered", "preview"),
    [
        ("/flask", "HTTP 400 Bad Request", "<!doctype html> <title>400 Bad Request</title>"),
        ("/starlette", "HTTP 403 Forbidden", ""),
        ("/ticks", "HTTP 200 OK", "tick 0 tick 1"),
    ],
)
async def test_json_says_not_upgraded_with_the_status_and_no_figures(
    subjects: str, capsys: pytest.CaptureFixture[str], path: str, answered: str, preview: str
) -> None:
    exit_code, found, _ = await json_of(capsys, f"ws://{subjects}{path}")
    assert (exit_code, found["verdict"], found["causes"], found["warnings"]) == (
        EXIT_NOT_UPGRADED,
        "not-upgraded",
        [],
        [],
    )
    assert found["reason"] == f"the server answered {answered} instead of switching protocols (101): not a WebSocket"
    assert isinstance(found["body_preview"], str) and found["body_preview"].startswith(preview)
    assert (found["first_message_ms"], found["messages_per_s"], found["close_code"]) == (None, None, None)


async def test_expect_not_upgraded_passes(subjects: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = await run(capsys, f"ws://{subjects}/starlette", "--expect", "not-upgraded")
    assert (code, err) == (EXIT_OK, "")


async def test_a_426_for_another_version_names_it_and_blames_no_hop(subjects: str, capsys) -> None:
    exit_code, found, _ = await json_of(capsys, f"ws://{subjects}/old-version")
    assert exit_code == EXIT_NOT_UPGRADED and found["causes"] == []
    assert found["reason"] == (
        "the server answered HTTP 426 Upgrade Required instead of switching protocols (101): "
        "not a WebSocket (Sec-WebSocket-Version: 8)"
    )


async def echo(websocket: ServerConnection) -> None:
    async for message in websocket:
        await websocket.send(message)


async def relay(request: web.Request) -> web.Response:
    """A proxy as nginx is by default: Upgrade and Connection (hop-by-hop) are not passed on."""
    upstream = request.app[UPSTREAM]
    headers = {k: v for k, v in request.headers.items() if k.lower() not in ("upgrade", "connection", "host")}
    async with aiohttp.ClientSession() as session, session.get(upstream + request.path, headers=headers) as answer:
        kept = {k: v for k, v in answer.headers.items() if k.lower() in ("upgrade", "content-type", "server")}
        return web.Response(status=answer.status, reason=answer.reason, headers=kept, body=await answer.read())


UPSTREAM = web.AppKey("upstream", str)


@pytest.fixture
async def websockets_library() -> AsyncIterator[str]:
    async with serve(echo, "127.0.0.1", 0) as server:
        yield f"127.0.0.1:{next(iter(server.sockets)).getsockname()[1]}"


@pytest.fixture
async def behind_a_relay(aiohttp_server: AiohttpServer, websockets_library: str) -> str:
    app = web.Application()
    app[UPSTREAM] = f"http://{websockets_library}"
    app.router.add_get("/{tail:.*}", relay)
    server = await aiohttp_server(app, host="127.0.0.1")
    return f"127.0.0.1:{server.port}"


async def test_the_websockets_library_behind_a_proxy_that_drops_the_handshake(
    behind_a_relay: str, websockets_library: str, capsys: pytest.CaptureFixture[str]
) -> None:
    exit_code, found, _ = await json_of(capsys, f"ws://{behind_a_relay}/", "--timeout", "5")
    assert (exit_code, found["status"], found["verdict"]) == (EXIT_NOT_UPGRADED, 426, "not-upgraded")
    assert str(found["reason"]).endswith("not a WebSocket (Upgrade: websocket)")
    assert "You need a WebSocket client" in str(found["body_preview"])
    causes = found["causes"]
    assert isinstance(causes, list) and [cause["id"] for cause in causes] == ["upgrade-dropped"]
    assert "proxy_set_header Upgrade $http_upgrade" in causes[0]["fix"]
    # Straight to the library, the same URL upgrades: the relay is what broke it.
    exit_code, found, _ = await json_of(capsys, f"ws://{websockets_library}/", "--timeout", "0.5")
    assert (exit_code, found["status"]) == (EXIT_OK, 101)


async def test_the_websockets_library_asked_plain_http_answers_426_an_error(websockets_library: str, capsys) -> None:
    exit_code, found, _ = await json_of(capsys, f"http://{websockets_library}/")
    assert (exit_code, found["verdict"], found["causes"]) == (EXIT_ERROR_STATUS, "error", [])
    assert found["reason"] == "the server answered 426 Upgrade Required: an error, not a stream"
