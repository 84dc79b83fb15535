from django.apps import AppConfig


class CrecheConfig(AppConfig):
    name = "ribambelle.creche"
    verbose_name = "Crèche (PSU)"
