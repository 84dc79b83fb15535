"""PayFiP (ex-TIPI), the DGFiP's card payment service for public bodies (communes,
EPCI, syndicats). The family pays the invoice's amount to the Trésor public; PayFiP calls
back with the result (eopayment checks the answer's origin and fields)."""

from .base import Provider


class PayFiPProvider(Provider):
    kind = "payfip"
    label = "PayFiP (DGFiP) – collectivités"
    eopayment_kind = "tipi"
    public_bodies = True
    options = [
        ("numcli", "Numéro client PayFiP (6 chiffres)", False),
        ("saisie", "Mode (T : test, X : production)", False),
    ]
