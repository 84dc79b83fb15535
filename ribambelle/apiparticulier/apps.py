from django.apps import AppConfig


class ApiParticulierConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ribambelle.apiparticulier"
    verbose_name = "API Particulier (quotient familial CAF / MSA)"
