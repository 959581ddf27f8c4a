"""Bounded time for web requests: the statement timeout of their transactions on PostgreSQL
(extensions.web_statement_timeout_ms), and a log line for every request slower than
PORTAL_SLOW_REQUEST_MS, with its method, path and duration. gunicorn's worker timeout
(portal/gunicorn_conf.py) is the last resort: it kills a worker that does not answer at all."""

import time

from flask import Flask

from portal.extensions import web_statement_timeout_ms

# The clock requests are timed by (a test replaces it, rather than waiting).
clock = time.perf_counter


class TimedRequests:
    """WSGI middleware around the whole application (error pages and streaming included up to the
    first byte): it sets the statement timeout for the request's transactions and logs slow
    requests. Jobs, commands and mails rendered outside a request never pass through it."""

    def __init__(self, app: Flask, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        config = self.app.config
        token = web_statement_timeout_ms.set(int(config.get("PORTAL_STATEMENT_TIMEOUT_MS") or 0))
        started = clock()
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            web_statement_timeout_ms.reset(token)
            elapsed_ms = (clock() - started) * 1000
            if elapsed_ms > int(config.get("PORTAL_SLOW_REQUEST_MS") or 0):
                self.app.logger.warning(
                    "slow request: %s %s took %d ms",
                    environ.get("REQUEST_METHOD", ""),
                    # The path only: a query string may carry a search or a token.
                    environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
                    elapsed_ms,
                )


def register(app: Flask) -> None:
    app.wsgi_app = TimedRequests(app, app.wsgi_app)
