"""Separated parents: the two households of one family file, the logins attached to each,
and the custody arrangement (from a date, history kept) that decides who pays each day."""

from datetime import date
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ribambelle.core.models import TenantModel
from ribambelle.families.models import PayerCivility, phone_validator


class Household(TenantModel):
    """One parent's home: the adults living there, the address and contacts, the payer's
    identity as printed on this household's invoices. Position 1 is the first payer (it takes
    the rounding remainder of a percentage split and the days before any arrangement)."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="households")
    position = models.PositiveSmallIntegerField(_("foyer n°"), validators=[MinValueValidator(1), MaxValueValidator(2)])
    label = models.CharField(_("nom du foyer"), max_length=120, help_text=_("Par exemple « Foyer de la mère »."))
    adults = models.ManyToManyField(
        "families.Person", through="HouseholdAdult", blank=True, related_name="+", verbose_name=_("responsables")
    )
    address_line = models.CharField(_("adresse"), max_length=200, blank=True)
    address_line_2 = models.CharField(_("complément d'adresse"), max_length=200, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("commune"), max_length=120, blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, validators=[phone_validator], blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    payer_civility = models.CharField(_("civilité du payeur"), max_length=3, choices=PayerCivility.choices, blank=True)
    payer_last_name = models.CharField(_("nom du payeur"), max_length=120, blank=True)
    payer_first_name = models.CharField(_("prénom du payeur"), max_length=120, blank=True)
    contacts_visible = models.BooleanField(_("coordonnées visibles par l'autre parent"), default=False)

    class Meta:
        ordering = ["family_id", "position"]
        verbose_name = _("foyer")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "family", "position"],
                name="household_unique_position",
                violation_error_message=_("Ce dossier a déjà un foyer à cette position."),
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def address_lines(self) -> list[str]:
        town = f"{self.postal_code} {self.city}".strip()
        return [line for line in (self.address_line, self.address_line_2, town) if line]

    @property
    def payer_name(self) -> str:
        return f"{self.payer_first_name} {self.payer_last_name}".strip()


class HouseholdAdult(TenantModel):
    """Join row (CONVENTIONS rule 14): a responsible adult lives in one household at most."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="adult_links")
    person = models.ForeignKey("families.Person", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "person"], name="household_adult_one_household")]


class HouseholdLogin(TenantModel):
    """A family login attached to one household: the portal then shows that household only."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="logins")
    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="household_link")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="household_login_unique")]


class CustodyMode(models.TextChoices):
    ALTERNATE_WEEKS = "weeks", _("Semaines alternées")
    WEEKDAYS = "weekdays", _("Jours de la semaine")
    PERCENTAGE = "percent", _("Répartition en pourcentage")


WEEKDAY_NAMES = [_("lundi"), _("mardi"), _("mercredi"), _("jeudi"), _("vendredi"), _("samedi"), _("dimanche")]


class CustodyArrangement(TenantModel):
    """Who pays, from `valid_from` until the next arrangement of the family (rows are never
    edited: a change is a new row, so invoices already issued keep their reading)."""

    family = models.ForeignKey("families.Family", on_delete=models.CASCADE, related_name="custody_arrangements")
    valid_from = models.DateField(_("à partir du"))
    mode = models.CharField(_("mode de garde"), max_length=10, choices=CustodyMode.choices)
    # Alternate weeks: the household that has the even ISO weeks (the other has the odd ones).
    even_weeks = models.ForeignKey(
        Household, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("semaines paires")
    )
    # Given weekdays: the weekdays (0 = Monday) of the first household; the other days are the second's.
    first_weekdays = models.JSONField(_("jours du foyer 1"), default=list, blank=True)
    # Percentage: the first household's share of every charge; the second pays the rest.
    first_percent = models.DecimalField(
        _("part du foyer 1 (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["family_id", "-valid_from", "-id"]
        verbose_name = _("mode de garde")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "family", "valid_from"],
                name="custody_one_arrangement_per_day",
                violation_error_message=_("Un mode de garde commence déjà à cette date."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_mode_display()} ({self.valid_from:%d/%m/%Y})"

    @property
    def description(self) -> str:
        if self.mode == CustodyMode.ALTERNATE_WEEKS:
            return _("Semaines paires : %(household)s ; semaines impaires : l'autre foyer.") % {
                "household": self.even_weeks
            }
        if self.mode == CustodyMode.WEEKDAYS:
            days = ", ".join(str(WEEKDAY_NAMES[d]) for d in sorted(self.first_weekdays)) or "—"
            return _("Foyer 1 : %(days)s ; les autres jours : foyer 2.") % {"days": days}
        return _("Foyer 1 : %(first)s %% ; foyer 2 : %(second)s %%.") % {
            "first": self.first_percent,
            "second": Decimal("100") - (self.first_percent or 0),
        }

    def is_even_week(self, day: date) -> bool:
        return day.isocalendar().week % 2 == 0
