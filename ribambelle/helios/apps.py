from django.apps import AppConfig


class HeliosConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ribambelle.helios"
    verbose_name = "Hélios (PES V2)"
