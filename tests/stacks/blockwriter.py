"""A server with its own block buffer and nothing in front of it: each response goes through
an 8192-byte `io.BufferedWriter` over the raw socket, as a program does that writes to a
buffered file object and never flushes.

    python blockwriter.py PORT

GET /?count=N&interval=S&size=B[&head=flushed]   N lines of B bytes, S seconds apart,
a body delimited by closing the connection. The head goes into the same buffer as the
body (as `http.server` does with a `wbufsize`), unless `head=flushed` flushes it first.
With B dividing 8192 the body leaves in blocks of exactly 8192 bytes.
"""

from __future__ import annotations

import io
import socket
import socketserver
import sys
import time
from urllib.parse import parse_qs, urlsplit

BUFFER = 8192


class Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        request_line = self.rfile.readline().decode("latin-1")
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        query = {k: v[-1] for k, v in parse_qs(urlsplit(request_line.split(" ")[1]).query).items()}
        count, interval = int(query.get("count", "10")), float(query.get("interval", "0.1"))
        size = int(query.get("size", "64"))
        out = io.BufferedWriter(socket.SocketIO(self.connection, "wb"), buffer_size=BUFFER)
        out.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n")
        if query.get("head") == "flushed":
            out.flush()
        start = time.monotonic()
        try:
            for number in range(count):
                time.sleep(max(0.0, start + number * interval - time.monotonic()))
                out.write(f"{number:05d} ".encode() + b"x" * max(0, size - 7) + b"\n")
            out.flush()
        except OSError:
            return


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


if __name__ == "__main__":
    with Server(("127.0.0.1", int(sys.argv[1])), Handler) as server:
        server.serve_forever()
