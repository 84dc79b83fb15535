"""Secrets kept in the database (the FranceConnect client secret, the API Particulier token)
are encrypted with Fernet.

The key is FIELD_ENCRYPTION_KEY when set (a Fernet key, kept outside the database and its
backups), otherwise one derived from SECRET_KEY: a dump of the database alone never reveals
the secret."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = getattr(settings, "FIELD_ENCRYPTION_KEY", "") or ""
    if not key:
        digest = hashlib.sha256(f"ribambelle-field-encryption:{settings.SECRET_KEY}".encode()).digest()
        key = base64.urlsafe_b64encode(digest).decode()
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(value: str) -> str:
    if not value:
        return ""
    try:
        return _fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        return ""  # the key changed: the secret must be typed again (the settings page says so)
