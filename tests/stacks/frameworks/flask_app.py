"""Flask, run by gunicorn's sync worker as most Flask apps are deployed:

- `/tokens`: a generator response, each NDJSON line yielded when it is ready (gunicorn frames
  them as chunks and sends each at once): progressive;
- `/report`: the same lines collected and returned as one string, so Flask sets
  Content-Length and nothing leaves before the last line: buffered;
- `/boom`: a view that raises, answered 500 by Flask.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask, Response, request

from .tokens import line, pacing, ticks

app = Flask(__name__)


@app.get("/healthz")
def healthz() -> str:
    return "ok"


@app.get("/tokens")
def tokens() -> Response:
    count, interval = pacing(request.args)

    def lines() -> Iterator[str]:
        for number in ticks(count, interval):
            yield line(number)

    return Response(lines(), mimetype="application/x-ndjson", headers={"X-Content-Type-Options": "nosniff"})


@app.get("/report")
def report() -> Response:
    count, interval = pacing(request.args)
    body = "".join(line(number) for number in ticks(count, interval))
    return Response(body, mimetype="application/x-ndjson", headers={"X-Content-Type-Options": "nosniff"})


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("a view that fails, for diagnose to meet a 500")
