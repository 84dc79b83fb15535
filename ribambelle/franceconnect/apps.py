from django.apps import AppConfig


class FranceConnectConfig(AppConfig):
    name = "ribambelle.franceconnect"
    label = "franceconnect"
