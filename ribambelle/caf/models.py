"""CAF activity reporting: the settings that say how attendance becomes declared hours
(reference caf-psu-qf.md, section A), and the frozen reports kept for the annual declaration."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel

HOURS = {"max_digits": 5, "decimal_places": 2}


class CareType(models.TextChoices):
    """The accueil types the CAF funds separately (prestation de service ordinaire)."""

    PERISCOLAIRE = "periscolaire", _("Périscolaire")
    MERCREDI = "mercredi", _("Mercredi")
    EXTRASCOLAIRE = "extrascolaire", _("Extrascolaire")
    ADOS = "ados", _("Accueil ados")
    NOT_DECLARED = "none", _("Non déclaré à la CAF")


class Rounding(models.IntegerChoices):
    NONE = 0, _("Pas d'arrondi")
    QUARTER = 15, _("Au quart d'heure supérieur")
    HALF = 30, _("À la demi-heure supérieure")
    HOUR = 60, _("À l'heure supérieure")


class CafSettings(TenantModel):
    """The organisation's reporting choices (CONVENTIONS rule 12: in the database)."""

    age_bounds = models.CharField(
        _("âges de coupure (ans)"),
        max_length=40,
        default="6",
        help_text=_("Séparés par des virgules, par exemple « 6 » (moins de 6 ans / 6 ans et plus) ou « 6, 12 »."),
    )

    class Meta:
        verbose_name = _("réglages du bilan CAF")
        constraints = [models.UniqueConstraint(fields=["organisation"], name="caf_settings_one_per_org")]

    def __str__(self) -> str:
        return f"Réglages CAF ({self.organisation_id})"


class StructureCafIdentifiers(TenantModel):
    """What the CAF knows a structure by, printed at the head of its report."""

    structure = models.ForeignKey("tenancy.Structure", on_delete=models.CASCADE, related_name="+")
    caf_number = models.CharField(_("numéro de dossier CAF de la structure"), max_length=40, blank=True)
    agreement_number = models.CharField(_("numéro d'agrément (SDJES)"), max_length=40, blank=True)
    convention_number = models.CharField(_("numéro de convention de prestation de service"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("identifiants CAF d'une structure")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "structure"], name="caf_identifiers_one_per_structure")
        ]

    def __str__(self) -> str:
        return self.caf_number or str(self.structure_id)


class ActivityCafRule(TenantModel):
    """How an activity's attendance is counted: its accueil type, the caps of a child's day, rounding.

    Without a rule, the type follows the activity's kind (caf.counting.default_care_type) and
    nothing is capped or rounded."""

    activity = models.ForeignKey("activities.Activity", on_delete=models.CASCADE, related_name="+")
    care_type = models.CharField(_("type d'accueil"), max_length=15, choices=CareType.choices)
    daily_cap_hours = models.DecimalField(
        _("plafond d'heures par enfant et par jour"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(24)],
        help_text=_("Par exemple 4 pour une demi-journée. Vide : pas de plafond."),
        **HOURS,
    )
    wednesday_cap_hours = models.DecimalField(
        _("plafond du mercredi (heures)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(24)],
        help_text=_("Par exemple 9 pour une journée avec repas en période scolaire. Vide : pas de plafond."),
        **HOURS,
    )
    rounding = models.PositiveSmallIntegerField(
        _("arrondi des heures d'une journée"), choices=Rounding.choices, default=Rounding.NONE
    )

    class Meta:
        verbose_name = _("règle de comptage CAF")
        constraints = [models.UniqueConstraint(fields=["organisation", "activity"], name="caf_rule_one_per_activity")]

    def __str__(self) -> str:
        return f"{self.activity_id}: {self.care_type}"


class UnitHourEquivalent(TenantModel):
    """The hours a unit counts for, when not its time span (a meal, a unit without times)."""

    unit = models.ForeignKey("activities.Unit", on_delete=models.CASCADE, related_name="+")
    hours = models.DecimalField(_("heures"), validators=[MinValueValidator(0), MaxValueValidator(24)], **HOURS)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "unit"], name="unit_hours_one_per_unit")]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.hours} h"


class CafSnapshot(TenantModel):
    """A frozen report: its figures as computed when frozen, never changed afterwards.

    Later corrections of attendance show as differences against these figures."""

    structure = models.ForeignKey(
        "tenancy.Structure", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period_start = models.DateField(_("du"))
    period_end = models.DateField(_("au"))
    label = models.CharField(_("libellé"), max_length=120, blank=True)
    figures = models.JSONField(default=dict, editable=False)
    frozen_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    frozen_by_name = models.CharField(max_length=250, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("bilan CAF figé")

    def __str__(self) -> str:
        return self.label or f"{self.period_start:%d/%m/%Y} – {self.period_end:%d/%m/%Y}"
