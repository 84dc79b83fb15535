"""A local double of PayFiP (DGFiP), speaking its documented exchange:

1. the web service (SOAP, the WSDL eopayment ships, served here with our address):
   `creerPaiementSecurise` (numcli, exer, montant in cents, refdet, mel, objet, saisie,
   urlnotif, urlredirect) answers an `idOp`; `recupererDetailPaiementSecurise` (idOp) answers
   the state (resultrans P paid by card, V validated direct debit, R / Z refused, A abandoned,
   with montant, dattrans, heurtrans, numauto…) or a FonctionnelleErreur fault: P5 "paiement
   non finalisé" while no result is known, P1 for an unknown idOp;
2. the payment page `paiementws.web?idop=…` where the family pays, is refused or gives up;
3. then PayFiP calls the notification URL (POST `idOp=…`) and sends the browser back to the
   redirect URL with `idOp`.

Test hooks: `notify` (False: the notification is lost), `defer` (the answer stays P5 until
`complete(idop)`), `reported_amount` (state query reports another amount)."""

import html
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import Request, urlopen
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import eopayment

from .server import DoubleServer, form, page, redirect

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SERVICE_NS = (
    "http://securite.service.tpa.cp.finances.gouv.fr/services/mas_securite/contrat_paiement_securise/"
    "PaiementSecuriseService"
)
RESOURCES = Path(eopayment.__file__).parent / "resource"
REAL_ADDRESS = "https://www.payfip.gouv.fr/tpa/services/securite"
SERVICE_PATH = "/tpa/services/securite"
PAYMENT_PATH = "/tpa/paiementws.web"
FAULT = "fr.gouv.finances.cp.tpa.webservice.exceptions.FonctionnelleErreur"
# What the family chooses on the payment page → resultrans.
CHOICES = {"payer": "P", "refuser": "R", "abandonner": "A"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class PayFiPDouble(DoubleServer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.payments: dict[str, dict] = {}
        self.notify = True
        self.defer = False
        self.reported_amount: str | None = None
        self.notifications: list[tuple[str, int]] = []  # (idOp, HTTP status of our site's answer)

    # --- settings for the site under test -------------------------------------------------
    @property
    def wsdl_url(self) -> str:
        return f"{self.url}{SERVICE_PATH}?wsdl"

    @property
    def payment_url(self) -> str:
        return f"{self.url}{PAYMENT_PATH}"

    # --- test hooks --------------------------------------------------------------------------
    def last_idop(self) -> str:
        return list(self.payments)[-1]

    def complete(self, idop: str, resultrans: str = "P") -> None:
        """The deferred payment gets its final result (then P5 is no longer answered)."""
        with self.lock:
            self._finish(self.payments[idop], resultrans)

    def send_notification(self, idop: str) -> int:
        urlnotif = self.payments[idop]["urlnotif"]
        request = Request(urlnotif, data=urlencode({"idOp": idop}).encode(), method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urlopen(request, timeout=10) as response:  # noqa: S310 - our own test site
                status = response.status
        except OSError as exc:
            status = getattr(exc, "code", 0) or 0
        self.notifications.append((idop, status))
        return status

    # --- HTTP ----------------------------------------------------------------------------------
    def handle(self, method, path, query, body, headers):
        if method == "GET" and path == SERVICE_PATH:
            wsdl = (RESOURCES / "PaiementSecuriseService.wsdl").read_text()
            wsdl = wsdl.replace(REAL_ADDRESS, self.url + SERVICE_PATH)
            return 200, {"Content-Type": "text/xml; charset=utf-8"}, wsdl.encode()
        if method == "GET" and path.startswith("/tpa/services/") and path.endswith(".xsd"):
            name = path.rsplit("/", 1)[-1]
            if name.startswith("PaiementSecuriseService_schema") and (RESOURCES / name).exists():
                return 200, {"Content-Type": "text/xml; charset=utf-8"}, (RESOURCES / name).read_bytes()
        if method == "POST" and path == SERVICE_PATH:
            return self._soap(body)
        if path == PAYMENT_PATH:
            return self._payment_page(method, query, body)
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def _soap(self, body: bytes):
        envelope = ET.fromstring(body)
        operation = next(iter(next(e for e in envelope if _local(e.tag) == "Body")))
        name = _local(operation.tag)
        arg0 = next((e for e in operation if _local(e.tag) == "arg0"), None)
        args = {_local(e.tag): (e.text or "") for e in (arg0 if arg0 is not None else [])}
        if name == "creerPaiementSecurise":
            return self._create(args)
        if name == "recupererDetailPaiementSecurise":
            return self._detail(args.get("idOp", ""))
        if name == "recupererDetailClient":
            return self._respond(name, {"numcli": args.get("numCli", ""), "libelleN1": "COLLECTIVITE DE TEST"})
        return self._fault("P0", "Opération inconnue")

    def _create(self, args: dict):
        if not (args.get("numcli", "").isdigit() and len(args["numcli"]) == 6):
            return self._fault("O1", "Numéro client absent ou incorrect")
        if not args.get("montant", "").isdigit() or int(args["montant"]) <= 0:
            return self._fault("O3", "Montant incorrect")
        if args.get("saisie") not in ("T", "X", "W"):
            return self._fault("O4", "Mode de saisie incorrect")
        if not args.get("urlnotif") or not args.get("urlredirect"):
            return self._fault("O5", "URL de notification ou de redirection absente")
        idop = str(uuid.uuid4())
        with self.lock:
            self.payments[idop] = {**args, "idOp": idop, "resultrans": "", "deferred": False}
        return self._respond("creerPaiementSecurise", {"idOp": idop})

    def _detail(self, idop: str):
        payment = self.payments.get(idop)
        if payment is None:
            return self._fault("P1", "IdOp incorrect")
        if not payment["resultrans"]:
            return self._fault("P5", "Résultat de la transaction non connu")  # paiement non finalisé
        fields = {
            key: payment.get(key, "")
            for key in ("dattrans", "exer", "heurtrans", "idOp", "mel", "montant", "numauto", "numcli")
        }
        fields.update(
            objet=payment.get("objet", ""),
            refdet=payment["refdet"],
            resultrans=payment["resultrans"],
            saisie=payment["saisie"],
        )
        if self.reported_amount is not None:
            fields["montant"] = self.reported_amount
        return self._respond("recupererDetailPaiementSecurise", fields)

    def _respond(self, operation: str, fields: dict):
        inner = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in fields.items())
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="{SOAP_NS}"><S:Body>'
            f'<ns2:{operation}Response xmlns:ns2="{SERVICE_NS}"><return>{inner}</return>'
            f"</ns2:{operation}Response></S:Body></S:Envelope>"
        )
        return 200, {"Content-Type": "text/xml; charset=utf-8"}, xml.encode()

    def _fault(self, code: str, label: str):
        xml = (
            f'<?xml version="1.0" encoding="UTF-8"?><S:Envelope xmlns:S="{SOAP_NS}"><S:Body><S:Fault>'
            f"<faultcode>S:Server</faultcode><faultstring>{FAULT}</faultstring><detail>"
            f'<ns2:FonctionnelleErreur xmlns:ns2="{SERVICE_NS}"><code>{code}</code>'
            f"<descriptif>{escape(label)}</descriptif><libelle>{escape(label)}</libelle><severite>2</severite>"
            f"</ns2:FonctionnelleErreur></detail></S:Fault></S:Body></S:Envelope>"
        )
        return 500, {"Content-Type": "text/xml; charset=utf-8"}, xml.encode()

    def _finish(self, payment: dict, resultrans: str) -> None:
        now = datetime.now(ZoneInfo("Europe/Paris"))
        payment.update(
            resultrans=resultrans,
            dattrans=now.strftime("%d%m%Y"),
            heurtrans=now.strftime("%H%M"),
            numauto=f"{uuid.uuid4().int % 1_000_000:06d}" if resultrans in ("P", "V") else "",
        )

    def _payment_page(self, method: str, query: str, body: bytes):
        data = form(query) if method == "GET" else form(body)
        idop = data.get("idop") or data.get("idOp", "")
        payment = self.payments.get(idop)
        if payment is None:
            return page("PayFiP – paiement introuvable", "<p>Ce paiement n'existe pas ou a expiré.</p>")
        if method == "GET":
            amount = f"{int(payment['montant']) / 100:.2f}".replace(".", ",")
            buttons = "".join(
                f'<button type="submit" name="choix" value="{value}"{cls}>{label}</button>'
                for value, label, cls in (
                    ("payer", "Payer par carte bancaire", ' class="primary"'),
                    ("refuser", "Carte refusée (simulation)", ""),
                    ("abandonner", "Abandonner et revenir au site", ""),
                )
            )
            return page(
                "PayFiP – paiement sécurisé (simulation)",
                f"<p>Référence : {html.escape(payment['refdet'])}</p>"
                f"<p>Montant : <strong>{amount} €</strong></p>"
                f'<form method="post" action="{PAYMENT_PATH}">'
                f'<input type="hidden" name="idop" value="{html.escape(idop)}">{buttons}</form>',
            )
        choice = data.get("choix", "")
        if choice not in CHOICES:
            return 400, {"Content-Type": "text/plain"}, b"choix inconnu"
        with self.lock:
            if self.defer and choice == "payer":
                payment["deferred"] = True  # stays P5 until complete()
            else:
                self._finish(payment, CHOICES[choice])
        if self.notify and not payment["deferred"]:
            self.send_notification(idop)
        separator = "&" if "?" in payment["urlredirect"] else "?"
        return redirect(f"{payment['urlredirect']}{separator}{urlencode({'idOp': idop})}")


def start() -> PayFiPDouble:
    return PayFiPDouble().start()
