"""PayZen / SystemPay (Lyra): card payments for associations and private organisers.
eopayment verifies the signature of each answer with the shop's key; the amount paid
(vads_amount, in cents) must be the one asked."""

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .base import Outcome, Provider


class PayzenProvider(Provider):
    kind = "payzen"
    label = _("PayZen / SystemPay – associations")
    eopayment_kind = "payzen"
    options = [
        ("vads_site_id", _("Identifiant de la boutique"), False),
        ("secret_test", _("Clé de test"), True),
        ("secret_production", _("Clé de production"), True),
        ("vads_ctx_mode", _("Mode (TEST ou PRODUCTION)"), False),
    ]

    def backend_options(self) -> dict:
        options = super().backend_options()
        options["service_url"] = settings.PAYZEN_SERVICE_URL
        options["signature_algo"] = "hmac_sha256"  # what PayZen's back office issues keys for
        return options

    def response(self, query_string: str) -> Outcome:
        outcome = super().response(query_string)
        cents = outcome.bank_data.get("vads_amount", "")
        outcome.amount = Decimal(cents) / 100 if cents.isdigit() else None
        return outcome
