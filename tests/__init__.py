"""Tests, a folder per room of the package (server, client, bench) and the page (browser)."""
