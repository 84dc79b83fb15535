"""The OpenID Connect client for FranceConnect v2 (reference caf-psu-qf.md C6, C7).

Authorization code flow with a random `state` and `nonce`, `acr_values=eidas1`; the code is
exchanged with the client secret; the ID token (ES256) and the userinfo — a signed JWT, never
plain JSON — are verified with joserfc against the provider's published keys (JWKS). Logout goes
through the provider's `end_session_endpoint` with `id_token_hint`, `state` and
`post_logout_redirect_uri`. Every failure is a `FranceConnectError` whose message is French and
says what to do; no secret or token ever goes into one, nor into a log line.
"""

import json
import logging
import secrets
from dataclasses import dataclass
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

logger = logging.getLogger(__name__)

ACR = "eidas1"
IDENTITY_SCOPES = [
    "openid",
    "given_name",
    "family_name",
    "birthdate",
    "birthplace",
    "birthcountry",
    "gender",
    "preferred_username",
    "email",
]
# API Particulier through FranceConnect (reference C3): what the QF retrieval reads with the user's token.
QF_SCOPES = ["identite_pivot", "cnaf_quotient_familial", "cnaf_allocataires", "cnaf_enfants", "cnaf_adresse"]
DISCOVERY_PATH = "/.well-known/openid-configuration"
CACHE_SECONDS = 600


class FranceConnectError(Exception):
    """A failed step of the flow. `code` is for tests and logs, `message` for the parent."""

    MESSAGES = {
        "cancelled": _(
            "Vous avez annulé la connexion avec FranceConnect. Vous pouvez réessayer, ou vous connecter "
            "avec votre e-mail et votre mot de passe."
        ),
        "state": _(
            "La connexion avec FranceConnect a expiré ou a été ouverte dans un autre onglet. Recommencez "
            "depuis la page de connexion."
        ),
        "provider_down": _(
            "FranceConnect ne répond pas pour le moment. Réessayez dans quelques minutes, ou "
            "connectez-vous avec votre e-mail et votre mot de passe."
        ),
        "token": _("FranceConnect n'a pas confirmé votre connexion. Recommencez depuis la page de connexion."),
        "id_token": _(
            "La réponse de FranceConnect n'a pas pu être vérifiée (signature ou contenu invalide) : par "
            "sécurité, la connexion est refusée. Recommencez, ou connectez-vous avec votre e-mail et votre mot de "
            "passe."
        ),
        "nonce": _(
            "La réponse de FranceConnect ne correspond pas à cette connexion : par sécurité, elle est "
            "refusée. Recommencez depuis la page de connexion."
        ),
        "userinfo": _(
            "Les informations d'identité transmises par FranceConnect n'ont pas pu être vérifiées : par "
            "sécurité, la connexion est refusée. Recommencez, ou connectez-vous avec votre e-mail et votre mot de "
            "passe."
        ),
        "config": _(
            "FranceConnect n'est pas disponible pour ce service. Connectez-vous avec votre e-mail et votre "
            "mot de passe."
        ),
    }

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail  # for the log: never a token, a secret or personal data
        super().__init__(code)

    @property
    def message(self) -> str:
        return str(self.MESSAGES.get(self.code, self.MESSAGES["token"]))


@dataclass(frozen=True)
class Provider:
    base_url: str
    client_id: str
    client_secret: str = ""

    def __repr__(self) -> str:  # an error report never shows the secret
        return f"Provider(base_url={self.base_url!r}, client_id={self.client_id!r})"


@dataclass(frozen=True)
class Login:
    """What a verified callback gives: the identity and the tokens kept in the session."""

    sub: str
    claims: dict
    access_token: str
    id_token: str

    def __repr__(self) -> str:
        return f"Login(sub={self.sub[:6]}…)"


def new_random() -> str:
    return secrets.token_urlsafe(32)


def _timeout() -> float:
    return float(getattr(settings, "FRANCECONNECT_TIMEOUT", 10))


def _http(url: str, *, data: dict | None = None, headers: dict | None = None) -> tuple[int, str, bytes]:
    body = urlencode(data).encode() if data is not None else None
    request = Request(url, data=body, method="POST" if body is not None else "GET", headers=headers or {})  # noqa: S310
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urlopen(request, timeout=_timeout()) as response:  # noqa: S310 - https in production, the double locally
            return response.status, response.headers.get("Content-Type", ""), response.read()
    except HTTPError as error:
        return error.code, error.headers.get("Content-Type", "") if error.headers else "", error.read() or b""
    except (URLError, OSError, ValueError) as error:
        raise FranceConnectError("provider_down", f"{url.split('?')[0]}: {type(error).__name__}") from None


def _json(url: str) -> dict:
    status, _type, content = _http(url)
    if status != 200:
        raise FranceConnectError("provider_down", f"{url}: HTTP {status}")
    try:
        value = json.loads(content)
    except ValueError:
        raise FranceConnectError("provider_down", f"{url}: not JSON") from None
    if not isinstance(value, dict):
        raise FranceConnectError("provider_down", f"{url}: not an object")
    return value


