"""Email over SMTP (smtplib): ``smtps://`` is TLS from the first byte (port 465), ``smtp://``
upgrades with STARTTLS when the server offers it (port 587) and refuses to send a password
over a connection that did not. HTML and plain-text parts come from the Jinja templates.

SMTP replies say whether to retry: 4xx is "try again later", 5xx is final (RFC 5321 §4.2.1).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Callable
from urllib.parse import unquote, urlsplit

from connector.notify.base import Message, Notifier, NotifyError
from connector.notify.content import Templates


class EmailNotifier(Notifier):
    channel = "email"

    def __init__(self, smtp_url: str, sender: str, *, templates: Templates | None = None,
                 accept_link: Callable[[dict[str, Any]], str | None] | None = None,
                 ca_bundle: str | None = None, timeout: float = 15.0) -> None:
        parts = urlsplit(smtp_url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("the SMTP URL must be smtp://[user:pass@]host[:port] or smtps://…")
        self.ssl_mode = parts.scheme == "smtps"
        self.host, self.port = parts.hostname, parts.port or (465 if self.ssl_mode else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.sender, self.timeout = sender, timeout
        self.templates = templates or Templates()
        self.accept_link = accept_link
        self.context = ssl.create_default_context(cafile=ca_bundle)  # None: the system's trust store

    @classmethod
    def from_settings(cls, settings: Any, **options: Any) -> "EmailNotifier | None":
        if not settings.smtp_url:
            return None
        return cls(settings.smtp_url.get_secret_value(), settings.email_from, **options)

    def render(self, message: Message) -> EmailMessage:
        context = {"payload": message.payload, "kind": message.kind,
                   "accept_url": self.accept_link(message.payload) if self.accept_link and
                   message.payload.get("actionable") else None}
        mail = EmailMessage()
        mail["Subject"] = " ".join(self.templates.render(message.kind, "subject.txt", **context).split())
        mail["From"], mail["To"] = self.sender, message.target
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail.set_content(self.templates.render(message.kind, "txt", **context))
        mail.add_alternative(self.templates.render(message.kind, "html", **context), subtype="html")
        return mail

    def send(self, message: Message) -> dict[str, Any]:
        mail = self.render(message)
        try:
            with self._connect() as smtp:
                refused = smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reason = next(iter(exc.recipients.values()))
            raise NotifyError(f"recipient refused: {code} {_text(reason)}", permanent=code >= 500) from None
        except smtplib.SMTPResponseException as exc:
            raise NotifyError(f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}", permanent=exc.smtp_code >= 500) from None
        except smtplib.SMTPNotSupportedError as exc:  # e.g. no AUTH offered: the settings need a person
            raise NotifyError(f"SMTP {self.host}:{self.port}: {exc}", permanent=True) from None
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, TLS failure, timeout
            raise NotifyError(f"SMTP {self.host}:{self.port} unreachable: {type(exc).__name__}: {exc}") from None
        if refused:
            raise NotifyError(f"recipient refused: {refused}", permanent=True)
        return {"message_id": mail["Message-ID"]}

    def _connect(self) -> smtplib.SMTP:
        if self.ssl_mode:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self.context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if not self.ssl_mode and smtp.has_extn("starttls"):
                smtp.starttls(context=self.context)
                smtp.ehlo()
            elif not self.ssl_mode and self.username:
                raise NotifyError(f"{self.host} does not offer STARTTLS: not sending the SMTP password in clear "
                                  "(use smtps:// or a server with STARTTLS)", permanent=True)
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
