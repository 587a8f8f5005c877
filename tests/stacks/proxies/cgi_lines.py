"""A CGI program for Apache's mod_cgi, as people write them: `print` to stdout.

    lines.cgi?count=N&interval=S&size=B[&flush=1]

N lines of B bytes, S seconds apart. Without `flush=1` nothing flushes: stdout is a pipe,
so Python block-buffers it (8 KiB) and Apache gets the output, head included, a block at a
time. With `flush=1` each line is flushed as it is printed.
"""

import os
import time
from urllib.parse import parse_qs

query = {name: values[-1] for name, values in parse_qs(os.environ.get("QUERY_STRING", "")).items()}
count, interval = int(query.get("count", "10")), float(query.get("interval", "0.1"))
size, flush = int(query.get("size", "64")), query.get("flush") == "1"
print("Content-Type: text/plain")
print(flush=flush)
start = time.monotonic()
for number in range(count):
    time.sleep(max(0.0, start + number * interval - time.monotonic()))
    print(f"{number:05d} " + "x" * max(0, size - 7), flush=flush)
