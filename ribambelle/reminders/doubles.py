"""A local push service (RFC 8030 with VAPID, RFC 8292), over real HTTP, for the tests and the demo.

It accepts `POST /push/<id>` as a browser vendor's push service does: it checks the VAPID
`Authorization: vapid t=<JWT>, k=<public key>` header (ES256 signature by that key, `aud` its own
origin, `exp` in the future and within 24 h, a `sub`), requires `TTL` and
`Content-Encoding: aes128gcm`, answers 201 Created, and keeps each message (it cannot read the
payload: only the browser holding the subscription's private key can). `POST /push/gone-…`
answers 410 Gone, as for a subscription the user revoked.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .push import b64url_decode


@dataclass
class ReceivedPush:
    path: str
    headers: dict  # names in lower case
    body: bytes
    claims: dict = field(default_factory=dict)
    public_key: str = ""


def verify_vapid(header: str, *, origin: str, now: float | None = None) -> tuple[dict, str]:
    """The claims and public key of a valid VAPID header; ValueError says why it is not."""
    if not header.lower().startswith("vapid "):
        raise ValueError("not a vapid authorization")
    params = dict(part.strip().split("=", 1) for part in header[6:].split(","))
    token, key = params.get("t", ""), params.get("k", "")
    head_b64, claims_b64, signature_b64 = token.split(".")
    head = json.loads(b64url_decode(head_b64))
    if head.get("alg") != "ES256":
        raise ValueError("alg must be ES256")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
    raw = b64url_decode(signature_b64)
    if len(raw) != 64:
        raise ValueError("bad signature length")
    signature = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(signature, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as error:
        raise ValueError("bad signature") from error
    claims = json.loads(b64url_decode(claims_b64))
    now = now or time.time()
    if claims.get("aud") != origin:
        raise ValueError(f"aud {claims.get('aud')!r} is not {origin!r}")
    if not now < int(claims.get("exp", 0)) <= now + 24 * 3600:
        raise ValueError("exp out of range")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise ValueError("sub must be mailto: or https:")
    return claims, key


class PushServiceDouble:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.received: list[ReceivedPush] = []
        self.refused: list[tuple[str, str]] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                origin = f"http://{self.headers.get('Host')}"
                try:
                    claims, key = verify_vapid(self.headers.get("Authorization", ""), origin=origin)
                except (ValueError, KeyError, TypeError) as error:
                    double.refused.append((self.path, str(error)))
                    return self._answer(401)
                if self.headers.get("Content-Encoding") != "aes128gcm" or self.headers.get("TTL") is None:
                    double.refused.append((self.path, "missing TTL or Content-Encoding"))
                    return self._answer(400)
                if "/gone" in self.path:
                    return self._answer(410)
                double.received.append(
                    ReceivedPush(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body, claims=claims, public_key=key
                    )
                )
                self._answer(201)

            def _answer(self, status: int):
                self.send_response(status)
                self.send_header("Content-Length", "0")
                if status == 201:
                    self.send_header("Location", f"{self.path}/message/{len(double.received)}")
                self.end_headers()

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
