"""The terminal client, a room per command: `compare/` (the registry's endpoints side by side),
`diagnose/` (any URL's stream judged), and `raw` (one response's bytes as they cross the wire,
over diagnose's connection); `options` holds what the commands share."""
