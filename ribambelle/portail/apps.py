from django.apps import AppConfig


class PortailConfig(AppConfig):
    name = "ribambelle.portail"
    label = "portail"
