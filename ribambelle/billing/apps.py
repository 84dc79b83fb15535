from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "ribambelle.billing"
    verbose_name = "Facturation"

    def ready(self):
        from ribambelle.outbox import enclosures

        from .pdf import invoice_enclosure, receipt_enclosure

        enclosures.register("invoice_pdf", invoice_enclosure)
        enclosures.register("receipt_pdf", receipt_enclosure)
