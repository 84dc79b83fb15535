from django.apps import AppConfig


class AllocationConfig(AppConfig):
    name = "ribambelle.allocation"
    label = "allocation"
    verbose_name = "Attribution des places"
