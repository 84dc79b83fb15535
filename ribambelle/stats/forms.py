"""The period and scope of the statistics: a school year (default), a month, or dates chosen."""

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from ribambelle.core.forms import StyledForm

from .selectors import StatsScope, school_year

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_DAYS = 3 * 366  # a longer period is better read as several years


class PeriodKind:
    YEAR = "annee"
    MONTH = "mois"
    CUSTOM = "dates"


class StatsFilterForm(StyledForm):
    periode = forms.ChoiceField(
        label=_("Période"),
        choices=[
            (PeriodKind.YEAR, _("Année scolaire")),
            (PeriodKind.MONTH, _("Un mois")),
            (PeriodKind.CUSTOM, _("Dates choisies")),
        ],
        initial=PeriodKind.YEAR,
        widget=forms.RadioSelect,
    )
    annee = forms.TypedChoiceField(label=_("Année scolaire"), coerce=int, required=False)
    mois = forms.CharField(
        label=_("Mois"),
        required=False,
        widget=forms.TextInput(attrs={"type": "month"}),
        help_text=_("Par exemple 2026-10 pour octobre 2026."),
    )
    du = forms.DateField(label=_("Du"), required=False, widget=DATE)
    au = forms.DateField(label=_("Au"), required=False, widget=DATE)
    structure = forms.ModelChoiceField(label=_("Structure"), queryset=None, required=False, empty_label=_("Toutes"))
    activite = forms.ModelChoiceField(label=_("Activité"), queryset=None, required=False, empty_label=_("Toutes"))

    def __init__(self, data=None, *, structures, activities, today: date):
        super().__init__(data)
        self.today = today
        self.fields["structure"].queryset = structures
        self.fields["activite"].queryset = activities
        current = school_year(today)[0].year
        self.fields["annee"].choices = [(year, f"{year}–{year + 1}") for year in range(current, current - 5, -1)]
        self.fields["annee"].initial = current

    def clean(self):
        data = super().clean()
        kind = data.get("periode") or PeriodKind.YEAR
        if kind == PeriodKind.MONTH:
            try:
                year, month = (int(part) for part in (data.get("mois") or "").split("-"))
                start = date(year, month, 1)
            except ValueError:
                self.add_error("mois", _("Indiquez le mois sous la forme AAAA-MM, par exemple 2026-10."))
                return data
            data["start"], data["end"] = start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        elif kind == PeriodKind.CUSTOM:
            start, end = data.get("du"), data.get("au")
            if not start or not end:
                self.add_error("du" if not start else "au", _("Indiquez les deux dates de la période."))
                return data
            if end < start:
                self.add_error("au", _("La date de fin doit suivre la date de début."))
                return data
            if (end - start).days > MAX_DAYS:
                self.add_error("au", _("Choisissez une période de trois ans au plus."))
                return data
            data["start"], data["end"] = start, end
        else:
            year = data.get("annee") or school_year(self.today)[0].year
            data["start"], data["end"] = school_year(date(year, 9, 1))
        activity, structure = data.get("activite"), data.get("structure")
        if activity and structure and activity.structure_id != structure.pk:
            self.add_error("activite", _("Cette activité n'appartient pas à la structure choisie."))
        return data

    def scope(self, membership) -> StatsScope:
        """The scope asked for, or the current school year when the form is empty or invalid
        (its errors are shown next to the fields)."""
        if self.is_bound and self.is_valid():
            data = self.cleaned_data
            return StatsScope(
                membership=membership,
                start=data["start"],
                end=data["end"],
                structure_id=data["structure"].pk if data.get("structure") else None,
                activity_id=data["activite"].pk if data.get("activite") else None,
            )
        start, end = school_year(self.today)
        return StatsScope(membership=membership, start=start, end=end)
