"""The registry of online payment providers: one module per provider, found by its kind.
Only the kinds listed in settings.PAYMENT_PROVIDERS are offered (production never lists the
demo provider)."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .base import Provider
from .dummy import DummyProvider
from .payfip import PayFiPProvider
from .payzen import PayzenProvider

ALL_PROVIDERS: dict[str, type[Provider]] = {p.kind: p for p in (PayFiPProvider, PayzenProvider, DummyProvider)}


def offered() -> dict[str, type[Provider]]:
    """The providers this installation offers (read from the settings at each call)."""
    allowed = set(settings.PAYMENT_PROVIDERS)
    return {kind: cls for kind, cls in ALL_PROVIDERS.items() if kind in allowed}


def provider_class(kind: str) -> type[Provider] | None:
    return offered().get(kind)


def choices() -> list[tuple[str, str]]:
    return [("", _("Pas de paiement en ligne"))] + [(kind, cls.label) for kind, cls in offered().items()]


def callback_urls(organisation, kind: str, *, base_url: str) -> dict[str, str]:
    """The addresses to declare to the provider: its notification (server-to-server) and the
    family's return."""
    from django.urls import reverse

    kwargs = {"org_slug": organisation.slug, "provider": kind}
    return {
        "notification": base_url + reverse("portail:payment_notify", kwargs=kwargs),
        "return": base_url + reverse("portail:payment_return", kwargs=kwargs),
    }
