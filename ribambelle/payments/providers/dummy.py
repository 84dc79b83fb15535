"""eopayment's dummy backend, for the demo and the tests. Its bank is simulated by our own
page (payments.views.simulated_bank) instead of Entr'ouvert's site, and since the dummy
protocol signs nothing, that page signs its answers with an HMAC of the organisation's
key: a notification without a valid signature is treated as forged."""

import hashlib
import hmac
from decimal import Decimal
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .base import CANCELLED, PAID, REFUSED, Outcome, Provider


def _key(organisation_id: int) -> bytes:
    return hashlib.sha256(f"dummy-bank:{organisation_id}:{settings.SECRET_KEY}".encode()).digest()


def sign(organisation_id: int, transaction_id: str, amount: str, result: str) -> str:
    message = f"{transaction_id}|{amount}|{result}".encode()
    return hmac.new(_key(organisation_id), message, hashlib.sha256).hexdigest()


class DummyProvider(Provider):
    kind = "dummy"
    label = _("Paiement de démonstration (aucun argent réel)")
    eopayment_kind = "dummy"
    options = [("origin", _("Nom affiché sur la page de paiement"), False)]

    bank_url = ""  # set by the service: our simulated bank page

    def backend_options(self) -> dict:
        options = super().backend_options()
        options["origin"] = options.get("origin") or "Ribambelle"
        return options

    def request_kwargs(self, *, amount, email, orderid, subject):
        return {"amount": str(amount), "email": email, "orderid": orderid, "subject": subject}

    def request(self, *, amount, email, orderid, subject):
        transaction_id, kind, url = super().request(amount=amount, email=email, orderid=orderid, subject=subject)
        return transaction_id, kind, f"{self.bank_url}?{urlsplit(url).query}"

    def response(self, query_string: str) -> Outcome:
        outcome = super().response(query_string)
        form = {k: v[0] for k, v in parse_qs(query_string).items()}
        result = "ok" if "ok" in form else form.get("result", "refused")
        expected = sign(self.config.organisation_id, outcome.transaction_id, form.get("amount", ""), result)
        outcome.signed = hmac.compare_digest(expected, form.get("signature", ""))
        outcome.result = {"ok": PAID, "cancelled": CANCELLED}.get(result, REFUSED)
        try:
            outcome.amount = Decimal(form.get("amount", ""))
        except ArithmeticError:
            outcome.amount = None
        return outcome


def signed_answer(organisation_id: int, transaction_id: str, amount: str, result: str) -> str:
    """The query string the simulated bank sends back (result: ok, refused or cancelled)."""
    params = {"transaction_id": transaction_id, "amount": amount, "result": result, "signed": "1"}
    if result == "ok":
        params["ok"] = "1"
    params["signature"] = sign(organisation_id, transaction_id, amount, result)
    return urlencode(params)
