"""The web application: the app factory, routes, views, settings, security, shutdown,
stream bookkeeping, running it (alone or under gunicorn), and the transports."""
