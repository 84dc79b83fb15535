from django.apps import AppConfig


class FamiliesConfig(AppConfig):
    name = "ribambelle.families"
    label = "families"

    def ready(self):
        from ribambelle.accounts.consent import health_consent_withdrawn

        from . import receivers

        health_consent_withdrawn.connect(receivers.erase_health_on_withdrawal, dispatch_uid="families_erase_health")
