"""A WSGI app served on a free port of 127.0.0.1 by werkzeug in a thread: for the tests that need a
real socket (the CRM sandbox delivering webhooks and Slack clicks to the app, a browser, a chunked
upload). ``tests/conftest.py`` offers it as the ``serve`` fixture, which stops every server it
started when the test ends.

The server can start before the app exists (``Served(None)``, then ``served.app = app``): the app's
own settings often need the URL it is served at (LEADROUTER_BASE_URL, the doors the sandbox is
pointed at)."""

from __future__ import annotations

import ssl
import threading
from typing import Any, Callable

from werkzeug.serving import WSGIRequestHandler, make_server


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # no line per request in the test output
        pass


class Served:
    """``app`` (set it later if need be) on ``url``; ``ssl_context``: served over TLS."""

    def __init__(self, app: Callable | None = None, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.app = app
        self.server = make_server("127.0.0.1", 0, self._dispatch, threaded=True, ssl_context=ssl_context,
                                  request_handler=_Quiet)
        self.port = self.server.server_port
        self.url = f"{'https' if ssl_context else 'http'}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"served-{self.port}", daemon=True)
        self._thread.start()

    def _dispatch(self, environ: dict, start_response: Callable) -> Any:
        if self.app is None:
            raise RuntimeError(f"{self.url} got a request before its app was set")
        return self.app(environ, start_response)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
