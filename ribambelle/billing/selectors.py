"""Billing reads, scoped to an organisation (staff) or a family (portal)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404

from ribambelle.tenancy.access import in_reach, structure_limit
from ribambelle.tenancy.roles import Area

from .models import (
    ZERO,
    Invoice,
    InvoiceKind,
    InvoiceRun,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    QuotientBracket,
    Refund,
    SepaMandate,
    Tariff,
)

OPEN = (InvoiceStatus.DUE, InvoiceStatus.PARTIAL)


def with_collection(queryset):
    """Each invoice with the date of the SEPA collection under way for it (None if none): the
    invoice then shows "prélèvement en cours" with that date."""
    from .sepa_models import LineStatus, SepaCollectionLine

    pending = SepaCollectionLine.objects.filter(invoice=OuterRef("pk"), status=LineStatus.PENDING).values(
        "collection__collection_date"
    )[:1]
    return queryset.annotate(sepa_collection_date=Subquery(pending))


def collection_date_of(invoice):
    """The debit date of the SEPA collection under way for this invoice, or None."""
    return (
        with_collection(Invoice.objects.filter(organisation_id=invoice.organisation_id, pk=invoice.pk))
        .values_list("sepa_collection_date", flat=True)
        .first()
    )


def _payer(household) -> Q:
    """A separated parent (logged in to a household) sees the household's invoices and payments
    and those of the family from before the separation, never the other household's."""
    if household is None:
        return Q()
    return Q(household=household) | Q(household__isnull=True)


def invoices_for_family(family, *, household=None):
    return with_collection(
        Invoice.objects.filter(_payer(household), organisation=family.organisation, family=family).select_related(
            "credited_invoice"
        )
    )


def get_invoice_for_family(family, invoice_id: int, *, household=None) -> Invoice:
    return get_object_or_404(invoices_for_family(family, household=household), pk=invoice_id)


def _billing_reach(membership) -> Q:
    return in_reach(membership, area=Area.BILLING) & Q(organisation_id=membership.organisation_id)


def invoices_for_staff(membership):
    return with_collection(Invoice.objects.filter(_billing_reach(membership)).select_related("family"))


def get_invoice_for_staff(membership, invoice_id: int) -> Invoice:
    return get_object_or_404(invoices_for_staff(membership), pk=invoice_id)


def payments_for_family(family, *, household=None):
    return (
        Payment.objects.filter(_payer(household), organisation=family.organisation, family=family)
        .prefetch_related("allocations__invoice")
        .order_by("-received_on", "-id")
    )


def get_payment_for_family(family, payment_id: int, *, household=None) -> Payment:
    return get_object_or_404(payments_for_family(family, household=household), pk=payment_id)


def payments_for_staff(membership):
    return Payment.objects.filter(_billing_reach(membership)).select_related("family")


def get_payment_for_staff(membership, payment_id: int) -> Payment:
    return get_object_or_404(payments_for_staff(membership).prefetch_related("allocations__invoice"), pk=payment_id)


def _run_in_reach(membership, run: InvoiceRun) -> bool:
    """A run is cut by structure (`structure_ids`, empty for all): a member limited to some
    structures sees the runs of those structures only."""
    limit = structure_limit(membership, Area.BILLING)
    return limit is None or (bool(run.structure_ids) and set(run.structure_ids) <= set(limit))


def get_run_for_staff(membership, run_id: int) -> InvoiceRun:
    run = get_object_or_404(InvoiceRun.objects.filter(organisation_id=membership.organisation_id), pk=run_id)
    if not _run_in_reach(membership, run):
        raise Http404
    return run


def runs_for_staff(membership, *, limit: int = 30) -> list[InvoiceRun]:
    recent = InvoiceRun.objects.filter(organisation_id=membership.organisation_id).order_by("-created_at", "-id")
    return [run for run in recent[:limit] if _run_in_reach(membership, run)]


def _priced(queryset, membership, structure: str):
    """Tariffs are per activity, so per structure: a member limited to some (and not seeing
    across structures for billing) prices their structures' activities only."""
    queryset = queryset.filter(organisation_id=membership.organisation_id)
    limit = structure_limit(membership, Area.BILLING)
    return queryset if limit is None else queryset.filter(**{f"{structure}__in": limit})


