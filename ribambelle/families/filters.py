"""What the back office's family list and moderation queue can be filtered and sorted by (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ribambelle.core.filters import ListFilter

from .models import ChangeKind
from .search import search_filter

ACCOUNT_CHOICES = [("active", _("Compte activé")), ("inactive", _("Sans compte activé"))]


class FamilyFilter(ListFilter):
    """`?q=` (names, e-mails, phones, folded), `?compte=`, `?en_attente=1` and `?tri=`, on the queryset of
    `selectors.families_for_staff` (which annotates the account state and the pending count)."""

    q = django_filters.CharFilter(method="search", label=_("Rechercher"))
    compte = django_filters.ChoiceFilter(method="account", choices=ACCOUNT_CHOICES, label=_("Compte"))
    # A ticked box sends "1" (a BooleanFilter would read only "true"/"false").
    en_attente = django_filters.ChoiceFilter(
        method="pending", choices=[("1", _("Oui"))], label=_("Modifications en attente")
    )
    tri = django_filters.OrderingFilter(fields=(("name", "nom"), ("city", "commune"), ("pending_count", "attente")))

    def search(self, queryset, name, value):
        condition = search_filter(value)
        return queryset if condition is None else queryset.filter(condition)

    def account(self, queryset, name, value):
        return queryset.filter(has_active_account=value == "active")

    def pending(self, queryset, name, value):
        return queryset.filter(pending_count__gt=0)


class PendingChangeFilter(ListFilter):
    """The moderation queue: `?q=` (family name), `?type=` (kind of change) and `?tri=`; oldest first
    otherwise."""

    q = django_filters.CharFilter(field_name="family__name", lookup_expr="icontains", label=_("Famille"))
    type = django_filters.ChoiceFilter(field_name="kind", choices=ChangeKind.choices, label=_("Objet"))
    tri = django_filters.OrderingFilter(fields=(("created_at", "date"), ("family__name", "famille"), ("kind", "objet")))
