"""What the crèche's back-office lists can be filtered and sorted by (django-filter)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ribambelle.core.filters import ListFilter

from .models import AbsenceReason, Contract, ContractKind, DeductibleAbsence, PsuScale


class ScaleFilter(ListFilter):
    """`?verifier=` (values to check or confirmed) and `?tri=date`."""

    verifier = django_filters.BooleanFilter(field_name="to_check", label=_("Valeurs à vérifier"))
    tri = django_filters.OrderingFilter(fields=(("valid_from", "date"),))

    class Meta:
        model = PsuScale
        fields = []


class ContractFilter(ListFilter):
    """`?type=`, `?q=` (child or family) and `?tri=`."""

    type = django_filters.ChoiceFilter(field_name="kind", choices=ContractKind.choices, label=_("Type d'accueil"))
    q = django_filters.CharFilter(method="search", label=_("Enfant ou famille"))
    tri = django_filters.OrderingFilter(fields=(("child__last_name", "enfant"), ("start_date", "debut")))

    class Meta:
        model = Contract
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(child__last_name__icontains=value)
            | Q(child__first_name__icontains=value)
            | Q(family__name__icontains=value)
        )


class AbsenceFilter(ListFilter):
    """`?motif=` and `?tri=date`."""

    motif = django_filters.ChoiceFilter(field_name="reason", choices=AbsenceReason.choices, label=_("Motif"))
    tri = django_filters.OrderingFilter(fields=(("date", "date"),))

    class Meta:
        model = DeductibleAbsence
        fields = []
