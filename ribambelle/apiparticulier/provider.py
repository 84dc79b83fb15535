"""The organisation's quotient provider: the API Particulier client built from its settings (the
real service or the local double, by its base URL)."""

from django.utils.translation import gettext as _

from ribambelle.core import crypto

from . import selectors
from .client import ApiParticulierClient, Misconfigured


def default_url() -> str:
    from django.conf import settings

    return settings.API_PARTICULIER_DEFAULT_URL


def client_for(organisation) -> ApiParticulierClient:
    """The organisation's client; Misconfigured when the service is off or incomplete."""
    config = selectors.settings_for(organisation)
    if config is None or not config.enabled:
        raise Misconfigured(message=_("La lecture du quotient auprès de la CAF / MSA n'est pas activée."))
    return ApiParticulierClient(
        base_url=config.base_url, token=crypto.decrypt(config.token_encrypted), recipient=config.siret
    )
