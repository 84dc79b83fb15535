from django.apps import AppConfig


class CustodyConfig(AppConfig):
    name = "ribambelle.custody"
    label = "custody"
    verbose_name = "Parents séparés"
