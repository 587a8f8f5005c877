"""Real framework apps, each run by tests/stacks/test_frameworks.py as its own server process
(uvicorn, gunicorn, node, the websockets library) for diagnose to judge."""
