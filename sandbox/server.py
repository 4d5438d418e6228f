"""Run the sandbox: a threaded werkzeug server in a background thread, optionally over TLS.

TLS matters for Salesforce: simple-salesforce keeps only host:port of instance_url and always
builds https:// URLs, so tests need a local HTTPS server and a CA file to trust (trustme).
"""
from __future__ import annotations

import importlib
import ssl
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Iterable

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.core import Sandbox
from sandbox.vendor import Vendor

# Import paths, resolved lazily: a vendor package that does not exist (yet) is skipped.
DEFAULT_VENDORS: tuple[str, ...] = (
    "sandbox.salesforce:SalesforceVendor",
    "sandbox.hubspot:HubSpotVendor",
    "sandbox.slack:SlackVendor",
)


def resolve_vendors(vendors: Iterable[str | type[Vendor]]) -> list[type[Vendor]]:
    resolved = []
    for spec in vendors:
        if not isinstance(spec, str):
            resolved.append(spec)
            continue
        module_name, _, attr = spec.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):  # the vendor package is absent
                continue
            raise
        if hasattr(module, attr):
            resolved.append(getattr(module, attr))
    return resolved


def create_sandbox(*, seed: str | None = None, vendors: Iterable[str | type[Vendor]] = DEFAULT_VENDORS,
                   **vendor_options: Any) -> Sandbox:
    """A Sandbox with its vendors registered and seeded, not yet serving (for Flask's test
    client, or to wrap in another server)."""
    sandbox = Sandbox(seed=seed, **vendor_options)
    for vendor_cls in resolve_vendors(vendors):
        sandbox.register(vendor_cls)
    if seed:
        sandbox.seed(seed)
    return sandbox


class RunningSandbox:
    """The sandbox served on ``port`` (its base URL: ``url``), and on a port of its own for each
    further address it opens (``Sandbox.address``: a Salesforce org's instance host)."""

    def __init__(self, sandbox: Sandbox, serve: Callable[[int], tuple[BaseWSGIServer, threading.Thread]],
                 url_of: Callable[[BaseWSGIServer], str], ca_path: Path | None,
                 tempdir: tempfile.TemporaryDirectory | None, port: int = 0):
        self.sandbox = sandbox
        self.ca_path = ca_path
        self._serve, self._url_of = serve, url_of
        self._listeners = [serve(port)]
        server = self._listeners[0][0]
        self.url = url_of(server)
        self.host, self.port = server.server_address[:2]
        self._tempdir = tempdir
        sandbox.base_url = self.url
        sandbox.open_address = self._open_address

    def _open_address(self, name: str) -> str:
        """Another listener on a port of its own (an org's instance host), same app, same TLS."""
        self._listeners.append(self._serve(0))
        return self._url_of(self._listeners[-1][0])

    def stop(self) -> None:
        for server, thread in self._listeners:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
        self.sandbox.close()
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> "RunningSandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # tests: no line per request
        pass


def make_tls_context(host: str, cert_dir: Path) -> tuple[ssl.SSLContext, Path]:
    """A fresh trustme CA and server certificate for host/localhost/127.0.0.1, written to
    cert_dir (ca.pem, server.pem, server.key); returns the server context and the CA path."""
    import trustme  # only needed with --tls

    cert_dir.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="leadrouter sandbox")
    names = sorted({host, "localhost", "127.0.0.1", "::1"} - {"0.0.0.0", ""})
    cert = ca.issue_cert(*names)
    ca_path = cert_dir / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    cert.private_key_pem.write_to_path(str(cert_dir / "server.key"))
    cert.cert_chain_pems[0].write_to_path(str(cert_dir / "server.pem"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(context)
    return context, ca_path


def start(port: int = 0, *, host: str = "127.0.0.1", tls: bool = False,
          cert_dir: Path | None = None, seed: str | None = None,
          vendors: Iterable[str | type[Vendor]] = DEFAULT_VENDORS, log_requests: bool = False,
          **vendor_options: Any) -> RunningSandbox:
    sandbox = create_sandbox(seed=seed, vendors=vendors, **vendor_options)
    tempdir = None
    context = ca_path = None
    if tls:
        if cert_dir is None:
            tempdir = tempfile.TemporaryDirectory(prefix="leadrouter-sandbox-")
            cert_dir = Path(tempdir.name)
        context, ca_path = make_tls_context(host, Path(cert_dir))
    app = sandbox.wsgi_app()
    url_host = "127.0.0.1" if host in ("0.0.0.0", "") else host

    def serve(on_port: int) -> tuple[BaseWSGIServer, threading.Thread]:
        server = make_server(host, on_port, app, threaded=True, ssl_context=context,
                             request_handler=None if log_requests else _QuietHandler)
        thread = threading.Thread(target=server.serve_forever, name="sandbox-server", daemon=True)
        thread.start()
        return server, thread

    return RunningSandbox(sandbox, serve, lambda server: f"{'https' if tls else 'http'}://{url_host}:"
                          f"{server.server_address[1]}", ca_path, tempdir, port)


__all__ = ["start", "create_sandbox", "RunningSandbox", "DEFAULT_VENDORS", "resolve_vendors",
           "make_tls_context"]
