"""The web application's tests: real servers on loopback, real clients."""
