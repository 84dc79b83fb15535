from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ribambelle.caf.models import ActivityCafRule, CareType, Rounding, StructureCafIdentifiers
from ribambelle.core.forms import StyledForm, StyledModelForm
from ribambelle.families.models import QuotientSource, Regime

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReportForm(StyledForm):
    """The period and the structure of the report (read with GET: a report is a link)."""

    du = forms.DateField(label=_("Du"), widget=DATE)
    au = forms.DateField(label=_("Au"), widget=DATE)
    structure = forms.ChoiceField(label=_("Structure"), required=False)

    def __init__(self, *args, structures=(), allow_all=True, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(s.pk), s.name) for s in structures]
        if allow_all:
            choices.insert(0, ("", _("Toutes les structures")))
        else:
            self.fields["structure"].required = True
        self.fields["structure"].choices = choices

    def clean(self):
        data = super().clean()
        if data.get("du") and data.get("au"):
            if data["au"] < data["du"]:
                self.add_error("au", _("La date de fin doit suivre la date de début."))
            elif (data["au"] - data["du"]).days > 731:
                self.add_error("au", _("Choisissez une période de deux ans au plus."))
        return data


class FreezeForm(ReportForm):
    label = forms.CharField(
        label=_("Libellé du bilan figé"),
        required=False,
        max_length=120,
        help_text=_("Par exemple « Déclaration d'activité 2026 (réel) »."),
    )


class CafSettingsForm(StyledForm):
    age_bounds = forms.CharField(
        label=_("Âges de coupure (ans)"),
        max_length=40,
        help_text=_(
            "Séparés par des virgules : « 6 » donne moins de 6 ans / 6 ans et plus ; « 6, 12 » trois tranches."
        ),
    )


class StructureIdentifiersForm(StyledModelForm):
    class Meta:
        model = StructureCafIdentifiers
        fields = ["caf_number", "agreement_number", "convention_number"]


class ActivityRuleForm(StyledModelForm):
    """The activity's accueil type, caps and rounding, and one hour-equivalent field per unit."""

    class Meta:
        model = ActivityCafRule
        fields = ["care_type", "daily_cap_hours", "wednesday_cap_hours", "rounding"]

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["care_type"].choices = CareType.choices
        self.fields["rounding"].choices = Rounding.choices
        self.units = []
        for unit, hours in units:
            name = f"unit_{unit.pk}"
            self.fields[name] = forms.DecimalField(
                label=_("Heures comptées pour « %(unit)s »") % {"unit": unit.label},
                required=False,
                min_value=0,
                max_value=24,
                max_digits=5,
                decimal_places=2,
                initial=hours,
                help_text=_("Vide : la durée de l'unité."),
            )
            self.units.append((unit, name))

    def unit_hours(self) -> dict:
        return {unit: self.cleaned_data.get(name) for unit, name in self.units}


class RegimeForm(StyledForm):
    regime = forms.ChoiceField(label=pgettext_lazy("protection sociale", "Régime"), choices=Regime.choices)


class QuotientRecordForm(StyledForm):
    value = forms.DecimalField(label=_("Quotient familial (€)"), min_value=0, max_digits=8, decimal_places=2)
    source = forms.ChoiceField(label=_("Source"), choices=QuotientSource.choices)
    reference_month = forms.DateField(
        label=_("Valable à partir du mois de"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%m/%Y", "%d/%m/%Y", "%Y-%m-%d"],
        help_text=_("Le quotient vaut à partir du premier jour de ce mois, jusqu'au suivant enregistré."),
    )
