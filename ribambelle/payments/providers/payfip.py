"""PayFiP, the DGFiP's card and direct-debit payment service for public bodies (communes,
EPCI, syndicats), through its web service (eopayment's "payfip_ws" backend): the payment is
opened server-to-server (an "idOp"), and every answer is confirmed by asking PayFiP for the
idOp's real state, so a forged return or notification cannot mark an invoice paid.

PayFiP calls us back with the parameter `idOp` while eopayment's backend reads `idop`: the
answer is normalised here before eopayment reads it (the library is used as it is). A state
query answering P5 ("paiement non finalisé") is not final: the transaction stays pending and
is asked again later (periodic task, next return)."""

import secrets
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from eopayment.payfip_ws import PAYMENT_URL, PayFiP

from .base import _RESULTS, ERROR, Outcome, Provider, _plain


def normalise_answer(query_string: str) -> str:
    """PayFiP's `idOp` under the name eopayment's backend reads (`idop`)."""
    fields = parse_qs(query_string, keep_blank_values=True)
    if "idop" not in fields:
        for name in list(fields):
            if name.lower() == "idop":
                fields["idop"] = fields.pop(name)
                break
    return urlencode(fields, doseq=True)


class PayFiPProvider(Provider):
    kind = "payfip"
    label = _("PayFiP (DGFiP) – collectivités")
    eopayment_kind = "payfip_ws"
    public_bodies = True
    options = [
        ("numcli", _("Numéro client PayFiP (6 chiffres)"), False),
        ("saisie", _("Mode (T : test, X : activation, W : production)"), False),
    ]

    @classmethod
    def redirect_origins(cls) -> list[str]:
        parts = urlsplit(settings.PAYFIP_PAYMENT_URL)
        return [f"{parts.scheme}://{parts.netloc}"]

    def backend_options(self) -> dict:
        options = super().backend_options()
        options["saisie"] = (options.get("saisie") or "T").strip().upper()
        return options

    def backend(self):
        backend = super().backend()
        if settings.PAYFIP_WSDL_URL:
            # The web service's address (the local double in tests and the demo).
            backend.backend.payfip = PayFiP(wsdl_url=settings.PAYFIP_WSDL_URL)
        return backend

    def request_kwargs(self, *, amount, email, orderid, subject):
        # REFDET: 6-30 letters/digits, unique per attempt (a refused payment may be retried).
        refdet = ("".join(c for c in orderid if c.isalnum()) + secrets.token_hex(4).upper())[:30]
        return {
            "amount": str(amount),
            "email": email,
            "refdet": refdet,
            "exer": str(timezone.localdate().year),
            "subject": subject,
        }

    def request(self, *, amount, email, orderid, subject):
        transaction_id, kind, url = super().request(amount=amount, email=email, orderid=orderid, subject=subject)
        if url.startswith(PAYMENT_URL):
            url = settings.PAYFIP_PAYMENT_URL + url[len(PAYMENT_URL) :]
        return transaction_id, kind, url

    def _outcome(self, response) -> Outcome:
        outcome = Outcome(
            transaction_id=response.order_id,
            result=_RESULTS.get(response.result, ERROR),
            signed=bool(response.signed),
            bank_data={k: _plain(v) for k, v in (response.bank_data or {}).items() if v is not None},
        )
        cents = outcome.bank_data.get("montant", "")
        outcome.amount = Decimal(cents) / 100 if cents.isdigit() else None
        return outcome

    def response(self, query_string: str) -> Outcome:
        return self._outcome(self.backend().response(normalise_answer(query_string)))

    def status(self, transaction) -> Outcome:
        """Ask PayFiP's web service (P5 young: pending; P5 after 2 hours or P1: expired)."""
        response = self.backend().backend.payment_status(
            transaction_id=transaction.transaction_id, transaction_date=transaction.created_at
        )
        return self._outcome(response)
