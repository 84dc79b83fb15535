from django.apps import AppConfig


class FamiliesConfig(AppConfig):
    name = "ribambelle.families"
    label = "families"
