"""What billing needs to decide and explain the charge of a late cancellation or a reported absence.

billing.services loads a batch of bookings; `attach_absence_facts` adds to the concerned ones an
`absence_facts` (a few queries per batch, whatever its size), which billing.charges.is_chargeable
asks: charged or not by the organisation's rule, and the line's note naming the rule and the
missed cut-off, e.g. "annulé le 12/03 à 19:40, délai : 11/03 à 12:00". The note is stored on the
invoice line, so the PDF, the portal and the back office show what the family was told. Like
billing.charges' own notes, it is written in French: it is stored and printed, not shown in the
reader's language.
"""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from ribambelle.bookings.models import Booking, BookingStatus
from ribambelle.core.dates import booking_deadline

from .models import AbsenceReport, AbsenceRule


def _at(moment: datetime, tz) -> str:
    local = moment.astimezone(tz)
    return f"{local:%d/%m} à {local:%H:%M}"


@dataclass(frozen=True)
class LateCancellation:
    cancelled_at: datetime
    cutoff: datetime
    tz: ZoneInfo

    def decide(self, billing_settings) -> tuple[bool, str]:
        charged = billing_settings.charge_late_cancellations
        rule = "facturée" if charged else "non facturée"
        at, cutoff = _at(self.cancelled_at, self.tz), _at(self.cutoff, self.tz)
        return (
            charged,
            f"Annulation hors délai (règle : annulation hors délai {rule}) – annulé le {at}, délai : {cutoff}",
        )


@dataclass(frozen=True)
class ReportedAbsence:
    report: AbsenceReport
    justified: bool
    rule: AbsenceRule
    tz: ZoneInfo

    def decide(self, billing_settings) -> tuple[bool, str]:
        report, rule = self.report, self.rule
        moments = f"signalée le {_at(report.reported_at, self.tz)}, délai : {_at(report.cutoff, self.tz)}"
        if self.justified:
            charged = rule.charge_justified
            rule_text = "règle : absence justifiée facturée" if charged else "règle : absence justifiée non facturée"
            return charged, f"Absence signalée justifiée ({rule_text}) – {moments}"
        charged = rule.charge_unjustified
        days = rule.certificate_days
        rule_text = (
            f"règle : facturée sans certificat sous {days} jours"
            if charged
            else f"règle : non facturée même sans certificat sous {days} jours"
        )
        return charged, f"Absence signalée sans justificatif ({rule_text}) – {moments}"


def attach_absence_facts(bookings: list[Booking], organisation) -> None:
    """Set `absence_facts` on the late-cancelled and the reported bookings of a batch."""
    if not bookings:
        return
    tz = ZoneInfo(organisation.time_zone)
    by_pk = {b.pk: b for b in bookings}
    reports = list(AbsenceReport.objects.filter(organisation=organisation, booking_id__in=list(by_pk)))
    if reports:
        rule = AbsenceRule.objects.filter(organisation=organisation).first() or AbsenceRule(organisation=organisation)
        for report in reports:
            booking = by_pk[report.booking_id]
            report.booking = booking  # its date is loaded: no query
            justified = booking.status == BookingStatus.EXCUSED or report.is_justified(rule, tz=tz)
            booking.absence_facts = ReportedAbsence(report, justified, rule, tz)
    late = [
        b.pk
        for b in bookings
        if b.status == BookingStatus.CANCELLED and b.late_cancellation and not hasattr(b, "absence_facts")
    ]
    if late:
        rows = Booking.objects.filter(organisation=organisation, pk__in=late).values_list(
            "pk",
            "updated_at",
            "date",
            "activity__deadline_days",
            "activity__deadline_time",
            "activity__deadline_working_days",
        )
        for pk, cancelled_at, day, days_before, at, working_days_only in rows:
            cutoff = booking_deadline(
                day=day, days_before=days_before, at=at, working_days_only=working_days_only, tz=organisation.time_zone
            )
            by_pk[pk].absence_facts = LateCancellation(cancelled_at, cutoff, tz)
