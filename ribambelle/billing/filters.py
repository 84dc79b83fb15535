"""What the back office's invoice list can be filtered and sorted by (django-filter)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Invoice, InvoiceStatus


class InvoiceFilter(django_filters.FilterSet):
    """`?statut=`, `?q=` (number or family) and `?tri=` (a column, `-` first for descending). A value
    outside the choices is ignored, as if the filter were not set."""

    statut = django_filters.ChoiceFilter(field_name="status", choices=InvoiceStatus.choices, label=_("Statut"))
    q = django_filters.CharFilter(method="search", label=_("Numéro ou famille"))
    tri = django_filters.OrderingFilter(
        fields=(("number", "numero"), ("family_name", "famille"), ("due_date", "echeance"), ("total", "montant"))
    )

    class Meta:
        model = Invoice
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(Q(number__icontains=value) | Q(family_name__icontains=value)) if value else queryset
