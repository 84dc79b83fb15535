"""Reads for reported absences: what a family may report, a family's and a staff member's
reports (404 outside their reach), the back office's list, and which invoice lines may be waived."""

from datetime import timedelta

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from ribambelle.bookings.models import Booking, BookingStatus
from ribambelle.tenancy.access import families_in_reach

from .models import AbsenceReport, AbsenceRule

UPCOMING_SHOWN = 6


def rule_for(organisation) -> AbsenceRule:
    """The organisation's absence rule (the defaults, unsaved, until staff set it)."""
    return AbsenceRule.objects.filter(organisation=organisation).first() or AbsenceRule(organisation=organisation)


def get_booking_to_report(family, booking_id: int) -> Booking:
    """A booked day of this family's (404 otherwise), with what the report page shows."""
    return get_object_or_404(
        Booking.objects.filter(organisation_id=family.organisation_id, family=family).select_related(
            "child", "opening__unit", "opening__activity__organisation", "activity"
        ),
        pk=booking_id,
    )


def get_report_for_family(family, report_id: int) -> AbsenceReport:
    return get_object_or_404(
        AbsenceReport.objects.filter(organisation_id=family.organisation_id, family=family).select_related(
            "booking__child", "booking__opening__unit", "booking__activity"
        ),
        pk=report_id,
    )


def reports_for_staff(membership):
    """The reports of the families within the member's structures (tenancy.access.families_in_reach:
    a certificate is read like the family's other documents)."""
    queryset = AbsenceReport.objects.filter(organisation_id=membership.organisation_id)
    families = families_in_reach(membership)
    return queryset if families is None else queryset.filter(family_id__in=families)


def get_report_for_staff(membership, report_id: int) -> AbsenceReport:
    return get_object_or_404(
        reports_for_staff(membership).select_related("booking__child", "booking__activity", "family"), pk=report_id
    )


def upcoming_days_for_family(family, *, limit: int = UPCOMING_SHOWN) -> list[Booking]:
    """The family's next booked days (today included), each with its report if any: one query."""
    return list(
        Booking.objects.filter(
            organisation_id=family.organisation_id,
            family=family,
            status=BookingStatus.BOOKED,
            date__gte=timezone.localdate(),
        )
        .select_related("child", "opening__unit", "activity", "absence_report")
        .order_by("date", "child__first_name", "pk")[:limit]
    )


def reports_awaiting_certificate(family) -> list[AbsenceReport]:
    """Past reported absences still waiting for a certificate that may yet be sent (one query: the
    rule's delay is read through a subquery)."""
    from django.db.models import OuterRef, Subquery

    today = timezone.localdate()
    days = Subquery(
        AbsenceRule.objects.filter(organisation_id=OuterRef("organisation_id")).values("certificate_days")[:1]
    )
    reports = (
        AbsenceReport.objects.filter(
            organisation_id=family.organisation_id,
            family=family,
            certificate="",
            justified_at__isnull=True,
            booking__date__lt=today,
            booking__date__gte=today - timedelta(days=60),
        )
        .annotate(delay=days)
        .select_related("booking__child", "booking__activity")
        .order_by("booking__date", "pk")
    )
    default = AbsenceRule._meta.get_field("certificate_days").default
    return [r for r in reports if r.booking.date + timedelta(days=default if r.delay is None else r.delay) >= today]


def bookable_days_shown(child, start, end) -> list[Booking]:
    """The child's booked days between two dates from today on (the planning's "Signaler une absence")."""
    return list(
        Booking.objects.filter(
            organisation_id=child.organisation_id,
            child=child,
            status=BookingStatus.BOOKED,
            date__gte=max(start, timezone.localdate()),
            date__lte=end,
        )
        .select_related("opening__unit", "activity", "absence_report")
        .order_by("date", "pk")
    )


def reports_list_for_staff(membership, params):
    from .filters import ReportedAbsenceFilter

    queryset = (
        reports_for_staff(membership)
        .select_related("booking__child", "booking__activity", "booking__opening__unit", "family")
        .order_by("booking__date", "family__name", "pk")
    )
    return ReportedAbsenceFilter(params, queryset=queryset)


def get_line_for_staff(membership, line_id: int):
    """An invoice line of an invoice within the member's billing reach, 404 otherwise."""
    from ribambelle.billing.models import InvoiceLine
    from ribambelle.billing.selectors import invoices_for_staff

    line = get_object_or_404(
        InvoiceLine.objects.filter(organisation_id=membership.organisation_id).select_related("invoice"),
        pk=line_id,
        invoice__in=invoices_for_staff(membership).values("pk"),
    )
    return line


def waivable_line_ids(invoice) -> set[int]:
    """The lines of an invoice that charge a late cancellation or an absence (marked or reported)
    and that no credit note took back yet: those staff may waive one by one."""
    from ribambelle.billing.models import InvoiceKind, InvoiceLine

    if invoice.kind != InvoiceKind.INVOICE:
        return set()
    penalty = (
        Q(booking__late_cancellation=True, booking__status=BookingStatus.CANCELLED)
        | Q(booking__status__in=(BookingStatus.ABSENT, BookingStatus.EXCUSED))
        | (Q(booking__absence_report__isnull=False) & ~Q(booking__status=BookingStatus.PRESENT))
    )
    return set(
        InvoiceLine.objects.filter(organisation_id=invoice.organisation_id, invoice=invoice, amount__gt=0)
        .filter(penalty)
        .exclude(credited_by__isnull=False)
        .values_list("pk", flat=True)
    )
