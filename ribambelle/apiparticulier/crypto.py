"""The API Particulier token at rest: Fernet (the `cryptography` package, already used for the
encrypted backups), with the key API_PARTICULIER_ENCRYPTION_KEY, or, when unset, one derived from
SECRET_KEY (so a database dump alone never reveals the token)."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    key = getattr(settings, "API_PARTICULIER_ENCRYPTION_KEY", "")
    if not key:
        digest = hashlib.sha256(f"ribambelle.apiparticulier:{settings.SECRET_KEY}".encode()).digest()
        key = base64.urlsafe_b64encode(digest)
    return Fernet(key.encode() if isinstance(key, str) else key)


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    """The clear token, or "" when it cannot be read (the key changed): the settings then ask for it again."""
    if not value:
        return ""
    try:
        return _fernet().decrypt(value.encode()).decode()
    except InvalidToken:
        return ""
