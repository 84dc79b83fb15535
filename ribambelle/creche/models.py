"""Crèche (multi-accueil) under the CAF's PSU: the dated national scale, contracts and their
frozen versions, attendance with times, deductible absences (reference caf-psu-qf.md, B and 2.B)."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel

MONEY = {"max_digits": 10, "decimal_places": 2}
RATE = {"max_digits": 7, "decimal_places": 4}  # a rate of effort in percent: 0.0516 (%)
HOURLY = {"max_digits": 9, "decimal_places": 4}  # €/h kept unrounded: 1.806 (worked example)
HOURS = {"max_digits": 7, "decimal_places": 2}
ZERO = Decimal("0")


class CareType(models.TextChoices):
    COLLECTIVE = "collective", _("Accueil collectif ou micro-crèche")
    FAMILY = "family", _("Accueil familial ou parental")


# The scale's brackets of dependent children: 1, 2, 3, 4 to 7, 8 and more.
BRACKETS = ("1", "2", "3", "4_7", "8")


class PsuScale(TenantModel):
    """The national PSU scale in force from a date: resource floor and ceiling, and the hourly
    rate of effort by type of care and number of dependent children. Dated rows: the row in force
    on a day is the last one starting on or before it."""

    valid_from = models.DateField(_("en vigueur à partir du"))
    floor = models.DecimalField(_("plancher de ressources mensuelles"), validators=[MinValueValidator(0)], **MONEY)
    ceiling = models.DecimalField(_("plafond de ressources mensuelles"), validators=[MinValueValidator(0)], **MONEY)
    collective_1 = models.DecimalField(_("collectif, 1 enfant (%)"), **RATE)
    collective_2 = models.DecimalField(_("collectif, 2 enfants (%)"), **RATE)
    collective_3 = models.DecimalField(_("collectif, 3 enfants (%)"), **RATE)
    collective_4_7 = models.DecimalField(_("collectif, 4 à 7 enfants (%)"), **RATE)
    collective_8 = models.DecimalField(_("collectif, 8 enfants et plus (%)"), **RATE)
    family_1 = models.DecimalField(_("familial/parental, 1 enfant (%)"), **RATE)
    family_2 = models.DecimalField(_("familial/parental, 2 enfants (%)"), **RATE)
    family_3 = models.DecimalField(_("familial/parental, 3 enfants (%)"), **RATE)
    family_4_7 = models.DecimalField(_("familial/parental, 4 à 7 enfants (%)"), **RATE)
    family_8 = models.DecimalField(_("familial/parental, 8 enfants et plus (%)"), **RATE)
    to_check = models.BooleanField(
        _("valeurs à vérifier"), default=False, help_text=_("Cochez tant qu'une valeur n'est pas confirmée par la CAF.")
    )
    note = models.TextField(_("sources et remarques"), blank=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("barème PSU")
        constraints = [models.UniqueConstraint(fields=["organisation", "valid_from"], name="psu_scale_one_per_date")]

    def __str__(self) -> str:
        return f"Barème PSU du {self.valid_from:%d/%m/%Y}"

    def rate(self, care_type: str, children: int) -> Decimal:
        """The rate of effort (in %) for `children` dependent children (AEEH already added)."""
        index = 0 if children <= 1 else 1 if children == 2 else 2 if children == 3 else 3 if children <= 7 else 4
        prefix = "family" if care_type == CareType.FAMILY else "collective"
        return getattr(self, f"{prefix}_{BRACKETS[index]}")


class CrecheSettings(TenantModel):
    """A multi-accueil's own rules: how attended time is rounded, the illness waiting days."""

    structure = models.ForeignKey("tenancy.Structure", on_delete=models.CASCADE, related_name="+")
    rounding_minutes = models.PositiveSmallIntegerField(
        _("arrondi du temps de présence"),
        choices=[(0, _("Pas d'arrondi")), (15, _("Au quart d'heure commencé")), (30, _("À la demi-heure commencée"))],
        default=30,
    )
    illness_waiting_days = models.PositiveSmallIntegerField(_("jours de carence maladie"), default=3)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "structure"], name="creche_settings_one")]

    def __str__(self) -> str:
        return f"Réglages crèche {self.structure_id}"


class ContractKind(models.TextChoices):
    REGULAR = "regular", _("Accueil régulier (mensualisé)")
    OCCASIONAL = "occasional", _("Accueil occasionnel (heures de présence)")


