"""A real SMTP server on loopback (aiosmtpd) that asks for TLS and AUTH like a mail provider:
STARTTLS on a plain port (587) or TLS from the first byte (465), a login and password, and a
``Mailbox`` of what it accepted (``refuse`` answers a recipient with the reply given instead)."""

from __future__ import annotations

import ssl
import threading
from email import message_from_bytes, policy
from pathlib import Path

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.support.waiting import free_port


class Mailbox:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mails: list[dict] = []
        self.refuse: dict[str, str] = {}   # address -> SMTP reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        with self.lock:
            self.mails.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "tls": session.ssl is not None,
                               "auth": session.authenticated,
                               "message": message_from_bytes(envelope.content, policy=policy.default)})
        return "250 Message accepted"

    def to(self, address: str) -> list[dict]:
        with self.lock:
            return [m for m in self.mails if address in m["to"]]

    def subjects(self, address: str) -> list[str]:
        return [str(m["message"]["Subject"]) for m in self.to(address)]


def tls_context(folder: Path) -> tuple[ssl.SSLContext, str]:
    """A server context for 127.0.0.1 / localhost from a fresh CA, and that CA's file in ``folder``."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context, str(folder / "ca.pem")


def start_smtp(box: Mailbox, context: ssl.SSLContext | None, user: str, password: str, *,
               implicit: bool = False) -> Controller:
    """The server on a free port, started (``stop()`` it); only ``user`` / ``password`` sign in.
    Without a ``context`` it offers no TLS at all (and takes a login in the clear)."""
    def authenticate(server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        return AuthResult(success=isinstance(auth_data, LoginPassword)
                          and (auth_data.login, auth_data.password) == (user.encode(), password.encode()))

    # aiosmtpd's auth_require_tls only knows STARTTLS; an implicit-TLS connection is TLS throughout.
    if context is None:
        options = {"auth_require_tls": False}
    elif implicit:
        options = {"ssl_context": context, "auth_require_tls": False}
    else:
        options = {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    controller = Controller(box, hostname="127.0.0.1", port=free_port(), authenticator=authenticate, **options)
    controller.start()
    return controller
