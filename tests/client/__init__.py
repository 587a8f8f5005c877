"""The terminal client's tests: pure parsers, and commands against a real server."""
