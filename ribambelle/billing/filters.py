"""What the back office's billing lists can be filtered and sorted by (django-filter)."""

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ribambelle.core.filters import ListFilter

from .models import Invoice, InvoiceStatus, PaymentMethod


class InvoiceFilter(ListFilter):
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


class PaymentFilter(ListFilter):
    """The payments desk: `?mode=`, `?q=` (receipt, family or reference) and `?tri=`."""

    mode = django_filters.ChoiceFilter(field_name="method", choices=PaymentMethod.choices, label=_("Mode"))
    q = django_filters.CharFilter(method="search", label=_("Reçu, famille ou référence"))
    tri = django_filters.OrderingFilter(
        fields=(("receipt_number", "recu"), ("family__name", "famille"), ("received_on", "date"), ("amount", "montant"))
    )

    def search(self, queryset, name, value):
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(
            Q(receipt_number__icontains=value) | Q(family__name__icontains=value) | Q(reference__icontains=value)
        )


BALANCE_STATES = [("due", _("Reste dû")), ("credit", _("Avoir")), ("settled", _("Soldé"))]


class BalanceFilter(ListFilter):
    """The families' balances: `?q=` (family name), `?solde=` (due, credit, settled) and `?tri=`."""

    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Famille"))
    solde = django_filters.ChoiceFilter(method="state", choices=BALANCE_STATES, label=_("Solde"))
    tri = django_filters.OrderingFilter(
        fields=(("name", "famille"), ("invoiced", "facture"), ("paid", "paye"), ("balance", "solde"))
    )

    def state(self, queryset, name, value):
        return {
            "due": queryset.filter(balance__gt=0),
            "credit": queryset.filter(balance__lt=0),
            "settled": queryset.filter(balance=0),
        }[value]


OVERDUE_CHOICES = [("1", _("Échéance dépassée"))]


class UnpaidFilter(ListFilter):
    """Open invoices: `?q=` (number or family), `?echues=1` (past their due date) and `?tri=`."""

    q = django_filters.CharFilter(method="search", label=_("Numéro ou famille"))
    echues = django_filters.ChoiceFilter(method="overdue", choices=OVERDUE_CHOICES, label=_("Échéance"))
    tri = django_filters.OrderingFilter(
        fields=(("number", "numero"), ("family_name", "famille"), ("due_date", "echeance"))
    )

    search = InvoiceFilter.search

    def overdue(self, queryset, name, value):
        return queryset.filter(due_date__lt=timezone.localdate())


class CollectionFilter(ListFilter):
    """SEPA collections: `?etat=` (en cours / réglé) and `?tri=` (collection date, amount)."""

    etat = django_filters.ChoiceFilter(
        label=_("État"), choices=(("en-cours", _("En cours")), ("regle", _("Réglé"))), method="by_state"
    )
    tri = django_filters.OrderingFilter(fields=(("collection_date", "date"), ("total", "montant")))

    def by_state(self, queryset, name, value):
        return queryset.filter(settled_at__isnull=value == "en-cours")
