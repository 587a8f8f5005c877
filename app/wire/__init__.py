"""One pure codec per wire format, for everyone who speaks it: the server, the terminal
(`compare`, `raw`, `diagnose`) and the benchmark.

Nothing here touches a socket or an event loop. A module per format holds, side by side,
the encoder the server (and the tests' and baselines' senders) write with, the strict
decoder the clients read with, and the counting decoder the benchmark's load generator
reads with; the bounds of the format (a size line's length, a frame's payload, a head's
size) live in its codec, so no caller can forget them. Every decoder is fed one read at a
time and keeps the partial tail, because a read may end anywhere.

- `http`: response heads, the one request builder, the body readers picked by the head
- `chunked`: chunked transfer coding
- `websocket`: frames and the opening handshake's keys
- `sse`: Server-Sent Events
- `lines`: newline-delimited text (text streams, NDJSON, ijson events)
- `coding`: gzip and deflate Content-Encodings
- `errors`: `WireError`, what every decoder raises, and `TooLarge`, past a size bound (its
  `limit` says which); `escape`: bytes made visible
"""
