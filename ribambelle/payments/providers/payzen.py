"""PayZen / SystemPay (Lyra): card payments for associations and private organisers.
eopayment verifies the HMAC signature of each answer with the shop's key."""

from .base import Provider


class PayzenProvider(Provider):
    kind = "payzen"
    label = "PayZen / SystemPay – associations"
    eopayment_kind = "payzen"
    options = [
        ("vads_site_id", "Identifiant de la boutique", False),
        ("secret_test", "Clé de test", True),
        ("secret_production", "Clé de production", True),
        ("vads_ctx_mode", "Mode (TEST ou PRODUCTION)", False),
    ]
