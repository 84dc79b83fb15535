"""Writes for "Mes réservations" for the whole family: one save for every child's changes.

The rule is save_bookings' own (registration, closed days, deadline, exclusions, places counted
under the lock); this only makes several children's saves one all-or-nothing unit, and takes the
locks so that concurrent savers never deadlock."""

from django.utils.translation import gettext as _

from ribambelle.core.actions import action
from ribambelle.core.exceptions import DomainError

from .models import LIVE_STATUSES, Booking
from .services import BookingChange, BookingResult, _lock_openings, save_bookings


@action
def save_family_bookings(
    *, family, changes: list[tuple[object, int, bool, bool]], acting_user, request=None
) -> dict[int, BookingResult]:
    """Apply (child, opening id, book?, join the waiting list?) changes for several children of one
    family in one transaction: all of them or none (a refusal by the database rolls back every child).

    Only the days that change something are locked: first all of them together, in primary-key
    order — the order every saver takes its locks in — then each child's save (children by id)
    finds its own days already locked. Taking them child by child would lock out of order (child A's
    day 7 before child B's day 3) and could deadlock against another family saving at once."""
    by_child: dict[int, tuple[object, list[BookingChange]]] = {}
    for child, opening_id, book, join_waiting_list in changes:
        if child.family_id != family.pk or child.organisation_id != family.organisation_id:
            raise DomainError(_("Cet enfant n'appartient pas à votre famille."))
        by_child.setdefault(child.pk, (child, []))[1].append(BookingChange(opening_id, book, join_waiting_list))
    if not by_child:
        return {}
    held = set(
        Booking.objects.filter(
            organisation_id=family.organisation_id,
            child_id__in=list(by_child),
            opening_id__in={c.opening_id for _child, cs in by_child.values() for c in cs},
            status__in=LIVE_STATUSES,
        ).values_list("child_id", "opening_id")
    )
    effective = {
        child_id: (child, sorted((c for c in cs if c.book != ((child_id, c.opening_id) in held)), key=_by_opening))
        for child_id, (child, cs) in by_child.items()
    }
    _lock_openings(
        sorted({c.opening_id for _child, cs in effective.values() for c in cs}),
        organisation_id=family.organisation_id,
    )
    results = {}
    for child_id in sorted(effective):
        child, child_changes = effective[child_id]
        if child_changes:
            results[child_id] = save_bookings.inner(
                child=child, changes=child_changes, acting_user=acting_user, request=request
            )
    return results


def _by_opening(change: BookingChange) -> int:
    return change.opening_id
