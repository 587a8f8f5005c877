"""One script per baseline server; `transport-lab bench --compare` starts each in its own process."""
