"""Web push (RFC 8030, payload encrypted per RFC 8291, VAPID per RFC 8292) with pywebpush.

The keys belong to the installation: WEBPUSH_VAPID_PRIVATE_KEY / WEBPUSH_VAPID_PUBLIC_KEY
(base64url, as `manage.py vapid_keys` prints them), or else the file that command writes
(WEBPUSH_VAPID_FILE, `var/webpush-vapid.json` by default). Without keys, push is off: the
portal does not offer it and reminders go by e-mail only.
The push service is the one the browser chose (its subscription's endpoint); the tests use the
local double of `doubles.py`, which speaks the same protocol over real HTTP.
"""

import base64
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.utils.translation import gettext as _

from ribambelle.core.exceptions import DomainError

logger = logging.getLogger(__name__)

ACCEPTED, GONE, FAILED, OFF = "accepted", "gone", "failed", "off"
TTL_SECONDS = 24 * 3600  # a phone switched off all day still gets the reminder if the deadline has not passed


@dataclass(frozen=True)
class VapidKeys:
    private_key: str  # base64url of the raw 32-byte P-256 private number
    public_key: str  # base64url of the uncompressed point (65 bytes): the browser's applicationServerKey


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_keys() -> VapidKeys:
    private = ec.generate_private_key(ec.SECP256R1())
    number = private.private_numbers().private_value.to_bytes(32, "big")
    point = private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return VapidKeys(private_key=b64url(number), public_key=b64url(point))


def keys_file() -> Path:
    return Path(getattr(settings, "WEBPUSH_VAPID_FILE", "") or Path(settings.BASE_DIR) / "var" / "webpush-vapid.json")


def vapid_keys() -> VapidKeys | None:
    private = getattr(settings, "WEBPUSH_VAPID_PRIVATE_KEY", "")
    public = getattr(settings, "WEBPUSH_VAPID_PUBLIC_KEY", "")
    if private and public:
        return VapidKeys(private_key=private, public_key=public)
    path = keys_file()
    if path.is_file():
        data = json.loads(path.read_text())
        return VapidKeys(private_key=data["private_key"], public_key=data["public_key"])
    return None


def subject() -> str:
    configured = getattr(settings, "WEBPUSH_VAPID_SUBJECT", "")
    return configured or f"mailto:{settings.DEFAULT_FROM_EMAIL.rpartition('<')[2].rstrip('>')}"


def check_subscription(*, endpoint: str, p256dh: str, auth: str) -> None:
    """What a browser's PushSubscription.toJSON() gives: an https endpoint (http only on the local
    machine, as the tests' double), a P-256 point and a 16-byte secret."""
    parts = urlsplit(endpoint or "")
    local = parts.hostname in {"127.0.0.1", "localhost", "::1"}
    if parts.scheme not in ({"https", "http"} if local else {"https"}) or not parts.hostname or len(endpoint) > 1000:
        raise DomainError(_("Adresse de notification refusée : elle doit être en https."))
    try:
        point = b64url_decode(p256dh)
        secret = b64url_decode(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ValueError, TypeError) as error:
        raise DomainError(_("Clés de notification illisibles : réessayez depuis le téléphone.")) from error
    if len(secret) != 16:
        raise DomainError(_("Clés de notification illisibles : réessayez depuis le téléphone."))


def send(subscription, payload: dict) -> str:
    """One encrypted push to one browser: ACCEPTED, GONE (forget the subscription), FAILED or OFF."""
    from pywebpush import WebPushException, webpush

    keys = vapid_keys()
    if keys is None:
        return OFF
    endpoint = subscription.endpoint
    parts = urlsplit(endpoint)
    try:
        webpush(
            subscription_info={
                "endpoint": endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=json.dumps(payload, ensure_ascii=False),
            vapid_private_key=keys.private_key,
            vapid_claims={"sub": subject(), "aud": f"{parts.scheme}://{parts.netloc}"},
            content_encoding="aes128gcm",
            ttl=TTL_SECONDS,
            timeout=10,
        )
    except WebPushException as error:
        status = getattr(error.response, "status_code", None)
        if status in (404, 410):
            return GONE
        logger.warning("Push refused by %s: %s", parts.netloc, error)
        return FAILED
    except Exception as error:  # noqa: BLE001 - a push service down: the e-mail still goes
        logger.warning("Push service %s unreachable: %s", parts.netloc, error)
        return FAILED
    return ACCEPTED
