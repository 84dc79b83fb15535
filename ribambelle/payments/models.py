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
    # Where the family was sent to pay (a URL, or a form's address and fields): "Payer" clicked
    # again sends the family back there instead of opening a second payment.
    redirect = models.JSONField(default=dict, blank=True)
    # Last time the provider was asked for the state (PayFiP's web service).
    checked_at = models.DateTimeField(null=True, blank=True)
    # An answer we refused and staff must look at (e.g. an amount other than the one asked):
    # the transaction itself is left as it was.
    anomaly = models.CharField(_("anomalie"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "provider", "transaction_id"], name="transaction_unique"),
            # At most one payment under way per invoice: a second "Payer" reuses it.
            models.UniqueConstraint(
                fields=["organisation", "invoice"],
                condition=models.Q(status="pending"),
                name="transaction_one_pending_per_invoice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.transaction_id}"


class PaymentFormToken(TenantModel):
    """The one-time token of a payments desk form: the first submission records the payment,
    any other (double click, back and resubmit, two tabs) finds it here and records nothing."""

    token = models.UUIDField()
    payment = models.ForeignKey("billing.Payment", on_delete=models.CASCADE, null=True, blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "token"], name="payment_form_token_unique")]

    def __str__(self) -> str:
        return str(self.token)
