"""Writes for reported absences: "Signaler une absence", a certificate sent later, staff marking
an absence justified, the organisation's rule, and waiving a charged line.

The rule enforced by report_absence: a family may report an absence on a day its child holds as
booked (not yet marked), today or later. Before the booking deadline it is the ordinary
cancellation (bookings.services.save_bookings: the place goes back, to the waiting list first);
after it, the day stays booked and an AbsenceReport records the reason, the moment, the missed
cut-off and the certificate if one was sent. Whether that day is charged is decided when the
invoice is made (absences.charging), by the organisation's AbsenceRule.
"""

from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.accounts.services import log_family_action
from ribambelle.bookings.models import Booking, BookingStatus
from ribambelle.bookings.services import BookingChange, deadline_for, is_past_deadline, save_bookings
from ribambelle.core.actions import action
from ribambelle.core.dates import long_date
from ribambelle.core.exceptions import DomainError
from ribambelle.core.services import record_audit, save_with_audit
from ribambelle.documents.files import CleanFile, clean_file, read_upload

from .models import AbsenceReason, AbsenceReport, AbsenceRule
from .selectors import rule_for


@dataclass(frozen=True)
class AbsenceOutcome:
    cancelled: bool  # before the deadline: the booking was cancelled, no report kept
    report: AbsenceReport | None = None


def _clean_certificate(upload) -> CleanFile:
    """The documents app's checks (content sniffed, images re-encoded without EXIF, PDFs parsed);
    a refusal names the certificate field."""
    try:
        return clean_file(read_upload(upload))
    except DomainError as error:
        raise DomainError(error.message, field="certificate") from None


def _store(report: AbsenceReport, clean: CleanFile) -> None:
    report.certificate_content_type = clean.content_type
    report.certificate_extension = clean.extension
    report.certificate_added_at = timezone.now()
    report.certificate.save(f"certificat.{clean.extension}", ContentFile(clean.content), save=False)


@action
def report_absence(*, booking: Booking, reason: str, upload=None, acting_user, request=None) -> AbsenceOutcome:
    """Signaler une absence (see the module docstring). The certificate is checked before anything
    is written: a bad file changes nothing."""
    if reason not in AbsenceReason.values:
        raise DomainError(_("Choisissez le motif de l'absence."), field="reason")
    clean = _clean_certificate(upload) if upload else None
    booking = (
        Booking.objects.select_for_update()
        .select_related("opening__activity__organisation", "opening__unit", "child__family")
        .get(pk=booking.pk, organisation_id=booking.organisation_id)
    )
    if booking.status != BookingStatus.BOOKED:
        raise DomainError(_("Cette journée n'est plus réservée ou a déjà été pointée : rien n'a été changé."))
    if booking.date < timezone.localdate():
        raise DomainError(_("Ce jour est passé : contactez la structure pour signaler l'absence."))
    if AbsenceReport.objects.filter(organisation_id=booking.organisation_id, booking=booking).exists():
        raise DomainError(_("Une absence est déjà signalée pour ce jour."))
    opening = booking.opening
    now = timezone.now()
    if not is_past_deadline(opening, now=now):
        result = save_bookings.inner(
            child=booking.child, changes=[BookingChange(opening.pk, False)], acting_user=acting_user, request=request
        )
        if result.cancelled:
            return AbsenceOutcome(cancelled=True)
        # The deadline passed between the two reads: the absence is reported instead.
    report = AbsenceReport(
        organisation_id=booking.organisation_id,
        booking=booking,
        family_id=booking.family_id,
        reason=reason,
        reported_at=now,
        cutoff=deadline_for(opening),
        reported_by=acting_user if acting_user is not None and acting_user.is_authenticated else None,
    )
    if clean is not None:
        _store(report, clean)
    report.full_clean(exclude=["certificate"])
    report.save()
    log_family_action(
        family=booking.child.family,
        user=acting_user,
        request=request,
        action="absence_reported",
        data={"child": booking.child.first_name, "date": booking.date.isoformat(), "unit": opening.unit.name},
    )
    return AbsenceOutcome(cancelled=False, report=report)


@action
def add_certificate(*, report: AbsenceReport, upload, acting_user, request=None) -> AbsenceReport:
    """A certificate sent after the report, within the rule's N days after the day of absence."""
    if not upload:
        raise DomainError(_("Choisissez le certificat (photo ou PDF)."), field="certificate")
    clean = _clean_certificate(upload)
    report = (
        AbsenceReport.objects.select_for_update()
        .select_related("booking", "booking__child", "organisation")
        .get(pk=report.pk, organisation_id=report.organisation_id)
    )
    if report.certificate:
        raise DomainError(_("Un certificat a déjà été envoyé pour cette absence."), field="certificate")
    rule = rule_for(report.organisation)
    due = report.certificate_due(rule)
    if timezone.localdate() > due:
        raise DomainError(
            _("Le délai pour fournir un certificat est dépassé (jusqu'au %(date)s).") % {"date": long_date(due)},
            field="certificate",
        )
    _store(report, clean)
    report.save(
        update_fields=[
            "certificate",
            "certificate_content_type",
            "certificate_extension",
            "certificate_added_at",
            "updated_at",
        ]
    )
    log_family_action(
        family=report.booking.child.family,
        user=acting_user,
        request=request,
        action="absence_certificate",
        data={"child": report.booking.child.first_name, "date": report.booking.date.isoformat()},
    )
    return report


@action
def mark_justified(*, report: AbsenceReport, acting_user) -> AbsenceReport:
    """Staff accept the absence as justified (a certificate handed in at the desk, a known illness)."""
    report = AbsenceReport.objects.select_for_update().get(pk=report.pk, organisation_id=report.organisation_id)
    if report.justified_at is not None:
        raise DomainError(_("Cette absence est déjà marquée justifiée."))
    report.justified_at = timezone.now()
    report.justified_by = acting_user
    report.save(update_fields=["justified_at", "justified_by", "updated_at"])
    record_audit(
        organisation=report.organisation, actor=acting_user, action="absence_justified", obj=report, changes={}
    )
    return report


@action
def save_rule(*, organisation, fields: dict, charge_late_cancellations: bool, acting_user) -> AbsenceRule:
    """The organisation's absence rule, and billing's late-cancellation setting shown with it."""
    from ribambelle.billing.services import save_settings, settings_for

    rule = save_with_audit(rule_for(organisation), fields=fields, acting_user=acting_user)
    billing = settings_for(organisation)
    if billing.pk is None or billing.charge_late_cancellations != charge_late_cancellations:
        save_settings.inner(
            settings=billing, fields={"charge_late_cancellations": charge_late_cancellations}, acting_user=acting_user
        )
    return rule


@action
def waive_line(*, line, reason: str, acting_user):
    """Staff give up one charged late cancellation or absence: a partial credit note for that line
    (billing.corrections.issue_partial_credit_note: the invoice owes less, any surplus paid goes
    back to the family's credit)."""
    from ribambelle.billing.corrections import issue_partial_credit_note

    from .selectors import waivable_line_ids

    if line.pk not in waivable_line_ids(line.invoice):
        raise DomainError(
            _("Seule une ligne d'annulation hors délai ou d'absence facturée peut faire l'objet d'une remise.")
        )
    return issue_partial_credit_note.inner(
        invoice=line.invoice, reason=reason, line_ids=[line.pk], acting_user=acting_user
    )
