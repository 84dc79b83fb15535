"""A local double of FranceConnect v2 (OpenID Connect), speaking its documented protocol over real
HTTP (reference caf-psu-qf.md C6), for the tests and the demo (`manage.py payment_doubles`).

Under `/api/v2`, like the real platform: `/.well-known/openid-configuration`, `/jwks` (its own
P-256 key, generated at start), `/authorize` (a small page: pick a test identity and "Se
connecter", or "Annuler"), `/token` (client secret checked, an ES256 ID token carrying the nonce
and `acr=eidas1`), `/userinfo` (a signed JWT) and `/session/end` (`id_token_hint` checked, back
to `post_logout_redirect_uri` with `state`).

Test knobs, to make it misbehave: `tamper_id_token` (signed with another key under the same key
id), `wrong_nonce`, `unsigned_userinfo` (an unsecured `alg: none` JWT), `userinfo_as_json`
(plain JSON), `wrong_acr`, and `down` (every endpoint answers 503).
"""

import base64
import hashlib
import html
import json
import secrets
import time
from urllib.parse import parse_qs, urlencode

from joserfc import jwt
from joserfc.jwk import ECKey

from ribambelle.payments.doubles.server import DoubleServer, form, page, redirect

BASE_PATH = "/api/v2"

# The test identities (the first is FranceConnect's own sandbox identity).
IDENTITIES = {
    "angela": {
        "given_name": "Angela Claire Louise",
        "family_name": "DUBOIS",
        "preferred_username": "",
        "birthdate": "1962-08-24",
        "gender": "female",
        "birthplace": "75107",
        "birthcountry": "99100",
        "email": "wossewodda-3728@yopmail.com",
    },
    "julie": {
        "given_name": "Julie",
        "family_name": "MARTIN",
        "preferred_username": "",
        "birthdate": "1986-04-12",
        "gender": "female",
        "birthplace": "82121",
        "birthcountry": "99100",
        "email": "julie.martin@famille.example",
    },
    "pierre": {
        "given_name": "Pierre Jean",
        "family_name": "LAMBERT",
        "preferred_username": "",
        "birthdate": "1979-11-03",
        "gender": "male",
        "birthplace": "21054",
        "birthcountry": "99100",
        "email": "pierre.lambert@exemple.test",
    },
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class FranceConnectDouble(DoubleServer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kid = secrets.token_hex(8)
        self.key = ECKey.generate_key("P-256", parameters={"kid": self.kid, "use": "sig", "alg": "ES256"})
        self.clients: dict[str, str] = {}  # client_id -> client secret
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}
        self.logouts: list[dict] = []
        self.authorize_requests: list[dict] = []
        self.tamper_id_token = False
        self.wrong_nonce = False
        self.unsigned_userinfo = False
        self.userinfo_as_json = False
        self.wrong_acr = False
        self.down = False

    # --- for the site under test --------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self.url + BASE_PATH

    @property
    def issuer(self) -> str:
        return self.base_url

    def sub_for(self, identity: str, client_id: str) -> str:
        """FranceConnect gives each client its own stable `sub` for a person."""
        return hashlib.sha256(f"{client_id}:{identity}".encode()).hexdigest() + "v1"

    def reset(self) -> None:
        self.tamper_id_token = self.wrong_nonce = self.unsigned_userinfo = False
        self.userinfo_as_json = self.wrong_acr = self.down = False

    # --- HTTP -------------------------------------------------------------------------------------
    def handle(self, method, path, query, body, headers):
        if self.down:
            return 503, {"Content-Type": "text/plain"}, b"service unavailable"
        if not path.startswith(BASE_PATH):
            return 404, {"Content-Type": "text/plain"}, b"not found"
        route = path[len(BASE_PATH) :]
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if route == "/.well-known/openid-configuration":
            return self._json(self._configuration())
        if route == "/jwks":
            return self._json({"keys": [self.key.as_dict(private=False)]})
        if route == "/authorize" and method == "GET":
            return self._authorize_page(params)
        if route == "/authorize" and method == "POST":
            return self._authorize_submit(form(body))
        if route == "/token" and method == "POST":
            return self._token(form(body), headers)
        if route == "/userinfo":
            return self._userinfo(headers)
        if route == "/session/end":
            return self._session_end(params)
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def _json(self, value, status: int = 200):
        return status, {"Content-Type": "application/json"}, json.dumps(value).encode()

    def _configuration(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.base_url}/authorize",
            "token_endpoint": f"{self.base_url}/token",
            "userinfo_endpoint": f"{self.base_url}/userinfo",
            "end_session_endpoint": f"{self.base_url}/session/end",
            "jwks_uri": f"{self.base_url}/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "acr_values_supported": ["eidas1"],
            "id_token_signing_alg_values_supported": ["ES256", "RS256"],
            "userinfo_signing_alg_values_supported": ["ES256", "RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "scopes_supported": [
                "openid",
                "given_name",
                "family_name",
                "birthdate",
                "birthplace",
                "birthcountry",
                "gender",
                "preferred_username",
                "email",
                "identite_pivot",
                "cnaf_quotient_familial",
                "cnaf_allocataires",
                "cnaf_enfants",
                "cnaf_adresse",
            ],
        }

    def _authorize_page(self, params: dict):
        missing = [
            name
            for name in ("response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "acr_values")
            if not params.get(name)
        ]
        if missing or params["response_type"] != "code" or "openid" not in params["scope"].split():
            return 400, {"Content-Type": "text/plain; charset=utf-8"}, f"invalid_request {missing}".encode()
        self.authorize_requests.append(dict(params))
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
        )
        choices = "".join(
            f'<p><input type="radio" name="identity" id="id-{key}" value="{key}"{" checked" if i == 0 else ""}>'
            f' <label for="id-{key}">{html.escape(who["given_name"])} {html.escape(who["family_name"])}'
            f" ({html.escape(who['email'])})</label></p>"
            for i, (key, who) in enumerate(IDENTITIES.items())
        )
        return page(
            "FranceConnect (double local) — Se connecter",
            f'<form method="post" action="{BASE_PATH}/authorize">{hidden}'
            f"<fieldset><legend>Identité de test</legend>{choices}</fieldset>"
            '<button class="primary" type="submit" name="action" value="login">Se connecter</button>'
            '<button type="submit" name="action" value="cancel">Annuler et revenir au service</button></form>',
        )

    def _authorize_submit(self, data: dict):
        redirect_uri = data.get("redirect_uri", "")
        separator = "&" if "?" in redirect_uri else "?"
        if data.get("action") != "login":
            query = urlencode(
                {"error": "access_denied", "error_description": "User auth aborted", "state": data.get("state", "")}
            )
            return redirect(f"{redirect_uri}{separator}{query}")
        identity = data.get("identity", "")
        if identity not in IDENTITIES:
            return 400, {"Content-Type": "text/plain"}, b"unknown identity"
        code = secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = {**data, "issued": time.time()}
        return redirect(f"{redirect_uri}{separator}{urlencode({'code': code, 'state': data.get('state', '')})}")

    def _client(self, data: dict, headers) -> tuple[str, str]:
        auth = headers.get("Authorization", "") if headers else ""
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            return client_id, secret
        return data.get("client_id", ""), data.get("client_secret", "")

    def _token(self, data: dict, headers):
        client_id, secret = self._client(data, headers)
        if client_id not in self.clients or not secrets.compare_digest(self.clients[client_id], secret):
            return self._json({"error": "invalid_client"}, 401)
        with self.lock:
            grant = self.codes.pop(data.get("code", ""), None)
        if (
            data.get("grant_type") != "authorization_code"
            or grant is None
            or grant["client_id"] != client_id
            or grant["redirect_uri"] != data.get("redirect_uri")
            or time.time() - grant["issued"] > 60
        ):
            return self._json({"error": "invalid_grant"}, 400)
        now = int(time.time())
        sub = self.sub_for(grant["identity"], client_id)
        claims = {
            "iss": self.issuer,
            "sub": sub,
            "aud": client_id,
            "exp": now + 60,
            "iat": now,
            "auth_time": now,
            "nonce": "not-the-nonce" if self.wrong_nonce else grant["nonce"],
            "acr": "eidas2" if self.wrong_acr else "eidas1",
            "amr": ["pwd"],
            "idp_id": "double",
        }
        access_token = secrets.token_urlsafe(32)
        with self.lock:
            self.access_tokens[access_token] = {**grant, "sub": sub, "client_id": client_id}
        return self._json(
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": 60,
                "id_token": self._sign(claims, tampered=self.tamper_id_token),
                "scope": grant["scope"],
            }
        )

    def _sign(self, claims: dict, *, tampered: bool = False) -> str:
        key = self.key
        if tampered:  # the right key id, the wrong key: the signature does not verify
            key = ECKey.generate_key("P-256", parameters={"kid": self.kid})
        return jwt.encode({"alg": "ES256", "kid": self.kid, "typ": "JWT"}, claims, key)

    def _userinfo(self, headers):
        auth = headers.get("Authorization", "") if headers else ""
        grant = self.access_tokens.get(auth[7:]) if auth.startswith("Bearer ") else None
        if grant is None:
            return 401, {"WWW-Authenticate": 'Bearer error="invalid_token"', "Content-Type": "text/plain"}, b""
        scopes = set(grant["scope"].split())
        person = IDENTITIES[grant["identity"]]
        claims = {"sub": grant["sub"], "iss": self.issuer, "aud": grant["client_id"]}
        claims.update({name: value for name, value in person.items() if name in scopes})
        if self.userinfo_as_json:
            return self._json(claims)
        if self.unsigned_userinfo:
            header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
            token = f"{header}.{_b64(json.dumps(claims).encode())}."
            return 200, {"Content-Type": "application/jwt"}, token.encode()
        return 200, {"Content-Type": "application/jwt"}, self._sign(claims).encode()

    def _session_end(self, params: dict):
        try:
            claims = jwt.decode(params.get("id_token_hint", ""), self.key, algorithms=["ES256"]).claims
        except Exception:  # noqa: BLE001 - any unreadable hint is a bad request
            return 400, {"Content-Type": "text/plain"}, b"invalid id_token_hint"
        target = params.get("post_logout_redirect_uri", "")
        if not target or not params.get("state"):
            return 400, {"Content-Type": "text/plain"}, b"post_logout_redirect_uri and state required"
        self.logouts.append({"sub": claims["sub"], "state": params["state"], "redirect": target})
        separator = "&" if "?" in target else "?"
        return redirect(f"{target}{separator}{urlencode({'state': params['state']})}")
