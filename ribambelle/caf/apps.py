from django.apps import AppConfig


class CafConfig(AppConfig):
    name = "ribambelle.caf"
    label = "caf"
