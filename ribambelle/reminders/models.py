"""Reminders before a booking deadline: the organisation's setting, a family's choice, the
browsers that accept push notifications, and the record of each reminder sent."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel


class ReminderSettings(TenantModel):
    """When the organisation reminds families of a deadline (CONVENTIONS rule 12: in the database)."""

    enabled = models.BooleanField(_("envoyer les rappels avant la date limite"), default=False)
    hours_before = models.PositiveSmallIntegerField(
        _("combien d'heures avant la date limite"),
        default=24,
        help_text=_("Par exemple 24 : le rappel part la veille de la date limite, à la même heure."),
    )
    weeks_observed = models.PositiveSmallIntegerField(
        _("semaines observées"), default=4, help_text=_("Les jours habituels se lisent sur ces dernières semaines.")
    )
    min_weeks = models.PositiveSmallIntegerField(
        _("jour habituel à partir de"),
        default=3,
        help_text=_("Nombre de semaines (parmi les semaines observées) où le jour a été réservé."),
    )
    digest_email = models.EmailField(
        _("e-mail du récapitulatif"),
        blank=True,
        help_text=_("Qui reçoit la liste des familles rappelées. Par défaut, l'e-mail de contact de l'organisation."),
    )

    class Meta:
        verbose_name = _("réglages des rappels")
        constraints = [models.UniqueConstraint(fields=["organisation"], name="reminder_settings_one_per_org")]

    def __str__(self) -> str:
        return f"Rappels – {self.organisation_id}"


class FamilyReminderPreference(TenantModel):
    """A family's choice; no row means the reminders are on (the default)."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(_("recevoir les rappels avant la date limite"), default=True)

    class Meta:
        verbose_name = _("choix de rappel d'une famille")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "family"], name="reminder_preference_one_per_family")
        ]

    def __str__(self) -> str:
        return f"{self.family_id}: {self.enabled}"


class PushSubscription(TenantModel):
    """A browser (an installed portal on a phone) that agreed to receive push notifications."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="push_subscriptions")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    endpoint = models.URLField(_("adresse du service de notification"), max_length=1000)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(_("appareil"), max_length=250, blank=True)

    class Meta:
        verbose_name = _("abonnement aux notifications")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "endpoint"], name="push_subscription_unique_endpoint")
        ]

    def __str__(self) -> str:
        return self.endpoint[:60]


class ReminderSent(TenantModel):
    """One reminder for one family and one deadline: the unique constraint makes it "never twice",
    whatever the number of sweeps running at once. `days` lists what it named, for the digest."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="+")
    deadline = models.DateTimeField(_("date limite"))
    days = models.JSONField(_("jours rappelés"), default=list)
    emails = models.PositiveSmallIntegerField(_("e-mails"), default=0)
    pushes = models.PositiveSmallIntegerField(_("notifications"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("rappel envoyé")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "family", "deadline"], name="reminder_once_per_deadline")
        ]

    def __str__(self) -> str:
        return f"{self.family_id} {self.deadline:%Y-%m-%d %H:%M}"
