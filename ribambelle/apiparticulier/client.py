"""API Particulier v3, quotient familial CAF / MSA (and the crèches' EAJE parameters): the provider
interface, its results and typed errors, and the real HTTP client.

The client is the same for the real service and for the local double (doubles.py): only the base
URL differs, set per organisation (ApiParticulierSettings). Facts (reference caf-psu-qf.md C1–C5):
`GET {base}/v3/dss/quotient_familial/identite`, `Authorization: Bearer <token>` (header only),
`recipient` = the authority's SIRET, the allocataire's identity as query parameters; the
FranceConnect variant `…/quotient_familial/france_connect` with the user's FC access token as the
bearer; errors `{"errors": [{"code", "title", "detail"}]}`: 404 37003 (no file), 429, 502 37999,
504 37002. Published limit: 20 calls per second per token — the throttle keeps under it.

Nothing here logs the token, the identity sent or the answer: errors carry a French message, the
HTTP status and the error code only."""

import hashlib
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Protocol

import requests
from django.conf import settings
from django.utils.translation import gettext_lazy as _

QF_IDENTITY_PATH = "/v3/dss/quotient_familial/identite"
QF_FRANCE_CONNECT_PATH = "/v3/dss/quotient_familial/france_connect"
EAJE_IDENTITY_PATH = "/v3/dss/participation_familiale_eaje/identite"
EAJE_FRANCE_CONNECT_PATH = "/v3/dss/participation_familiale_eaje/france_connect"
FRANCE = "99100"


# --- Results and errors ---------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """The allocataire's civil-status identity, as API Particulier matches it."""

    birth_name: str
    first_names: tuple[str, ...]
    sex: str  # "M" or "F"
    birth_date: date
    birth_country_cog: str = FRANCE
    birth_commune_cog: str = ""
    birth_commune_name: str = ""
    birth_department: str = ""
    usage_name: str = ""

    def params(self) -> list[tuple[str, str]]:
        params = [("nomNaissance", self.birth_name.upper())]
        if self.usage_name:
            params.append(("nomUsage", self.usage_name.upper()))
        params += [("prenoms[]", name.upper()) for name in self.first_names]
        params += [
            ("sexeEtatCivil", self.sex),
            ("codeCogInseePaysNaissance", self.birth_country_cog or FRANCE),
            ("anneeDateNaissance", str(self.birth_date.year)),
            ("moisDateNaissance", str(self.birth_date.month)),
            ("jourDateNaissance", str(self.birth_date.day)),
        ]
        if (self.birth_country_cog or FRANCE) == FRANCE:
            if self.birth_commune_cog:
                params.append(("codeCogInseeCommuneNaissance", self.birth_commune_cog))
            else:
                params += [
                    ("nomCommuneNaissance", self.birth_commune_name.upper()),
                    ("codeCogInseeDepartementNaissance", self.birth_department),
                ]
        return params


