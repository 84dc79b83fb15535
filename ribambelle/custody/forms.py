"""Staff forms of the custody page: a household, a new custody arrangement."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ribambelle.core.forms import StyledForm, StyledModelForm

from . import selectors
from .models import WEEKDAY_NAMES, CustodyMode, Household
from .services import HOUSEHOLD_FIELDS

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HouseholdForm(StyledModelForm):
    adults = forms.ModelMultipleChoiceField(
        label=_("Responsables vivant dans ce foyer"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    logins = forms.ModelMultipleChoiceField(
        label=_("Comptes du portail rattachés à ce foyer"),
        help_text=_("Chaque parent connecté ne voit que les coordonnées, factures et reçus de son foyer."),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Household
        fields = HOUSEHOLD_FIELDS

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        # Querysets from the family of the URL: nothing of another family can be chosen (a POSTed id → error).
        self.fields["adults"].queryset = selectors.family_adults(family).order_by("first_name", "pk")
        self.fields["logins"].queryset = selectors.family_logins(family).order_by("email", "pk")
        self.fields["logins"].label_from_instance = lambda user: f"{user.get_full_name()} <{user.email}>".strip()
        if self.instance.pk:
            self.initial.setdefault("adults", [a.pk for a in self.instance.adults.all()])
            self.initial.setdefault("logins", [link.user_id for link in self.instance.logins.all()])


class ArrangementForm(StyledForm):
    valid_from = forms.DateField(label=_("À partir du"), widget=DATE_WIDGET)
    mode = forms.ChoiceField(label=_("Mode de garde"), choices=CustodyMode.choices, widget=forms.RadioSelect)
    even_weeks = forms.ModelChoiceField(
        label=_("Foyer qui a les semaines paires (semaines alternées)"),
        help_text=_("Semaines ISO : la semaine du 5 janvier 2026 est la semaine 2."),
        queryset=None,
        required=False,
    )
    first_weekdays = forms.TypedMultipleChoiceField(
        label=_("Jours du foyer 1 (jours de la semaine) ; les autres jours sont au foyer 2"),
        choices=[(i, name) for i, name in enumerate(WEEKDAY_NAMES)],
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    first_percent = forms.DecimalField(
        label=_("Part du foyer 1 en % (répartition) ; le foyer 2 paie le reste"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        required=False,
    )

    def __init__(self, *args, family, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["even_weeks"].queryset = selectors.households_of_family(family)
