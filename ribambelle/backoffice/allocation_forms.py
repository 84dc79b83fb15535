"""The form of an activity's "Attribution des places": the mode, then what that mode needs
(the wish window and priority classes of a draw, or the times and rhythm of a waiting room)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ribambelle.allocation.models import AllocationMode
from ribambelle.core.forms import StyledForm

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class AllocationForm(StyledForm):
    mode = forms.ChoiceField(
        label=_("Attribution des places"), choices=AllocationMode.choices, widget=forms.RadioSelect
    )
    # Vœux puis tirage
    wishes_open_at = forms.DateTimeField(label=_("Ouverture des vœux"), required=False, widget=DATETIME)
    wishes_close_at = forms.DateTimeField(label=_("Clôture des vœux"), required=False, widget=DATETIME)
    family_cap = forms.IntegerField(
        label=_("Journées au plus par enfant"),
        required=False,
        min_value=1,
        max_value=366,
        help_text=_("Vide : pas de limite."),
    )
    siblings_together = forms.BooleanField(label=_("Frères et sœurs ensemble"), required=False, initial=True)
    # File d'attente équitable
    prequeue_from = forms.DateTimeField(label=_("Début de la pré-file"), required=False, widget=DATETIME)
    opens_at = forms.DateTimeField(label=_("Ouverture des réservations"), required=False, widget=DATETIME)
    closes_at = forms.DateTimeField(label=_("Fin de la salle d'attente"), required=False, widget=DATETIME)
    admitted_per_interval = forms.IntegerField(
        label=_("Familles admises par intervalle"),
        required=False,
        min_value=1,
        max_value=10_000,
        initial=50,
        help_text=_("Autant que le serveur en traite pendant un intervalle (voir bench/opening_day_room.py)."),
    )
    interval_seconds = forms.IntegerField(
        label=_("Intervalle (secondes)"), required=False, min_value=5, max_value=3600, initial=60
    )
    pass_minutes = forms.IntegerField(
        label=_("Validité du passage (minutes)"),
        required=False,
        min_value=1,
        max_value=240,
        initial=10,
        help_text=_("Le temps qu'a une famille admise pour réserver."),
    )

    DRAW_FIELDS = ("wishes_open_at", "wishes_close_at")
    ROOM_FIELDS = (
        "prequeue_from",
        "opens_at",
        "closes_at",
        "admitted_per_interval",
        "interval_seconds",
        "pass_minutes",
    )

    def clean(self):
        data = super().clean()
        needed = {AllocationMode.WISHES_DRAW: self.DRAW_FIELDS, AllocationMode.FAIR_QUEUE: self.ROOM_FIELDS}
        for name in needed.get(data.get("mode"), ()):
            if data.get(name) is None and name not in self.errors:
                self.add_error(name, _("Ce champ est obligatoire pour ce mode d'attribution."))
        return data

    def room(self) -> dict | None:
        if self.cleaned_data["mode"] != AllocationMode.FAIR_QUEUE:
            return None
        return {name: self.cleaned_data[name] for name in self.ROOM_FIELDS}


class PriorityClassForm(StyledForm):
    label = forms.CharField(label=_("Intitulé de la classe"), max_length=120, required=False)
    requires_resident = forms.BooleanField(label=_("Résident"), required=False)
    requires_working_parents = forms.BooleanField(label=_("Parents (ou parent seul) qui travaillent"), required=False)


# Up to five classes; a row without a label is no class.
PriorityClassFormSet = forms.formset_factory(PriorityClassForm, extra=0, max_num=5, absolute_max=5)
