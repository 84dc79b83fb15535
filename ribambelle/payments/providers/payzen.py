"""PayZen / SystemPay (Lyra): card payments for associations and private organisers.
eopayment verifies the HMAC signature of each answer with the shop's key."""

from django.utils.translation import gettext_lazy as _

from .base import Provider


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
