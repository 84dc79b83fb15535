"""The yearly renewal ("Réinscrire pour l'année prochaine"): what one confirmation created.

The registrations themselves are ordinary ones (requested or accepted per activity); these rows
only remember which were renewals, from which registration, for the receipt and the staff filter."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel


class Renewal(TenantModel):
    """One confirmation by a family for the school year starting `school_year` (its 1 September)."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="renewals")
    school_year = models.DateField(_("année scolaire"))
    confirmed_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("réinscription")
        indexes = [models.Index(fields=["organisation", "family", "school_year"])]

    def __str__(self) -> str:
        return f"{self.family} {self.school_year:%Y}"


class RenewedRegistration(TenantModel):
    """A registration made by a renewal, and the current-year registration it continues."""

    renewal = models.ForeignKey(Renewal, on_delete=models.CASCADE, related_name="items")
    registration = models.ForeignKey("registrations.Registration", on_delete=models.CASCADE, related_name="+")
    previous = models.ForeignKey(
        "registrations.Registration", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("inscription renouvelée")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "registration"], name="renewed_registration_once"),
        ]

    def __str__(self) -> str:
        return str(self.registration_id)
