"""Roll-call taps recorded on a device, possibly offline, and sent later in batches.

The rules apply_taps enforces:
- each tap is applied at most once: its device-made id is stored (unique per organisation), so
  the same batch sent again (a retry after a lost answer) changes nothing;
- on one booking, the tap made later on its device wins (the server's receipt breaks a tie): a tap
  older than the one already applied is kept for the record but changes nothing;
- a tap cannot be later than its receipt (a device clock running ahead would otherwise win every
  disagreement);
- two staff members marking the same child differently is a conflict: the tap records which tap it
  disagreed with, and the back office lists it ("conflits de pointage").
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, time

from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError

from .models import AttendanceTap, Booking, TapOutcome
from .services import ATTENDANCE, mark_attendance

DUPLICATE = "duplicate"  # the tap was already here: nothing done (not stored twice)


@dataclass(frozen=True)
class Tap:
    tap_id: uuid.UUID
    booking_id: int
    status: str
    arrived_at: time | None
    left_at: time | None
    tapped_at: datetime


@dataclass
class TapResult:
    tap_id: uuid.UUID
    booking_id: int
    outcome: str  # TapOutcome value, or DUPLICATE
    message: str = ""
    conflict: bool = False


@dataclass
class TapBatch:
    results: list[TapResult]
    bookings: dict[int, Booking]  # the bookings concerned, as they stand after the batch


@action
def apply_taps(*, organisation_id: int, booking_ids: set[int], taps: list[Tap], acting_user) -> TapBatch:
    """Apply a device's taps (see the module docstring). `booking_ids` are the bookings the caller
    checked to be within the staff member's reach; a tap on any other booking is refused."""
    now = timezone.now()
    ids = sorted(booking_ids)
    # Lock the bookings first, in primary-key order (no deadlock between two devices): the same
    # batch sent twice at once waits here, then finds its taps stored and changes nothing.
    bookings = {
        b.pk: b
        for b in Booking.objects.select_for_update(of=("self",))
        .select_related("organisation", "family__organisation", "child", "opening__group", "opening__unit")
        .filter(organisation_id=organisation_id, pk__in=ids)
        .order_by("pk")
    }
    known = set(
        AttendanceTap.objects.filter(organisation_id=organisation_id, tap_id__in=[t.tap_id for t in taps]).values_list(
            "tap_id", flat=True
        )
    )
    current: dict[int, AttendanceTap] = {}
    for applied in AttendanceTap.objects.filter(
        organisation_id=organisation_id, booking_id__in=ids, outcome=TapOutcome.APPLIED
    ).order_by("tapped_at", "received_at", "pk"):
        current[applied.booking_id] = applied  # the last one wins
    results = []
    for tap in sorted(taps, key=lambda t: t.tapped_at):
        if tap.tap_id in known:
            results.append(TapResult(tap.tap_id, tap.booking_id, DUPLICATE))
            continue
        booking = bookings.get(tap.booking_id)
        if booking is None:
            raise DomainError(_("Ce pointage concerne un enfant hors de votre portée : rien n'a été enregistré."))
        if tap.status not in ATTENDANCE:
            results.append(
                TapResult(
                    tap.tap_id,
                    tap.booking_id,
                    TapOutcome.REJECTED,
                    _("Choisissez présent, absent ou absence justifiée."),
                )
            )
            continue
        known.add(tap.tap_id)
        tapped_at = min(tap.tapped_at, now)
        previous = current.get(booking.pk)
        disagrees = (
            previous is not None
            and previous.recorded_by_id != getattr(acting_user, "pk", None)
            and previous.status != tap.status
        )
        row = AttendanceTap(
            organisation_id=organisation_id,
            tap_id=tap.tap_id,
            booking=booking,
            status=tap.status,
            arrived_at=tap.arrived_at,
            left_at=tap.left_at,
            tapped_at=tapped_at,
            received_at=now,
            recorded_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
            conflicts_with=previous if disagrees else None,
        )
        if previous is not None and tapped_at < previous.tapped_at:
            row.outcome = TapOutcome.SUPERSEDED
        else:
            try:
                mark_attendance.inner(
                    booking=booking,
                    status=tap.status,
                    arrived_at=tap.arrived_at,
                    left_at=tap.left_at,
                    acting_user=acting_user,
                )
            except DomainError as error:  # checked before any write: nothing to undo
                row.outcome, row.message = TapOutcome.REJECTED, str(error.message)[:200]
            else:
                row.outcome = TapOutcome.APPLIED
                # What the booking now says (an arrival filled in by "Présent" included).
                row.arrived_at, row.left_at = booking.arrived_at, booking.left_at
                current[booking.pk] = row
        row.save()
        results.append(TapResult(tap.tap_id, tap.booking_id, row.outcome, row.message, conflict=disagrees))
    return TapBatch(results=results, bookings=bookings)