def discovery(provider: Provider, *, fresh: bool = False) -> dict:
    """The provider's configuration (endpoints, issuer), kept a few minutes."""
    key = f"franceconnect:discovery:{provider.base_url}"
    config = None if fresh else cache.get(key)
    if config is None:
        config = _json(provider.base_url.rstrip("/") + DISCOVERY_PATH)
        needed = ("issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")
        if any(not config.get(name) for name in needed):
            raise FranceConnectError("provider_down", "discovery document incomplete")
        cache.set(key, config, CACHE_SECONDS)
    return config


def keys(provider: Provider, *, fresh: bool = False) -> KeySet:
    config = discovery(provider, fresh=fresh)
    key = f"franceconnect:jwks:{config['jwks_uri']}"
    jwks = None if fresh else cache.get(key)
    if jwks is None:
        jwks = _json(config["jwks_uri"])
        cache.set(key, jwks, CACHE_SECONDS)
    try:
        return KeySet.import_key_set(jwks)
    except (JoseError, ValueError, KeyError, TypeError):
        raise FranceConnectError("provider_down", "JWKS unreadable") from None


def check_connection(provider: Provider) -> dict:
    """ "Tester la connexion": fetch the discovery document and the keys afresh; what was found."""
    config = discovery(provider, fresh=True)
    keyset = keys(provider, fresh=True)
    return {
        "issuer": config["issuer"],
        "keys": len(keyset.keys),
        "es256": "ES256" in (config.get("id_token_signing_alg_values_supported") or []),
        "eidas1": ACR in (config.get("acr_values_supported") or [ACR]),
    }


def authorization_url(provider: Provider, *, redirect_uri: str, state: str, nonce: str, scopes: list[str]) -> str:
    config = discovery(provider)
    query = urlencode(
        {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
            "nonce": nonce,
            "acr_values": ACR,
            "prompt": "login consent",
        }
    )
    return f"{config['authorization_endpoint']}?{query}"


def _verify_jwt(token: str, keyset: KeySet, *, code: str) -> dict:
    """A compact JWS signed with ES256 by one of the provider's keys; anything else is refused."""
    try:
        return jwt.decode(token, keyset, algorithms=["ES256"]).claims
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise FranceConnectError(code, type(error).__name__) from None


def complete(provider: Provider, *, code: str, redirect_uri: str, nonce: str) -> Login:
    """Exchange the code, verify the ID token (iss, aud, exp, nonce, acr) and the signed userinfo."""
    config = discovery(provider)
    status, _type, content = _http(
        config["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": provider.client_id,
            "client_secret": provider.client_secret,
        },
    )
    if status >= 500:
        raise FranceConnectError("provider_down", f"token endpoint: HTTP {status}")
    try:
        tokens = json.loads(content)
    except ValueError:
        tokens = {}
    if status != 200 or not tokens.get("id_token") or not tokens.get("access_token"):
        raise FranceConnectError("token", f"token endpoint: HTTP {status}, error {tokens.get('error', '?')}")
    keyset = keys(provider)
    claims = _verify_jwt(tokens["id_token"], keyset, code="id_token")
    registry = jwt.JWTClaimsRegistry(
        leeway=60,
        iss={"essential": True, "value": config["issuer"]},
        aud={"essential": True, "value": provider.client_id},
        exp={"essential": True},
        sub={"essential": True},
    )
    try:
        registry.validate(claims)
    except (JoseError, ValueError) as error:
        raise FranceConnectError("id_token", type(error).__name__) from None
    if not claims.get("nonce") or not secrets.compare_digest(str(claims["nonce"]), nonce):
        raise FranceConnectError("nonce", "nonce mismatch")
    if claims.get("acr") != ACR:
        raise FranceConnectError("id_token", f"acr {claims.get('acr')!r}")
    userinfo = _userinfo(config, keyset, tokens["access_token"])
    if userinfo.get("sub") != claims["sub"]:
        raise FranceConnectError("userinfo", "sub differs from the ID token's")
    return Login(sub=claims["sub"], claims=userinfo, access_token=tokens["access_token"], id_token=tokens["id_token"])


def _userinfo(config: dict, keyset: KeySet, access_token: str) -> dict:
    status, content_type, content = _http(
        config["userinfo_endpoint"], headers={"Authorization": f"Bearer {access_token}"}
    )
    if status >= 500:
        raise FranceConnectError("provider_down", f"userinfo: HTTP {status}")
    if status != 200:
        raise FranceConnectError("userinfo", f"userinfo: HTTP {status}")
    if not content_type.startswith("application/jwt"):
        raise FranceConnectError("userinfo", f"userinfo not a JWT ({content_type.split(';')[0]})")
    claims = _verify_jwt(content.decode("ascii", "replace").strip(), keyset, code="userinfo")
    iss = claims.get("iss")
    if iss is not None and iss != config["issuer"]:
        raise FranceConnectError("userinfo", "iss mismatch")
    return claims


def end_session_origin(provider: Provider) -> str:
    """The scheme and host the logout goes to (the pages' CSP form-action must allow it)."""
    config = discovery(provider)
    endpoint = config.get("end_session_endpoint") or provider.base_url
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def logout_url(provider: Provider, *, id_token: str, state: str, post_logout_redirect_uri: str) -> str:
    config = discovery(provider)
    endpoint = config.get("end_session_endpoint") or provider.base_url.rstrip("/") + "/session/end"
    query = urlencode({"id_token_hint": id_token, "state": state, "post_logout_redirect_uri": post_logout_redirect_uri})
    return f"{endpoint}?{query}"
