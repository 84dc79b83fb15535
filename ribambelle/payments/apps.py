from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ribambelle.payments"
    verbose_name = "Paiement en ligne"
