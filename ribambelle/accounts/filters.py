"""What the back office's family logins page can be filtered and sorted by (django-filter)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ribambelle.core.filters import ListFilter

LOGIN_STATES = [
    ("none", _("Sans compte")),
    ("pending", _("Invitation en attente")),
    ("active", _("Compte activé")),
]


class FamilyLoginFilter(ListFilter):
    """`?q=` (family name, an adult's e-mail or last name), `?statut=` (no login, invited, activated) and
    `?tri=`; by family name otherwise."""

    q = django_filters.CharFilter(method="search", label=_("Rechercher (nom, e-mail)"))
    statut = django_filters.ChoiceFilter(
        method="state", choices=LOGIN_STATES, label=_("Compte"), empty_label=_("Toutes")
    )
    tri = django_filters.OrderingFilter(fields=(("name", "famille"),))

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(members__email__icontains=value) | Q(members__last_name__icontains=value)
        ).distinct()

    def state(self, queryset, name, value):
        if value == "active":
            return queryset.filter(accounts__activated_at__isnull=False).distinct()
        if value == "pending":
            return queryset.filter(accounts__isnull=False, accounts__activated_at__isnull=True).distinct()
        return queryset.filter(accounts__isnull=True)