@dataclass(frozen=True)
class QuotientResult:
    provider: str  # "CNAF" or "MSA"
    value: Decimal
    year: int
    month: int
    calc_year: int | None = None
    calc_month: int | None = None

    @property
    def reference_month(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def calculation_month(self) -> date | None:
        return date(self.calc_year, self.calc_month, 1) if self.calc_year and self.calc_month else None


@dataclass(frozen=True)
class EajeParams:
    """The crèche (PSU) pricing inputs of the EAJE API (beta, C5)."""

    children: int
    aeeh_children: int
    annual_resources: Decimal
    resources_year: int | None


class ApiParticulierError(Exception):
    """A refusal or failure, said in French; `code` is the service's error code (37003…)."""

    outcome = "unavailable"

    def __init__(self, message: str = "", *, http_status: int | None = None, code: str = ""):
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


class NotFound(ApiParticulierError):
    outcome = "not_found"


class RateLimited(ApiParticulierError):
    outcome = "rate_limited"


class Unavailable(ApiParticulierError):
    outcome = "unavailable"


class Misconfigured(ApiParticulierError):
    outcome = "misconfigured"


NOT_FOUND_MESSAGE = _("Aucun dossier CAF ou MSA ne correspond à cette identité.")
RETRY_MESSAGE = _("Le service de la CAF / MSA ne répond pas pour le moment : réessayez plus tard.")
MISCONFIGURED_MESSAGE = _(
    "Le service API Particulier refuse l'accès : vérifiez le jeton et le SIRET dans les réglages."
)


class QuotientProvider(Protocol):
    def get_quotient(self, identity: Identity, month: date | None = None) -> QuotientResult: ...

    def get_quotient_france_connect(self, access_token: str, month: date | None = None) -> QuotientResult: ...

    def get_eaje_params(self, identity: Identity) -> EajeParams: ...


# --- Logs -------------------------------------------------------------------------------------


class RedactQueryFilter(logging.Filter):
    """urllib3 logs each request's URL at DEBUG, query string included: for API Particulier that
    is the allocataire's identity. Keep the path, drop the query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, str) and "/v3/dss/" in a for a in record.args):
            record.args = tuple(
                a.split("?", 1)[0] + "?…" if isinstance(a, str) and "/v3/dss/" in a and "?" in a else a
                for a in record.args
            )
        return True


logging.getLogger("urllib3.connectionpool").addFilter(RedactQueryFilter())


# --- Throttle -------------------------------------------------------------------------------


class Throttle:
    """At most `limit` calls in any one-second window per token, in this process (a bulk fetch runs
    in one process). The published limit is 20/s per token: the default keeps one below."""

    def __init__(self):
        self._lock = threading.Lock()
        self._calls: dict[str, deque] = {}

    def wait(self, key: str, limit: int) -> None:
        with self._lock:
            calls = self._calls.setdefault(key, deque())
            now = time.monotonic()
            while calls and now - calls[0] >= 1.0:
                calls.popleft()
            if len(calls) >= limit:
                time.sleep(1.0 - (now - calls[0]) + 0.002)
                now = time.monotonic()
                while calls and now - calls[0] >= 1.0:
                    calls.popleft()
            calls.append(now)


THROTTLE = Throttle()


def _throttle_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


# --- The real client ------------------------------------------------------------------------


class ApiParticulierClient:
    """One organisation's access: base URL, token, SIRET. Timeouts: 3 s to connect, 10 s to answer."""

    def __init__(self, *, base_url: str, token: str, recipient: str, session: requests.Session | None = None):
        if not base_url or not token or not recipient:
            raise Misconfigured(message=str(_("API Particulier n'est pas configuré (adresse, jeton ou SIRET).")))
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.recipient = recipient
        self.session = session or requests.Session()
        self.timeout = (3.05, float(getattr(settings, "API_PARTICULIER_TIMEOUT", 10)))

    def __repr__(self) -> str:  # never the token
        return f"<ApiParticulierClient {self.base_url}>"

    def get_quotient(self, identity: Identity, month: date | None = None) -> QuotientResult:
        params = [("recipient", self.recipient), *identity.params(), *_month_params(month)]
        return _quotient(self._get(QF_IDENTITY_PATH, params, self._token))

    def get_quotient_france_connect(self, access_token: str, month: date | None = None) -> QuotientResult:
        if not access_token:
            raise Misconfigured(message=str(_("La session FranceConnect a expiré : reconnectez-vous.")))
        params = [("recipient", self.recipient), *_month_params(month)]
        # The user's FC token is the bearer; the throttle still counts under the organisation's token.
        return _quotient(self._get(QF_FRANCE_CONNECT_PATH, params, access_token))

    def get_eaje_params(self, identity: Identity) -> EajeParams:
        params = [("recipient", self.recipient), *identity.params()]
        return _eaje(self._get(EAJE_IDENTITY_PATH, params, self._token))

    def _get(self, path: str, params: list, bearer: str) -> dict:
        THROTTLE.wait(_throttle_key(self._token), int(getattr(settings, "API_PARTICULIER_MAX_CALLS_PER_SECOND", 19)))
        try:
            response = self.session.get(
                self.base_url + path,
                params=params,
                headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json"},
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.Timeout:
            raise Unavailable(message=str(RETRY_MESSAGE), code="timeout") from None
        except requests.RequestException:
            raise Unavailable(message=str(RETRY_MESSAGE), code="network") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 200 and isinstance(body, dict):
            return body
        code = _error_code(body)
        status = response.status_code
        if status == 404:
            raise NotFound(message=str(NOT_FOUND_MESSAGE), http_status=status, code=code)
        if status == 429:
            raise RateLimited(message=str(RETRY_MESSAGE), http_status=status, code=code or "00429")
        if status in (401, 403):
            raise Misconfigured(message=str(MISCONFIGURED_MESSAGE), http_status=status, code=code)
        if status in (400, 422):
            raise Misconfigured(
                message=str(_("L'identité transmise est incomplète ou invalide : vérifiez l'état civil.")),
                http_status=status,
                code=code,
            )
        raise Unavailable(message=str(RETRY_MESSAGE), http_status=status, code=code)


def _month_params(month: date | None) -> list[tuple[str, str]]:
    return [("annee", str(month.year)), ("mois", str(month.month))] if month else []


def _error_code(body) -> str:
    try:
        return str(body["errors"][0]["code"])[:8]
    except (KeyError, IndexError, TypeError):
        return ""


def _quotient(body: dict) -> QuotientResult:
    try:
        qf = body["data"]["quotient_familial"]
        return QuotientResult(
            provider=str(qf["fournisseur"]).upper()[:4],
            value=Decimal(str(qf["valeur"])),
            year=int(qf["annee"]),
            month=int(qf["mois"]),
            calc_year=int(qf["annee_calcul"]) if qf.get("annee_calcul") else None,
            calc_month=int(qf["mois_calcul"]) if qf.get("mois_calcul") else None,
        )
    except (KeyError, TypeError, ValueError, InvalidOperation):
        raise Unavailable(message=str(RETRY_MESSAGE), http_status=200, code="format") from None


def _eaje(body: dict) -> EajeParams:
    try:
        params = body["data"]["parametres_calcul_participation_familiale"]
        resources = params["base_ressources_annuelles"]
        return EajeParams(
            children=int(params["nombre_enfants_a_charge"]),
            aeeh_children=int(params.get("nombre_enfants_beneficiaire_aeeh") or 0),
            annual_resources=Decimal(str(resources["valeur"])),
            resources_year=int(resources["annee_calcul"]) if resources.get("annee_calcul") else None,
        )
    except (KeyError, TypeError, ValueError, InvalidOperation):
        raise Unavailable(message=str(RETRY_MESSAGE), http_status=200, code="format") from None
