"""PayFiP, the DGFiP's card and direct-debit payment service for public bodies (communes,
EPCI, syndicats), through its web service (eopayment's "payfip_ws" backend): the payment is
opened server-to-server (an "idop"), and every answer is confirmed by asking PayFiP for the
idop's real status, so a forged return or notification cannot mark an invoice paid."""

import secrets

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .base import Provider


class PayFiPProvider(Provider):
    kind = "payfip"
    label = _("PayFiP (DGFiP) – collectivités")
    eopayment_kind = "payfip_ws"
    public_bodies = True
    options = [
        ("numcli", _("Numéro client PayFiP (6 chiffres)"), False),
        ("saisie", _("Mode (T : test, X : production, W : activation)"), False),
    ]

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
