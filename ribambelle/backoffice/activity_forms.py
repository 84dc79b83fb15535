from django import forms
from django.utils.translation import gettext_lazy as _

from ribambelle.activities.models import WEEKDAY_NAMES, Activity, Group, Unit
from ribambelle.core.forms import StyledForm, StyledModelForm
from ribambelle.registrations.models import RefusalReason
from ribambelle.tenancy.models import Sector

WEEKDAY_CHOICES = [(str(i), name) for i, name in enumerate(WEEKDAY_NAMES)]
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ActivityForm(StyledModelForm):
    weekday_set = forms.MultipleChoiceField(
        label=_("Jours de la semaine"), choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Activity
        fields = [
            "name",
            "kind",
            "structure",
            "sector",
            "description",
            "start_date",
            "end_date",
            "registration_opens_at",
            "registration_closes_at",
            "validation_mode",
            "staff_only",
            "age_reference_date",
            "deadline_days",
            "deadline_time",
            "deadline_working_days",
            "is_published",
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "age_reference_date": DATE,
            "registration_opens_at": DATETIME,
            "registration_closes_at": DATETIME,
            "deadline_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    field_order = ["name", "kind", "structure", "sector", "description", "start_date", "end_date", "weekday_set"]

    def __init__(self, *args, structures, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = structures
        self.fields["sector"].queryset = Sector.objects.filter(organisation=organisation)
        self.fields["sector"].required = False
        self.initial["weekday_set"] = [str(d) for d in (self.instance.weekday_list if self.instance.pk else range(5))]

    def domain_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["weekdays"] = sum(1 << int(day) for day in self.cleaned_data["weekday_set"])
        return data


class YearsRangeMixin(forms.Form):
    age_min_years = forms.IntegerField(label=_("De (ans)"), min_value=0, max_value=25)
    age_max_years = forms.IntegerField(label=_("À (ans, inclus)"), min_value=0, max_value=25)

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("age_min_years"), cleaned.get("age_max_years")
        if low is not None and high is not None and low > high:
            self.add_error("age_max_years", _("L'âge maximum doit être supérieur ou égal à l'âge minimum."))
        return cleaned


class GroupForm(YearsRangeMixin, StyledModelForm):
    class Meta:
        model = Group
        fields = ["name", "default_capacity", "registration_limit", "position"]

    field_order = ["name", "age_min_years", "age_max_years", "default_capacity", "registration_limit", "position"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["age_min_years"] = self.instance.age_min_months // 12
            self.initial["age_max_years"] = self.instance.age_max_months // 12

    def domain_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        # "8-10 ans" admits a child from its 8th birthday until the day before its 11th.
        data["age_min_months"] = self.cleaned_data["age_min_years"] * 12
        data["age_max_months"] = self.cleaned_data["age_max_years"] * 12 + 11
        return data


class UnitForm(StyledModelForm):
    class Meta:
        model = Unit
        fields = ["name", "start_time", "end_time", "position"]
        widgets = {
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    exclude_units = forms.ModelMultipleChoiceField(
        label=_("Incompatible le même jour avec"),
        required=False,
        queryset=Unit.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, activity, **kwargs):
        super().__init__(*args, **kwargs)
        others = Unit.objects.filter(activity=activity)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
            self.initial["exclude_units"] = list(
                Unit.objects.filter(pk__in=self.instance.excludes.values_list("pk", flat=True))
            )
        self.fields["exclude_units"].queryset = others

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start_time") and cleaned.get("end_time") and cleaned["start_time"] >= cleaned["end_time"]:
            self.add_error("end_time", _("L'heure de fin doit suivre l'heure de début."))
        return cleaned


class DuplicateForm(StyledForm):
    name = forms.CharField(label=_("Nom de la nouvelle activité"), max_length=200)
    start_date = forms.DateField(label=_("Premier jour de la nouvelle période"), widget=DATE)


class RefuseForm(StyledForm):
    reason = forms.ChoiceField(label=_("Motif"), choices=RefusalReason.choices)
    text = forms.CharField(
        label=_("Précisions pour la famille"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ClosureForm(StyledForm):
    date = forms.DateField(label=_("Jour de fermeture"), widget=DATE)
    reason = forms.CharField(label=_("Motif"), max_length=120, required=False)
