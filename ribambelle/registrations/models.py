from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel


class RegistrationStatus(models.TextChoices):
    REQUESTED = "requested", _("Demande en attente de validation")
    ACCEPTED = "accepted", _("Inscrit")
    REFUSED = "refused", _("Refusée")
    CANCELLED = "cancelled", _("Annulée")
    WITHDRAWN = "withdrawn", _("Demande retirée")


ACTIVE_STATUSES = (RegistrationStatus.REQUESTED, RegistrationStatus.ACCEPTED)


class RefusalReason(models.TextChoices):
    MISSING_DOCUMENTS = "missing_documents", _("Dossier incomplet / pièces manquantes")
    UNPAID = "unpaid", _("Factures impayées")
    FULL = "full", _("Complet")
    OTHER = "other", _("Autre")


class Registration(TenantModel):
    """A child admitted (or asking to be) to an activity, in a group."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="registrations")
    child = models.ForeignKey(
        "families.Person", on_delete=models.CASCADE, related_name="registrations", verbose_name=_("enfant")
    )
    activity = models.ForeignKey(
        "activities.Activity", on_delete=models.PROTECT, related_name="registrations", verbose_name=_("activité")
    )
    group = models.ForeignKey(
        "activities.Group", on_delete=models.PROTECT, related_name="registrations", verbose_name=_("groupe")
    )
    status = models.CharField(_("statut"), max_length=10, choices=RegistrationStatus.choices)
    refusal_reason = models.CharField(_("motif"), max_length=20, choices=RefusalReason.choices, blank=True)
    refusal_text = models.TextField(_("précisions"), blank=True)
    requested_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("inscription")
        constraints = [
            # A child registers once per activity (a refused or withdrawn request may be made again).
            models.UniqueConstraint(
                fields=["organisation", "child", "activity"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="registration_once_per_activity",
                violation_error_message=_("Cet enfant est déjà inscrit (ou en attente) pour cette activité."),
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "activity", "status", "created_at"]),
            models.Index(fields=["organisation", "family", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.child} – {self.activity}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def refusal_label(self) -> str:
        parts = [self.get_refusal_reason_display()] if self.refusal_reason else []
        if self.refusal_text:
            parts.append(self.refusal_text)
        return " – ".join(parts)
