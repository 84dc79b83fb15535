from django.apps import AppConfig


class RenewalsConfig(AppConfig):
    name = "ribambelle.renewals"
    label = "renewals"