def tariffs_for_staff(membership):
    return _priced(Tariff.objects.all(), membership, "activity__structure_id")


def get_tariff_for_staff(membership, tariff_id: int) -> Tariff:
    tariffs = tariffs_for_staff(membership).select_related("activity", "unit").prefetch_related("prices")
    return get_object_or_404(tariffs, pk=tariff_id)


def activities_to_price(membership):
    from ribambelle.activities.models import Activity

    return _priced(Activity.objects.all(), membership, "structure_id").order_by("-start_date", "name")


def get_activity_to_price(membership, activity_id: int):
    return get_object_or_404(activities_to_price(membership), pk=activity_id)


def mandates_for_staff(membership):
    return SepaMandate.objects.filter(_billing_reach(membership))


def get_mandate_for_staff(membership, mandate_id: int) -> SepaMandate:
    return get_object_or_404(mandates_for_staff(membership), pk=mandate_id)


def brackets(organisation):
    return QuotientBracket.objects.filter(organisation=organisation)


@dataclass
class Situation:
    total_due: Decimal
    total_paid: Decimal
    next_due_date: date | None
    credit: Decimal


def family_situation(family, *, household=None) -> Situation:
    """Total still due, total paid, next due date, and money paid but not yet allocated (one query);
    for a separated parent, that household's."""
    from ribambelle.families.models import Family

    invoices = Invoice.objects.filter(
        _payer(household), organisation=family.organisation, family=family, kind=InvoiceKind.INVOICE
    )
    open_ = invoices.filter(status__in=OPEN)
    # A voided payment counts for nothing (its allocations are gone too).
    payments = Payment.objects.filter(
        _payer(household), organisation=family.organisation, family=family, voided_at__isnull=True
    )
    row = (
        Family.objects.filter(pk=family.pk)
        .values(
            total=_scalar(open_, Sum("total")),
            credited_on_open=_scalar(open_, Sum("amount_credited")),
            paid_on_open=_scalar(open_, Sum("amount_paid")),
            paid=_scalar(payments, Sum("amount")),
            # Summed apart from the payments: a payment with two allocations would count twice.
            allocated=_scalar(PaymentAllocation.objects.filter(payment__in=payments.values("pk")), Sum("amount")),
            refunded=_scalar(Refund.objects.filter(payment__in=payments.values("pk")), Sum("amount")),
            next_due=Subquery(open_.order_by("due_date").values("due_date")[:1]),
        )
        .get()
    )
    paid = row["paid"] or ZERO
    return Situation(
        total_due=(row["total"] or ZERO) - (row["credited_on_open"] or ZERO) - (row["paid_on_open"] or ZERO),
        total_paid=paid - (row["refunded"] or ZERO),
        next_due_date=row["next_due"],
        credit=paid - (row["allocated"] or ZERO) - (row["refunded"] or ZERO),
    )


