"""The bulk fetch's family list: filtered and sorted like the back office's family list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ribambelle.core.filters import ListFilter
from ribambelle.families.search import search_filter

CONSENT_CHOICES = [("oui", _("Accord donné")), ("non", _("Sans accord"))]


class QuotientFamilyFilter(ListFilter):
    q = django_filters.CharFilter(method="search", label=_("Rechercher"))
    accord = django_filters.ChoiceFilter(method="consent", choices=CONSENT_CHOICES, label=_("Accord de la famille"))
    tri = django_filters.OrderingFilter(fields=(("name", "nom"), ("family_quotient_date", "date_qf")))

    def search(self, queryset, name, value):
        condition = search_filter(value)
        return queryset if condition is None else queryset.filter(condition)

    def consent(self, queryset, name, value):
        return queryset.filter(has_qf_consent=value == "oui")
