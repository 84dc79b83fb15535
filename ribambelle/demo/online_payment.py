"""Demo: Pouilly (a public body, its money goes to the Trésor public) takes card payments
through PayFiP — in the demo, the local PayFiP double that `make run` starts
(`manage.py payment_doubles`, settings PAYFIP_WSDL_URL / PAYFIP_PAYMENT_URL)."""

from ribambelle.payments.models import ProviderConfig


def add_online_payment(pouilly) -> None:
    """PayFiP enabled in Pouilly (test mode, a made-up client number), unless staff chose otherwise."""
    if ProviderConfig.objects.filter(organisation=pouilly, is_enabled=True).exists():
        return
    config, _created = ProviderConfig.objects.get_or_create(
        organisation=pouilly, kind="payfip", defaults={"options": {"numcli": "123456", "saisie": "T"}}
    )
    if not config.is_enabled:
        config.is_enabled = True
        config.save(update_fields=["is_enabled", "updated_at"])