def _scalar(queryset, aggregate):
    """An aggregate of a queryset as a scalar subquery (grouped by nothing: one row)."""
    return Subquery(
        queryset.order_by().annotate(_all=Value(1)).values("_all").annotate(v=aggregate).values("v"),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


def filter_invoices(queryset, *, status: str, year: str):
    if status == "a-payer":
        queryset = queryset.filter(kind=InvoiceKind.INVOICE, status__in=OPEN)
    elif status == "payees":
        queryset = queryset.filter(Q(status=InvoiceStatus.PAID) | Q(kind=InvoiceKind.CREDIT_NOTE))
    elif status == "annulees":
        queryset = queryset.filter(status=InvoiceStatus.CREDITED)
    if year.isdigit() and 2000 <= int(year[:4]) <= 2100 and len(year) == 4:
        queryset = queryset.filter(period_start__year=int(year))
    return queryset


def unpaid(membership):
    return invoices_for_staff(membership).filter(kind=InvoiceKind.INVOICE, status__in=OPEN).order_by("due_date", "pk")


def balances(membership):
    """Per family with billing: invoiced (net of credit notes), paid, and the balance."""
    from ribambelle.families.models import Family

    organisation = membership.organisation_id
    # Invoices and credit notes together: a credit note's negative total cancels what it
    # takes back, all of an invoice or part of it.
    invoiced = (
        Invoice.objects.filter(organisation=organisation, family=OuterRef("pk"))
        .values("family")
        .annotate(s=Sum("total"))
        .values("s")
    )
    paid = (
        Payment.objects.filter(organisation=organisation, family=OuterRef("pk"), voided_at__isnull=True)
        .values("family")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    refunded = (
        Refund.objects.filter(organisation=organisation, family=OuterRef("pk"), payment__voided_at__isnull=True)
        .values("family")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return (
        Family.objects.filter(in_reach(membership, "pk", Area.BILLING), organisation=organisation)
        .annotate(
            invoiced=Coalesce(Subquery(invoiced), ZERO, output_field=DecimalField()),
            paid=Coalesce(Subquery(paid), ZERO, output_field=DecimalField())
            - Coalesce(Subquery(refunded), ZERO, output_field=DecimalField()),
        )
        .annotate(balance=F("invoiced") - F("paid"))
        .filter(Q(invoiced__gt=0) | Q(paid__gt=0))
        .order_by("-balance", "name")
    )


def runs(organisation):
    return InvoiceRun.objects.filter(organisation=organisation).order_by("-created_at", "-id")


def invoice_list_for_staff(membership, params):
    """The invoice list as the back office filters and sorts it (`filterset.qs`)."""
    from .filters import InvoiceFilter

    return InvoiceFilter(params, queryset=invoices_for_staff(membership))


def payment_list_for_staff(membership, params):
    """The payments desk as the back office filters and sorts it (`filterset.qs`)."""
    from .filters import PaymentFilter

    return PaymentFilter(params, queryset=payments_for_staff(membership))


def balance_list_for_staff(membership, params):
    """The families' balances as the back office filters and sorts them (`filterset.qs`)."""
    from .filters import BalanceFilter

    return BalanceFilter(params, queryset=balances(membership))


def unpaid_list_for_staff(membership, params):
    """The open invoices to remind, filtered and sorted by the page (`filterset.qs`)."""
    from .filters import UnpaidFilter

    return UnpaidFilter(params, queryset=unpaid(membership))


# --- SEPA collections and corrections ---------------------------------------------------


def _whole_organisation(membership) -> None:
    """A collection file covers every mandate of the organisation: staff limited to some
    structures do not see it (404, as for anything out of their reach)."""
    if structure_limit(membership, Area.BILLING) is not None:
        raise Http404


def collections_for_staff(membership):
    from .sepa_models import SepaCollection

    _whole_organisation(membership)
    return SepaCollection.objects.filter(organisation_id=membership.organisation_id).defer("content")


def collection_list_for_staff(membership, params):
    """The SEPA collections as the back office filters and sorts them (`filterset.qs`), newest first."""
    from .filters import CollectionFilter

    return CollectionFilter(params, queryset=collections_for_staff(membership).order_by("-collection_date", "-pk"))


def get_collection_for_staff(membership, collection_id: int, *, with_content: bool = False):
    from .sepa_models import SepaCollection

    _whole_organisation(membership)
    collections = SepaCollection.objects.filter(organisation_id=membership.organisation_id)
    return get_object_or_404(collections if with_content else collections.defer("content"), pk=collection_id)


def collection_lines(collection):
    from .sepa_models import SepaCollectionLine

    return SepaCollectionLine.objects.filter(
        organisation_id=collection.organisation_id, collection=collection
    ).select_related("invoice", "family", "mandate", "fee_invoice", "payment")


def get_collection_line_for_staff(membership, line_id: int):
    from .sepa_models import SepaCollectionLine

    _whole_organisation(membership)
    lines = SepaCollectionLine.objects.filter(organisation_id=membership.organisation_id).select_related(
        "invoice", "family", "collection"
    )
    return get_object_or_404(lines, pk=line_id)


def collection_counts(collection) -> dict[str, int]:
    from django.db.models import Count

    return dict(collection_lines(collection).order_by().values_list("status").annotate(n=Count("pk")))


def refunds_for_family(family):
    return Refund.objects.filter(organisation=family.organisation, family=family).select_related("payment")


def creditable_lines(invoice):
    """The lines of an invoice a partial credit note may still take back."""
    from .models import InvoiceLine

    return InvoiceLine.objects.filter(organisation_id=invoice.organisation_id, invoice=invoice).filter(
        credited_by__isnull=True
    )
