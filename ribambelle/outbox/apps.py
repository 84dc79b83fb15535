from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """The e-mail outbox, at the bottom of the layers: any app may queue an e-mail
    without depending on the communication features (news, messages, mass mailing)."""

    name = "ribambelle.outbox"
    label = "outbox"
