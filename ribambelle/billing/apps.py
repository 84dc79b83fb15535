from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ribambelle.billing"
    verbose_name = "Facturation"
