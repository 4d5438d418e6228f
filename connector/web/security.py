"""Who may do what: the login gate, CSRF by URL prefix, roles, security headers, login throttle.

Login attempts are limited twice: per account (``connector.web.users``: N failures lock the account
for a while, in the database) and per client IP here (an in-memory sliding window, per process:
it slows a spray over many accounts from one address; behind a proxy set ``X-Forwarded-For``
handling with werkzeug's ProxyFix so the real address is seen).
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from functools import wraps

from flask import Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

# Paths that authenticate requests themselves: CRM webhooks and Slack (signatures), the email
# "accept" links (a signed token in the URL), the API (Bearer tokens). No session, no CSRF.
# Matched by prefix so new routes under them are covered without touching this file.
SELF_AUTHENTICATED = ("/webhooks/", "/slack/", "/notify/", "/api/")
PUBLIC_PATHS = {"/healthz", "/readyz", "/metrics", "/login", "/setup"}  # /metrics: its own token check
PUBLIC_PREFIXES = ("/assets/",)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

csrf = CSRFProtect()


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or path.startswith(SELF_AUTHENTICATED)


class LoginWindow:
    """At most ``limit`` login attempts per IP in ``seconds``."""

    def __init__(self, limit: int = 20, seconds: float = 300.0) -> None:
        self.limit, self.seconds = limit, seconds
        self._hits: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # bound memory under a spray of addresses
                self._hits = defaultdict(deque, {k: v for k, v in self._hits.items() if v})
            return True


def role_required(role: str):
    """Views only an admin may open (``role='admin'``); managers get 403."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return redirect(url_for("web_auth.login", next=request.full_path))
            if role == "admin" and not current_user.principal.is_admin:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def _gate():
    path = request.path
    if not path.startswith(SELF_AUTHENTICATED):
        csrf.protect()  # every non-GET form post needs the token (it skips GET/HEAD/OPTIONS)
    if is_public(path) or current_user.is_authenticated:
        return None
    target = request.full_path if request.query_string else path
    return redirect(url_for("web_auth.login", next=target))


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.path not in ("/healthz", "/readyz") and not request.path.startswith("/assets/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    # CSRFProtect would check every view; we check by URL prefix in ``_gate`` instead, so the
    # signed doors of other rooms stay exempt without them knowing about this package.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 8 * 3600)
    csrf.init_app(app)
    app.extensions["leadrouter.login_window"] = LoginWindow()
    app.before_request(_gate)
    app.after_request(_headers)


def login_window(app: Flask | None = None) -> LoginWindow:
    """The app's sign-in attempt counter (per client address)."""
    return (app or current_app).extensions["leadrouter.login_window"]
