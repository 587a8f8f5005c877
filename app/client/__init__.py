"""The terminal client: `compare` and `raw`, with their readers, parsers, wire decoding
and report."""
