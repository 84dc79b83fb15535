"""A local double of API Particulier v3 (quotient familial CAF / MSA, EAJE parameters), a real HTTP
server (ribambelle.payments.doubles.server) that answers like the staging service, by test identity:

- CNAF_IDENTITY (MARTIN Julie, F, 14/03/1988, born in Montauban 82121) → QF 650, CNAF;
- MSA_IDENTITY (ROUX Jeanne Stéphanie, F, 27/06/1987, born in 08480) → QF 150, MSA (staging's case);
- birth name TESTLIMITE → 429 (00429), TESTPANNE → 502 (37999), TESTDELAI → 504 (37002);
- anyone else → 404 (37003, "no file").

The FranceConnect variants accept any non-empty bearer as a user's FC token and answer the CNAF
case. Like the real service it refuses an unknown token (401) and a recipient that is not one of
`recipients` (403), and a request without the mandatory identity parameters (400). `requests`
logs every call (path, monotonic time) so tests count them and their rate."""

import json
import threading
import time
from datetime import date
from urllib.parse import parse_qs

from ribambelle.payments.doubles.server import DoubleServer

from .client import (
    EAJE_FRANCE_CONNECT_PATH,
    EAJE_IDENTITY_PATH,
    QF_FRANCE_CONNECT_PATH,
    QF_IDENTITY_PATH,
)

CNAF_IDENTITY = {
    "birth_name": "MARTIN",
    "first_names": "Julie",
    "sex": "F",
    "birth_date": date(1988, 3, 14),
    "birth_commune_cog": "82121",
}
MSA_IDENTITY = {
    "birth_name": "ROUX",
    "first_names": "Jeanne Stéphanie",
    "sex": "F",
    "birth_date": date(1987, 6, 27),
    "birth_commune_cog": "08480",
}
ERROR_NAMES = {
    "TESTLIMITE": (429, "00429", "Trop de requêtes", "Vous avez effectué trop de requêtes."),
    "TESTPANNE": (502, "37999", "Erreur de fournisseur de donnée", "Erreur inconnue du fournisseur de données."),
    "TESTDELAI": (504, "37002", "Erreur de timeout", "Le fournisseur de données n'a pas répondu à temps."),
}
DEMO_TOKEN = "jeton-de-demonstration-api-particulier-0000"
DEMO_SIRET = "21820000000014"  # test SIRET (valid Luhn key) of the demo's Quercy


def _previous_month(today: date) -> tuple[int, int]:
    return (today.year - 1, 12) if today.month == 1 else (today.year, today.month - 1)


def _error(status: int, code: str, title: str, detail: str):
    body = {"errors": [{"code": code, "title": title, "detail": detail, "source": None, "meta": {"provider": "CNAF"}}]}
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


class ApiParticulierDouble(DoubleServer):
    def __init__(self, *args, tokens=(DEMO_TOKEN,), recipients=(DEMO_SIRET,), **kwargs):
        super().__init__(*args, **kwargs)
        self.tokens = set(tokens)
        self.recipients = set(recipients)
        self.requests: list[tuple[str, float]] = []
        self._log_lock = threading.Lock()

    # -- what tests read --
    def calls(self, path_part: str = "") -> int:
        return sum(1 for path, _t in self.requests if path_part in path)

    def max_per_second(self) -> int:
        """The most calls seen in any one-second window."""
        times = sorted(t for _p, t in self.requests)
        best, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= 1.0:
                start += 1
            best = max(best, end - start + 1)
        return best

    # -- the protocol --
    def handle(self, method, path, query, body, headers):
        with self._log_lock:
            self.requests.append((path, time.monotonic()))
        if method != "GET" or path not in (
            QF_IDENTITY_PATH,
            QF_FRANCE_CONNECT_PATH,
            EAJE_IDENTITY_PATH,
            EAJE_FRANCE_CONNECT_PATH,
        ):
            return _error(404, "00404", "Page non trouvée", "Cette adresse n'existe pas.")
        params = parse_qs(query, keep_blank_values=True)
        auth = headers.get("Authorization", "")
        bearer = auth[7:] if auth.startswith("Bearer ") else ""
        france_connect = path.endswith("/france_connect")
        if not bearer or (not france_connect and bearer not in self.tokens):
            return _error(401, "00101", "Interdit", "Votre jeton est invalide ou a expiré.")
        recipient = (params.get("recipient") or [""])[0]
        if recipient not in self.recipients:
            return _error(
                403, "00102", "Accès refusé", "Le paramètre recipient n'est pas le SIRET d'une entité habilitée."
            )
        if france_connect:
            return self._answer(path, CNAF_IDENTITY, params)
        missing = [
            name
            for name in ("nomNaissance", "prenoms[]", "sexeEtatCivil", "codeCogInseePaysNaissance")
            if not (params.get(name) or [""])[0]
        ]
        if missing:
            return _error(400, "00201", "Entité non traitable", f"Paramètres manquants : {', '.join(missing)}.")
        name = params["nomNaissance"][0].upper()
        if name in ERROR_NAMES:
            return _error(*ERROR_NAMES[name])
        for identity in (CNAF_IDENTITY, MSA_IDENTITY):
            if self._matches(identity, params):
                return self._answer(path, identity, params)
        return _error(
            404, "37003", "Dossier allocataire absent", "Le dossier allocataire n'a pas été trouvé auprès de la CNAF."
        )

    @staticmethod
    def _matches(identity: dict, params: dict) -> bool:
        first = [p.upper() for p in params.get("prenoms[]", [])]
        born = identity["birth_date"]
        return (
            params["nomNaissance"][0].upper() == identity["birth_name"]
            and first[:1] == [identity["first_names"].split()[0].upper()]
            and params["sexeEtatCivil"][0] == identity["sex"]
            and (params.get("anneeDateNaissance") or [""])[0] == str(born.year)
            and (params.get("moisDateNaissance") or [""])[0] == str(born.month)
        )

    @staticmethod
    def _answer(path: str, identity: dict, params: dict):
        msa = identity is MSA_IDENTITY
        allocataire = {
            "nom_naissance": identity["birth_name"],
            "nom_usage": None,
            "prenoms": identity["first_names"].upper(),
            "date_naissance": identity["birth_date"].isoformat(),
            "sexe": identity["sex"],
        }
        family = {
            "allocataires": [allocataire],
            "enfants": [],
            "adresse": {"destinataire": f"MADAME {identity['birth_name']}", "pays": "FRANCE"},
        }
        if "participation_familiale_eaje" in path:
            data = {
                "parametres_calcul_participation_familiale": {
                    "nombre_enfants_a_charge": 2,
                    "nombre_enfants_beneficiaire_aeeh": 0,
                    "base_ressources_annuelles": {"valeur": 42000, "annee_calcul": date.today().year - 2},
                },
                **family,
            }
        else:
            year, month = _previous_month(date.today())
            if params.get("annee") and params.get("mois"):
                year, month = int(params["annee"][0]), int(params["mois"][0])
            calc_year, calc_month = _previous_month(date(year, month, 1))
            data = {
                "quotient_familial": {
                    "fournisseur": "MSA" if msa else "CNAF",
                    "valeur": 150 if msa else 650,
                    "annee": year,
                    "mois": month,
                    "annee_calcul": calc_year,
                    "mois_calcul": calc_month,
                },
                **family,
            }
        return 200, {"Content-Type": "application/json"}, json.dumps({"data": data, "links": {}, "meta": {}}).encode()
