"""Billing reads, scoped to an organisation (staff) or a family (portal)."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from .models import (
    ZERO,
    Invoice,
    InvoiceKind,
    InvoiceRun,
    InvoiceStatus,
    Payment,
    PaymentAllocation,
    QuotientBracket,
    SepaMandate,
    Tariff,
)

OPEN = (InvoiceStatus.DUE, InvoiceStatus.PARTIAL)


def invoices_for_family(family):
    return Invoice.objects.filter(organisation=family.organisation, family=family).select_related("credited_invoice")


def get_invoice_for_family(family, invoice_id: int) -> Invoice:
    return get_object_or_404(invoices_for_family(family), pk=invoice_id)


def get_invoice_for_staff(organisation, invoice_id: int) -> Invoice:
    return get_object_or_404(Invoice.objects.filter(organisation=organisation).select_related("family"), pk=invoice_id)


def payments_for_family(family):
    return (
        Payment.objects.filter(organisation=family.organisation, family=family)
        .prefetch_related("allocations__invoice")
        .order_by("-received_on", "-id")
    )


def get_payment_for_family(family, payment_id: int) -> Payment:
    return get_object_or_404(payments_for_family(family), pk=payment_id)


def get_payment_for_staff(organisation, payment_id: int) -> Payment:
    return get_object_or_404(
        Payment.objects.filter(organisation=organisation)
        .select_related("family")
        .prefetch_related("allocations__invoice"),
        pk=payment_id,
    )


def get_run_for_staff(organisation, run_id: int) -> InvoiceRun:
    return get_object_or_404(InvoiceRun.objects.filter(organisation=organisation), pk=run_id)


def get_tariff_for_staff(organisation, tariff_id: int) -> Tariff:
    return get_object_or_404(
        Tariff.objects.filter(organisation=organisation).select_related("activity", "unit").prefetch_related("prices"),
        pk=tariff_id,
    )


def get_mandate_for_staff(organisation, mandate_id: int) -> SepaMandate:
    return get_object_or_404(SepaMandate.objects.filter(organisation=organisation), pk=mandate_id)


def brackets(organisation):
    return QuotientBracket.objects.filter(organisation=organisation)


@dataclass
class Situation:
    total_due: Decimal
    total_paid: Decimal
    next_due_date: date | None
    credit: Decimal


def family_situation(family) -> Situation:
    """Total still due, total paid, next due date, and money paid but not yet allocated (one query)."""
    from ribambelle.families.models import Family

    invoices = Invoice.objects.filter(organisation=family.organisation, family=family, kind=InvoiceKind.INVOICE)
    open_ = invoices.filter(status__in=OPEN)
    payments = Payment.objects.filter(organisation=family.organisation, family=family)
    row = (
        Family.objects.filter(pk=family.pk)
        .values(
            total=_scalar(open_, Sum("total")),
            paid_on_open=_scalar(open_, Sum("amount_paid")),
            paid=_scalar(payments, Sum("amount")),
            # Summed apart from the payments: a payment with two allocations would count twice.
            allocated=_scalar(PaymentAllocation.objects.filter(payment__in=payments.values("pk")), Sum("amount")),
            next_due=Subquery(open_.order_by("due_date").values("due_date")[:1]),
        )
        .get()
    )
    paid = row["paid"] or ZERO
    return Situation(
        total_due=(row["total"] or ZERO) - (row["paid_on_open"] or ZERO),
        total_paid=paid,
        next_due_date=row["next_due"],
        credit=paid - (row["allocated"] or ZERO),
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


def unpaid(organisation):
    return (
        Invoice.objects.filter(organisation=organisation, kind=InvoiceKind.INVOICE, status__in=OPEN)
        .select_related("family")
        .order_by("due_date", "pk")
    )


def balances(organisation):
    """Per family with billing: invoiced (net of credit notes), paid, and the balance."""
    from ribambelle.families.models import Family

    invoiced = (
        Invoice.objects.filter(organisation=organisation, family=OuterRef("pk"))
        .exclude(status=InvoiceStatus.CREDITED)
        .exclude(kind=InvoiceKind.CREDIT_NOTE)
        .values("family")
        .annotate(s=Sum("total"))
        .values("s")
    )
    paid = (
        Payment.objects.filter(organisation=organisation, family=OuterRef("pk"))
        .values("family")
        .annotate(s=Sum("amount"))
        .values("s")
    )
    return (
        Family.objects.filter(organisation=organisation)
        .annotate(
            invoiced=Coalesce(Subquery(invoiced), ZERO, output_field=DecimalField()),
            paid=Coalesce(Subquery(paid), ZERO, output_field=DecimalField()),
        )
        .annotate(balance=F("invoiced") - F("paid"))
        .filter(Q(invoiced__gt=0) | Q(paid__gt=0))
        .order_by("-balance", "name")
    )


def runs(organisation):
    return InvoiceRun.objects.filter(organisation=organisation).order_by("-created_at", "-id")
