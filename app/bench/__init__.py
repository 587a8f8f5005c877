"""The benchmark: throughput, concurrency and ijson memory, with the baseline servers
(bare aiohttp, aiohttp-sse, starlette) it compares against."""
