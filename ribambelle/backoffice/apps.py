from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "ribambelle.backoffice"
    label = "backoffice"
