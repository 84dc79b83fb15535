from datetime import date, time

from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel

WEEKDAY_NAMES = [_("Lundi"), _("Mardi"), _("Mercredi"), _("Jeudi"), _("Vendredi"), _("Samedi"), _("Dimanche")]


class ActivityKind(models.TextChoices):
    VACANCES = "vacances", _("Vacances")
    MERCREDIS = "mercredis", _("Mercredis")
    PERISCOLAIRE = "periscolaire", _("Périscolaire")
    RESTAURATION = "restauration", _("Restauration")
    SEJOUR = "sejour", _("Séjour")
    STAGE = "stage", _("Stage")
    MULTI_ACCUEIL = "multi_accueil", _("Multi-accueil")


class ValidationMode(models.TextChoices):
    AUTOMATIC = "automatic", _("Acceptée immédiatement")
    MANUAL = "manual", _("Demande validée par le service")


class Activity(TenantModel):
    """Something families register to: a kind, a structure, a period, week days, a window."""

    structure = models.ForeignKey(
        "tenancy.Structure", on_delete=models.PROTECT, related_name="activities", verbose_name=_("structure")
    )
    sector = models.ForeignKey(
        "tenancy.Sector",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("secteur"),
        help_text=_("Par défaut, celui de la structure."),
    )
    kind = models.CharField(_("type"), max_length=20, choices=ActivityKind.choices)
    name = models.CharField(_("nom"), max_length=200)
    description = models.TextField(_("informations pour les familles"), blank=True)
    start_date = models.DateField(_("du"))
    end_date = models.DateField(_("au"))
    # Bit i set = open on weekday i (0 = Monday), as date.weekday() counts.
    weekdays = models.PositiveSmallIntegerField(_("jours de la semaine"), default=0b0011111)
    registration_opens_at = models.DateTimeField(_("ouverture des inscriptions"))
    registration_closes_at = models.DateTimeField(_("clôture des inscriptions"), null=True, blank=True)
    validation_mode = models.CharField(
        _("validation des inscriptions"),
        max_length=10,
        choices=ValidationMode.choices,
        default=ValidationMode.AUTOMATIC,
    )
    staff_only = models.BooleanField(
        _("inscription par la structure uniquement"),
        default=False,
        help_text=_(
            "Par exemple le multi-accueil : les familles ne demandent pas l'inscription, la structure la fait."
        ),
    )
    age_reference_date = models.DateField(
        _("date de référence pour l'âge"),
        null=True,
        blank=True,
        help_text=_("Par défaut, le premier jour de l'activité."),
    )
    # Booking deadline ("délai de prévenance"): e.g. 2 working days before, at 12:00.
    deadline_days = models.PositiveSmallIntegerField(_("délai de prévenance (jours)"), default=2)
    deadline_time = models.TimeField(_("heure limite"), default=time(12, 0))
    deadline_working_days = models.BooleanField(
        _("ne compter que les jours ouvrés"),
        default=True,
        help_text=_("Les week-ends et jours fériés ne comptent pas."),
    )
    is_published = models.BooleanField(_("visible des familles"), default=True)
    # Set by duplicate_activity: the same activity of an earlier period, so the renewal for next
    # year finds each registration's exact equivalent instead of guessing it from a name.
    previous_activity = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="next_activities",
        verbose_name=_("dupliquée de"),
    )

    class Meta:
        ordering = ["start_date", "name", "id"]
        verbose_name = _("activité")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__lte=models.F("end_date")),
                name="activity_period_ordered",
                violation_error_message=_("La date de fin doit suivre la date de début."),
            ),
        ]
        indexes = [models.Index(fields=["organisation", "start_date"])]

    def __str__(self) -> str:
        return self.name

    @property
    def weekday_list(self) -> list[int]:
        return [day for day in range(7) if self.weekdays & (1 << day)]

    @property
    def weekdays_label(self) -> str:
        return ", ".join(str(WEEKDAY_NAMES[day]) for day in self.weekday_list)

    @property
    def reference_date(self) -> date:
        return self.age_reference_date or self.start_date


class Group(TenantModel):
    """An age group of an activity ("PRIM 8-10 ans") with its own capacity."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(_("nom"), max_length=100)
    # Inclusive bounds, in months of age on the activity's reference date.
    age_min_months = models.PositiveSmallIntegerField(_("âge minimum (mois)"))
    age_max_months = models.PositiveSmallIntegerField(_("âge maximum (mois)"))
    default_capacity = models.PositiveIntegerField(_("places par jour"), default=20)
    registration_limit = models.PositiveIntegerField(
        _("nombre maximum d'inscrits"),
        null=True,
        blank=True,
        help_text=_("Laisser vide pour ne pas limiter les inscriptions (les places se comptent par jour)."),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "age_min_months", "name"]
        verbose_name = _("groupe")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "activity", "name"],
                name="group_unique_name",
                violation_error_message=_("Un groupe porte déjà ce nom dans cette activité."),
            ),
            models.CheckConstraint(
                condition=models.Q(age_min_months__lte=models.F("age_max_months")),
                name="group_age_range_ordered",
                violation_error_message=_("L'âge maximum doit suivre l'âge minimum."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def admits(self, age_months: int) -> bool:
        return self.age_min_months <= age_months <= self.age_max_months


class Unit(TenantModel):
    """What is booked on a day: "Journée 07:30 – 18:30", "Matin", "Repas"."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(_("nom"), max_length=100)
    start_time = models.TimeField(_("début"), null=True, blank=True)
    end_time = models.TimeField(_("fin"), null=True, blank=True)
    excludes = models.ManyToManyField(
        "self",
        through="UnitExclusion",
        symmetrical=False,
        blank=True,
        related_name="+",
        verbose_name=_("incompatible avec"),
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "start_time", "name"]
        verbose_name = _("unité")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "activity", "name"],
                name="unit_unique_name",
                violation_error_message=_("Une unité porte déjà ce nom dans cette activité."),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.start_time and self.end_time:
            return f"{self.name} {self.start_time:%H:%M} – {self.end_time:%H:%M}"
        return self.name


class UnitExclusion(TenantModel):
    """Two units that cannot be booked on the same day (e.g. "Journée" and "Matin")."""

    from_unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    to_unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "from_unit", "to_unit"], name="unit_exclusion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.from_unit} ≠ {self.to_unit}"


class Opening(TenantModel):
    """One day on which a unit of an activity is open for a group, with its places.

    Bookings lock this row to count places (CONVENTIONS.md rule 4).
    """

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="openings")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="openings")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="openings")
    date = models.DateField(_("jour"))
    capacity = models.PositiveIntegerField(_("places"))
    is_closed = models.BooleanField(_("fermé"), default=False)

    class Meta:
        ordering = ["date", "unit__position", "group__position"]
        verbose_name = _("ouverture")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "unit", "group", "date"], name="opening_unique_day"),
        ]
        indexes = [models.Index(fields=["organisation", "activity", "date"])]

    def __str__(self) -> str:
        return f"{self.unit} {self.group} {self.date:%d/%m/%Y}"


class ClosureDay(TenantModel):
    """A day the activity is closed within its period (bridge day, staff training…)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="closure_days")
    date = models.DateField(_("jour"))
    reason = models.CharField(_("motif"), max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["organisation", "activity", "date"], name="closure_unique")]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.reason}"
