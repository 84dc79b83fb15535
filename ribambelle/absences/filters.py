"""What the back office's list of reported absences can be filtered and sorted by (django-filter)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ribambelle.core.filters import DATE, ListFilter


class ReportedAbsenceFilter(ListFilter):
    """`?jour=` (the day of absence), `?etat=` (certificate awaited / justified), `?q=` (family name), `?tri=`."""

    jour = django_filters.DateFilter(field_name="booking__date", label=_("Jour"), widget=DATE)
    etat = django_filters.ChoiceFilter(
        label=_("État"),
        choices=[("a_justifier", _("Sans justificatif")), ("justifiee", _("Justifiée"))],
        method="filter_state",
    )
    q = django_filters.CharFilter(field_name="family__name", lookup_expr="icontains", label=_("Famille"))
    tri = django_filters.OrderingFilter(
        fields=(("booking__date", "jour"), ("reported_at", "signalee"), ("family__name", "famille"))
    )

    def filter_state(self, queryset, name, value):
        justified = Q(justified_at__isnull=False) | ~Q(certificate="")
        return queryset.filter(justified) if value == "justifiee" else queryset.exclude(justified)
