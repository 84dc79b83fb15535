"""Demo of "absences in two taps" (issue 22): Quercy's absence rule (a certificate within 3 days →
not charged; without one, charged; late cancellations charged), and Hugo MARTIN's next
périscolaire day reported as absent after the deadline, with his doctor's certificate (a photo,
checked and re-encoded as a family's would be). The demo parent sees it on the dashboard, the
director on the roll call and in "Absences signalées".

Runs once, after the activities (the loader's registry keeps it idempotent)."""

from django.core.files.base import ContentFile
from django.utils import timezone


def load(quercy) -> None:
    from ribambelle.absences.models import AbsenceReason, AbsenceReport, AbsenceRule
    from ribambelle.billing.models import BillingSettings
    from ribambelle.bookings.models import Booking, BookingStatus
    from ribambelle.bookings.services import deadline_for
    from ribambelle.demo.data import _person
    from ribambelle.documents.files import clean_file
    from ribambelle.documents.samples import jpeg_bytes

    AbsenceRule.objects.get_or_create(
        organisation=quercy, defaults={"certificate_days": 3, "charge_justified": False, "charge_unjustified": True}
    )
    BillingSettings.objects.filter(organisation=quercy).update(charge_late_cancellations=True)
    hugo = _person(quercy, "MARTIN", "Hugo")
    booking = (
        Booking.objects.filter(
            organisation=quercy,
            child=hugo,
            status=BookingStatus.BOOKED,
            date__gte=timezone.localdate(),
            absence_report__isnull=True,
        )
        .select_related("opening__activity__organisation")
        .order_by("date", "pk")
        .first()
    )
    if booking is None:
        return
    now = timezone.now()
    clean = clean_file(jpeg_bytes("Certificat médical – Hugo MARTIN"))
    report = AbsenceReport(
        organisation=quercy,
        booking=booking,
        family_id=booking.family_id,
        reason=AbsenceReason.ILLNESS,
        reported_at=now,
        cutoff=min(deadline_for(booking.opening), now),
        certificate_content_type=clean.content_type,
        certificate_extension=clean.extension,
        certificate_added_at=now,
    )
    report.certificate.save(f"certificat.{clean.extension}", ContentFile(clean.content), save=False)
    report.save()
