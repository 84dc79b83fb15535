"""The pattern tool's form ("tous les lundis et jeudis du … au …", for some children and units)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ribambelle.activities.models import WEEKDAY_NAMES
from ribambelle.core.forms import StyledForm

MAX_DAYS = 366


class PatternForm(StyledForm):
    children = forms.TypedMultipleChoiceField(
        label=_("Enfants"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins un enfant.")},
    )
    units = forms.TypedMultipleChoiceField(
        label=_("Unités"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins une unité.")},
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Jours de la semaine"),
        coerce=int,
        choices=[(i, name) for i, name in enumerate(WEEKDAY_NAMES)],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choisissez au moins un jour de la semaine.")},
    )
    start = forms.DateField(label=_("Du"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("Au"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    action = forms.ChoiceField(
        label=_("Que faire ces jours-là ?"),
        choices=[("book", _("Réserver")), ("cancel", _("Annuler les réservations"))],
        widget=forms.RadioSelect,
        initial="book",
    )
    waitlist = forms.BooleanField(
        label=_("Si un jour est complet, inscrire l'enfant sur la liste d'attente"), required=False, initial=True
    )

    def __init__(self, *args, children, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].choices = [(c.pk, f"{c.first_name} {c.last_name}") for c in children]
        self.fields["units"].choices = [(u.pk, f"{u.activity.name} – {u.label}") for u in units]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("La date de fin doit suivre la date de début."))
            elif (end - start).days > MAX_DAYS:
                self.add_error("end", _("Choisissez une période d'un an au plus."))
        return data
