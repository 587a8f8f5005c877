"""What every baseline server shares: the query it accepts and the messages it sends.

The messages are byte for byte those of Transport Lab's endpoints (`Chunk {i}`, padding
after a space, an optional ` @<epoch ms>` stamp), so a ratio compares servers, not payloads.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler


@dataclass(frozen=True)
class Query:
    count: int
    interval: float
    size: int
    stamp: bool

    @classmethod
    def parse(cls, query: Mapping[str, str]) -> Query:
        return cls(
            count=min(int(query.get("count", "5")), 1_000_000),
            interval=min(float(query.get("interval", "0")), 60.0),
            size=min(int(query.get("size", "0")), 1_048_576),
            stamp=query.get("stamp") == "1",
        )

    def text(self, label: str, index: int) -> str:
        line = f"{label} {index} {'x' * self.size}" if self.size else f"{label} {index}"
        return f"{line} @{time.time() * 1000:.3f}" if self.stamp else line


def port_argument(description: str) -> int:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, required=True)
    return int(parser.parse_args().port)


def serve(routes: Mapping[str, Handler], description: str) -> None:
    """Serve `routes` (GET path -> handler) as every aiohttp baseline does: loopback, the port
    from the command line, a deep backlog, handlers cancelled when a client leaves, no logs."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    web.run_app(
        app,
        host="127.0.0.1",
        port=port_argument(description),
        backlog=4096,
        handler_cancellation=True,
        print=None,
        access_log=None,
    )
