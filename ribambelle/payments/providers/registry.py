"""The registry of online payment providers: one module per provider, found by its kind."""

from .base import Provider
from .dummy import DummyProvider
from .payfip import PayFiPProvider
from .payzen import PayzenProvider

PROVIDERS: dict[str, type[Provider]] = {p.kind: p for p in (PayFiPProvider, PayzenProvider, DummyProvider)}


def provider_class(kind: str) -> type[Provider] | None:
    return PROVIDERS.get(kind)


def choices() -> list[tuple[str, str]]:
    return [(kind, cls.label) for kind, cls in PROVIDERS.items()]
