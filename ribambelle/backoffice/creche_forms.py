"""Forms of the crèche pages: the PSU scale, a contract and its amendments, a day sheet, absences."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ribambelle.core.forms import StyledForm, StyledModelForm
from ribambelle.core.money import EuroField
from ribambelle.creche.models import AbsenceReason, CareType, ContractKind, PsuScale, ResourceSource
from ribambelle.creche.services import SCALE_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
WEEKDAYS = [_("lundi"), _("mardi"), _("mercredi"), _("jeudi"), _("vendredi")]


class PsuScaleForm(StyledModelForm):
    class Meta:
        model = PsuScale
        fields = list(SCALE_FIELDS)  # the fields the service saves (creche.services)
        widgets = {"valid_from": DATE, "note": forms.Textarea(attrs={"rows": 3})}


class VersionForm(StyledForm):
    """What a contract version says: the week (one slot a day), the year, the family's resources."""

    weeks_per_year = forms.DecimalField(
        label=_("Semaines d'accueil par an"), min_value=0, max_value=53, decimal_places=2, required=False
    )
    months_billed = forms.IntegerField(label=_("Nombre de mois facturés"), min_value=1, max_value=12, initial=12)
    annual_resources = EuroField(label=_("Ressources annuelles de la famille (€)"), min_value=0)
    resources_source = forms.ChoiceField(label=_("Source des ressources"), choices=ResourceSource.choices)
    resources_reference = forms.CharField(
        label=_("Référence (n° allocataire, année des revenus)"), max_length=100, required=False
    )
    resources_date = forms.DateField(label=_("Ressources consultées le"), required=False, widget=DATE)
    dependent_children = forms.IntegerField(label=_("Enfants à charge"), min_value=1, max_value=20, initial=1)
    aeeh = forms.BooleanField(label=_("Un enfant de la famille bénéficie de l'AEEH"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for index, day in enumerate(WEEKDAYS):
            self.fields[f"start_{index}"] = forms.TimeField(
                label=_("Arrivée le %(day)s") % {"day": day}, required=False, widget=TIME
            )
            self.fields[f"end_{index}"] = forms.TimeField(
                label=_("Départ le %(day)s") % {"day": day}, required=False, widget=TIME
            )

    def clean(self):
        cleaned = super().clean()
        for index in range(len(WEEKDAYS)):
            start, end = cleaned.get(f"start_{index}"), cleaned.get(f"end_{index}")
            if bool(start) != bool(end):
                self.add_error(f"end_{index}", _("Indiquez l'arrivée et le départ, ou aucun des deux."))
        return cleaned

    def values(self) -> dict:
        data = self.cleaned_data
        schedule = {
            str(index): [data[f"start_{index}"].strftime("%H:%M"), data[f"end_{index}"].strftime("%H:%M")]
            for index in range(len(WEEKDAYS))
            if data.get(f"start_{index}") and data.get(f"end_{index}")
        }
        keys = (
            "weeks_per_year",
            "months_billed",
            "annual_resources",
            "resources_source",
            "resources_reference",
            "resources_date",
            "dependent_children",
            "aeeh",
        )
        return {"schedule": schedule, **{key: data.get(key) for key in keys}}


class ContractForm(VersionForm):
    child = forms.ModelChoiceField(label=_("Enfant"), queryset=None)
    activity = forms.ModelChoiceField(label=_("Multi-accueil"), queryset=None)
    kind = forms.ChoiceField(label=_("Type d'accueil"), choices=ContractKind.choices)
    care_type = forms.ChoiceField(label=_("Mode de garde"), choices=CareType.choices)
    start_date = forms.DateField(label=_("Début du contrat"), widget=DATE)
    end_date = forms.DateField(label=_("Fin du contrat"), widget=DATE)
    allocataire_number = forms.CharField(label=_("N° d'allocataire CAF"), max_length=20, required=False)
    filoue_consent = forms.BooleanField(
        label=_("La famille accepte la transmission anonymisée à la CNAF (Filoué)"), required=False
    )

    field_order = ["child", "activity", "kind", "care_type", "start_date", "end_date"]

    def __init__(self, *args, children, activities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].queryset = children
        self.fields["child"].label_from_instance = lambda p: f"{p.last_name} {p.first_name} ({p.family.name})"
        self.fields["activity"].queryset = activities
        self.order_fields(self.field_order)


class AmendmentForm(VersionForm):
    valid_from = forms.DateField(label=_("Prend effet le (premier jour d'un mois)"), widget=DATE)

    field_order = ["valid_from"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)


class StaffAbsenceForm(StyledForm):
    date = forms.DateField(label=_("Jour d'absence"), widget=DATE)
    reason = forms.ChoiceField(label=_("Motif"), choices=AbsenceReason.choices)


class FamilyAbsenceForm(StyledForm):
    date = forms.DateField(label=_("Jour d'absence"), widget=DATE)
    reason = forms.ChoiceField(label=_("Motif"), choices=AbsenceReason.choices)
    proof = forms.FileField(
        label=_("Justificatif (certificat médical, bulletin d'hospitalisation)"),
        help_text=_("PDF ou photo (JPEG, PNG, HEIC)."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/*"}),
    )


class RefusalForm(StyledForm):
    refusal_reason = forms.CharField(label=_("Motif du refus"), max_length=200, required=False)


class DaySheetDateForm(StyledForm):
    date = forms.DateField(label=_("Jour"), widget=DATE)
