"""Online payment: which provider an organisation uses, and each attempt to pay."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel


class ProviderConfig(TenantModel):
    """An organisation's online payment provider (one enabled at a time) and its options."""

    kind = models.CharField(_("prestataire"), max_length=20)
    is_enabled = models.BooleanField(_("activé"), default=True)
    options = models.JSONField(_("paramètres"), default=dict, blank=True)

    class Meta:
        verbose_name = _("paiement en ligne")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "kind"], name="provider_unique_kind"),
            models.UniqueConstraint(
                fields=["organisation"], condition=models.Q(is_enabled=True), name="provider_one_enabled"
            ),
        ]

    def __str__(self) -> str:
        return self.kind


class TransactionStatus(models.TextChoices):
    PENDING = "pending", _("En cours")
    PAID = "paid", _("Payé")
    REFUSED = "refused", _("Refusé")
    CANCELLED = "cancelled", _("Annulé")


class OnlineTransaction(TenantModel):
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, related_name="+")
    provider = models.CharField(max_length=20)
    transaction_id = models.CharField(max_length=64)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    status = models.CharField(max_length=10, choices=TransactionStatus.choices, default=TransactionStatus.PENDING)
    bank_data = models.JSONField(default=dict, blank=True)
    payment = models.ForeignKey("billing.Payment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "provider", "transaction_id"], name="transaction_unique")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.transaction_id}"
