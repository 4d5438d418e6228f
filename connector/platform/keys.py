"""Keys the app needs at rest: the session-signing key and the Fernet key for CRM secrets.

Where the environment does not set them, the app generates them once into ``var/`` (mode 0600)
and says so in its log, so a fresh `make run` needs no set-up and restarts keep the same keys.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app

log = logging.getLogger(__name__)

SECRET_KEY_FILE = "secret_key"
ENCRYPTION_KEY_FILE = "encryption.key"


def _read_or_create(path: Path, make: callable) -> tuple[str, bool]:
    if path.exists():
        return path.read_text().strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    # O_EXCL: two processes starting at once must not both write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip(), False
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value, True


def ensure_keys(var_dir: Path, secret_key: str | None, encryption_key: str | None) -> tuple[str, str]:
    """Return (secret_key, encryption_key), generating into ``var_dir`` what is not configured."""
    if not secret_key:
        secret_key, made = _read_or_create(var_dir / SECRET_KEY_FILE, lambda: secrets.token_urlsafe(48))
        if made:
            log.warning("generated a session key into %s (set LEADROUTER_SECRET_KEY to manage it yourself)",
                        var_dir / SECRET_KEY_FILE)
    if not encryption_key:
        encryption_key, made = _read_or_create(var_dir / ENCRYPTION_KEY_FILE, lambda: Fernet.generate_key().decode())
        if made:
            log.warning("generated an encryption key for CRM secrets into %s (back it up: without it stored "
                        "secrets cannot be read; or set LEADROUTER_ENCRYPTION_KEY)", var_dir / ENCRYPTION_KEY_FILE)
    return secret_key, encryption_key


class SecretBox:
    """Encrypts and decrypts secrets at rest. Accepts several comma-separated keys (newest first)
    so keys can be rotated: new values use the first, old ones still decrypt."""

    def __init__(self, keys: str) -> None:
        try:
            self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])
        except (ValueError, TypeError) as exc:
            raise ValueError("LEADROUTER_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64 bytes)") from exc

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with the configured encryption key") from exc

    def __repr__(self) -> str:  # never show keys
        return "SecretBox(****)"


def init_app(app: Flask, encryption_key: str) -> None:
    app.extensions["leadrouter.secrets"] = SecretBox(encryption_key)


def secret_box(app: Flask | None = None) -> SecretBox:
    """The app's box for stored CRM secrets."""
    return (app or current_app).extensions["leadrouter.secrets"]
