"""Absences reported by families ("Signaler une absence") and the organisation's rule that decides
whether a reported absence is charged.

A report is made on a booked day. Before the booking deadline it is a plain cancellation (no
report is kept); after it, the booking stays and this report records the reason, when it was made,
the cut-off that was missed and, possibly, a certificate (sent with the report or within the
rule's N days after the day). Files are stored under generated names through the storage API and
served only by views that check the requester (CONVENTIONS rule 11).
"""

import uuid
from datetime import timedelta

from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel


class AbsenceReason(models.TextChoices):
    ILLNESS = "illness", _("Maladie")
    FAMILY = "family", _("Raison familiale")
    OTHER = "other", _("Autre")


class AbsenceRule(TenantModel):
    """How reported absences after the deadline are charged (one per organisation; CONVENTIONS 12).
    Late cancellations follow billing's own setting (BillingSettings.charge_late_cancellations),
    edited on the same page."""

    certificate_days = models.PositiveSmallIntegerField(
        _("délai pour fournir un certificat (jours après le jour d'absence)"),
        default=3,
        validators=[MaxValueValidator(60)],
    )
    charge_justified = models.BooleanField(
        _("facturer une absence signalée justifiée (certificat dans le délai)"), default=False
    )
    charge_unjustified = models.BooleanField(
        _("facturer une absence signalée après le délai sans justificatif"), default=True
    )

    class Meta:
        verbose_name = _("règle des absences")
        constraints = [models.UniqueConstraint(fields=["organisation"], name="absence_rule_one_per_org")]

    def __str__(self) -> str:
        return f"Règle des absences ({self.organisation_id})"


def certificate_path(instance, filename: str) -> str:
    # Never the uploader's name: a random one, under the organisation's folder.
    return f"absences/{instance.organisation_id}/{uuid.uuid4().hex}.{instance.certificate_extension or 'bin'}"


class AbsenceReport(TenantModel):
    """An absence reported after the booking deadline: the day stays booked ("absence signalée")."""

    booking = models.OneToOneField("bookings.Booking", on_delete=models.CASCADE, related_name="absence_report")
    # Carried like organisation (checked equal to the booking's by the service): a family's
    # reports are looked up by (organisation, family, id) without a join.
    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("motif"), max_length=10, choices=AbsenceReason.choices)
    reported_at = models.DateTimeField(_("signalée le"))
    cutoff = models.DateTimeField(_("délai d'annulation"))
    reported_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    certificate = models.FileField(_("certificat"), upload_to=certificate_path, max_length=200, blank=True)
    certificate_content_type = models.CharField(max_length=40, blank=True)
    certificate_extension = models.CharField(max_length=5, blank=True)
    certificate_added_at = models.DateTimeField(_("certificat reçu le"), null=True, blank=True)
    justified_at = models.DateTimeField(_("justifiée par le personnel le"), null=True, blank=True)
    justified_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name = _("absence signalée")
        indexes = [models.Index(fields=["organisation", "family"])]

    def __str__(self) -> str:
        return f"Absence signalée {self.booking_id}"

    def certificate_due(self, rule: AbsenceRule):
        """The last day a certificate is accepted (inclusive)."""
        return self.booking.date + timedelta(days=rule.certificate_days)

    def certificate_in_time(self, rule: AbsenceRule, *, tz) -> bool:
        if self.certificate_added_at is None:
            return False
        return self.certificate_added_at.astimezone(tz).date() <= self.certificate_due(rule)

    def is_justified(self, rule: AbsenceRule, *, tz) -> bool:
        return self.justified_at is not None or self.certificate_in_time(rule, tz=tz)
