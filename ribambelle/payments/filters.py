"""What the back office's list of online payments can be filtered and sorted by (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .models import OnlineTransaction, TransactionStatus


class OnlineTransactionFilter(django_filters.FilterSet):
    """`?statut=`, `?anomalie=1` (answers refused, to look at) and `?tri=` (`date`, `montant`,
    `famille`; `-` first for descending). A value outside the choices is ignored."""

    statut = django_filters.ChoiceFilter(field_name="status", choices=TransactionStatus.choices, label=_("Statut"))
    anomalie = django_filters.BooleanFilter(method="with_anomaly", label=_("À vérifier"))
    tri = django_filters.OrderingFilter(
        fields=(("created_at", "date"), ("amount", "montant"), ("family__name", "famille"))
    )

    class Meta:
        model = OnlineTransaction
        fields = []

    def with_anomaly(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(anomaly="") if value else queryset.filter(anomaly="")
