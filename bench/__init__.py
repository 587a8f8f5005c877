"""Benchmark baselines: the same messages served by bare aiohttp and the usual alternatives."""
