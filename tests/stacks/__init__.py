"""Real stacks nobody here wrote (proxies, servers, frameworks), started on loopback by the
tests, holding `diagnose` to what they really do; ground truth from independent clients."""