class Contract(TenantModel):
    """A child's place in a multi-accueil. What it says (schedule, resources, rate) lives on its
    versions: an amendment adds a version from a date, the earlier ones are kept."""

    family = models.ForeignKey("families.Family", on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey("families.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("enfant"))
    activity = models.ForeignKey(
        "activities.Activity", on_delete=models.PROTECT, related_name="+", verbose_name=_("multi-accueil")
    )
    kind = models.CharField(_("type d'accueil"), max_length=12, choices=ContractKind.choices)
    care_type = models.CharField(
        _("mode de garde"), max_length=12, choices=CareType.choices, default=CareType.COLLECTIVE
    )
    start_date = models.DateField(_("début"))
    end_date = models.DateField(_("fin"))
    allocataire_number = models.CharField(_("n° d'allocataire CAF"), max_length=20, blank=True)
    filoue_consent = models.BooleanField(
        _("la famille accepte la transmission anonymisée à la CNAF (Filoué)"), default=False
    )

    class Meta:
        ordering = ["-start_date", "id"]
        verbose_name = _("contrat d'accueil")

    def __str__(self) -> str:
        return f"Contrat {self.pk}"


class ResourceSource(models.TextChoices):
    CDAP = "cdap", _("CDAP (consultation des données allocataires)")
    API = "api", _("API Particulier (EAJE)")
    MANUAL = "manual", _("Avis d'imposition (saisie manuelle)")


class ContractVersion(TenantModel):
    """What a contract says from `valid_from` on. The rate is computed once and frozen here with
    the scale used; a month billed later uses these inputs with the scale in force that month (the
    CAF applies a new ceiling to running contracts)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="versions")
    valid_from = models.DateField(_("à partir du"))
    # {"0": ["08:00", "17:00"], ...}: weekday (Monday 0) -> contracted slot.
    schedule = models.JSONField(_("planning hebdomadaire"), default=dict, blank=True)
    weekly_hours = models.DecimalField(_("heures par semaine"), default=ZERO, **HOURS)
    weeks_per_year = models.DecimalField(
        _("semaines d'accueil par an"), default=ZERO, validators=[MinValueValidator(0), MaxValueValidator(53)], **HOURS
    )
    months_billed = models.PositiveSmallIntegerField(
        _("nombre de mois facturés"), default=12, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    annual_resources = models.DecimalField(_("ressources annuelles"), validators=[MinValueValidator(0)], **MONEY)
    resources_source = models.CharField(_("source des ressources"), max_length=10, choices=ResourceSource.choices)
    resources_reference = models.CharField(_("référence (n° allocataire, année)"), max_length=100, blank=True)
    resources_date = models.DateField(_("ressources consultées le"), null=True, blank=True)
    dependent_children = models.PositiveSmallIntegerField(
        _("enfants à charge"), default=1, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    aeeh = models.BooleanField(_("un enfant bénéficie de l'AEEH"), default=False)
    scale = models.ForeignKey(PsuScale, on_delete=models.PROTECT, related_name="+", verbose_name=_("barème"))
    monthly_resources = models.DecimalField(_("ressources mensuelles retenues"), **MONEY)
    rate_percent = models.DecimalField(_("taux d'effort (%)"), **RATE)
    hourly_rate = models.DecimalField(_("tarif horaire"), **HOURLY)
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["contract_id", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "contract", "valid_from"], name="contract_version_one")
        ]

    def __str__(self) -> str:
        return f"Version du {self.valid_from:%d/%m/%Y}"

    @property
    def yearly_hours(self) -> Decimal:
        return self.weekly_hours * self.weeks_per_year


class CrecheDay(TenantModel):
    """A child's day at the crèche: arrival and departure, the hours counted (rounded by the
    structure's rule) and the hours beyond the contracted slot."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="days")
    child = models.ForeignKey("families.Person", on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("jour"))
    arrival = models.TimeField(_("arrivée"))
    departure = models.TimeField(_("départ"))
    attended_hours = models.DecimalField(_("heures de présence"), **HOURS)
    extra_hours = models.DecimalField(_("heures complémentaires"), default=ZERO, **HOURS)
    recorded_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["date", "id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "contract", "date"], name="creche_day_one")]

    def __str__(self) -> str:
        return f"{self.date} {self.arrival}-{self.departure}"


class AbsenceReason(models.TextChoices):
    CLOSURE = "closure", _("Fermeture de la crèche")
    HOSPITAL = "hospital", _("Hospitalisation de l'enfant")
    EXCLUSION = "exclusion", _("Éviction par le médecin de la crèche")
    ILLNESS = "illness", _("Maladie au-delà du délai de carence (certificat médical)")


class AbsenceStatus(models.TextChoices):
    REQUESTED = "requested", _("À examiner")
    ACCEPTED = "accepted", _("Déduite")
    REFUSED = "refused", _("Refusée")


def proof_path(instance, filename: str) -> str:
    return f"creche/{instance.organisation_id}/absences/{filename}"


class DeductibleAbsence(TenantModel):
    """A contracted day the family does not pay: reason and proof; deducted once staff accept it."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="absences")
    child = models.ForeignKey("families.Person", on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("jour d'absence"))
    hours = models.DecimalField(_("heures déduites"), **HOURS)
    reason = models.CharField(_("motif"), max_length=12, choices=AbsenceReason.choices)
    status = models.CharField(
        _("statut"), max_length=10, choices=AbsenceStatus.choices, default=AbsenceStatus.REQUESTED
    )
    proof = models.FileField(_("justificatif"), upload_to=proof_path, blank=True)
    proof_type = models.CharField(max_length=40, blank=True)
    reported_by_family = models.BooleanField(default=False)
    decided_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    refusal_reason = models.CharField(_("motif du refus"), max_length=200, blank=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [models.UniqueConstraint(fields=["organisation", "contract", "date"], name="creche_absence_one")]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class BilledMonth(TenantModel):
    """A contract's month as invoiced: the hours and rate behind its lines, for the CAF's yearly
    figures (hours billed, billing rate, contributions) to equal what the invoices say."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="billed_months")
    invoice = models.ForeignKey("billing.Invoice", on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    hourly_rate = models.DecimalField(**HOURLY)
    contracted_hours = models.DecimalField(default=ZERO, **HOURS)
    extra_hours = models.DecimalField(default=ZERO, **HOURS)
    deducted_hours = models.DecimalField(default=ZERO, **HOURS)
    attended_hours = models.DecimalField(default=ZERO, **HOURS)
    billed_hours = models.DecimalField(default=ZERO, **HOURS)
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["month", "id"]

    def __str__(self) -> str:
        return f"{self.contract_id} {self.month:%m/%Y}"
