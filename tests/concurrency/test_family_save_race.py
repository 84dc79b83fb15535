"""Families saving several children at once ("Mes réservations – toute la famille"), all at the same
instant, on the same days: capacity is never exceeded and no save fails — in particular none
deadlocks, although half the families have their first child in one group and the other half in
the other (child by child, they would lock the two groups' days in opposite orders)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from django_scopes import scope

from ribambelle.bookings.family_services import save_family_bookings
from ribambelle.bookings.models import Booking, BookingStatus

from ..factories import (
    ActivityFactory,
    FamilyFactory,
    GroupFactory,
    OpeningFactory,
    OrganisationFactory,
    PersonFactory,
    RegistrationFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

FAMILIES = 12
CAPACITY = 5


def _world():
    organisation = OrganisationFactory()
    start = timezone.localdate() + timedelta(days=30)
    activity = ActivityFactory(organisation=organisation, start_date=start, end_date=start + timedelta(days=4))
    unit = UnitFactory(organisation=organisation, activity=activity)
    groups = [GroupFactory(organisation=organisation, activity=activity) for _ in range(2)]
    openings = {
        group.pk: [
            OpeningFactory(
                organisation=organisation,
                activity=activity,
                unit=unit,
                group=group,
                date=start + timedelta(days=i),
                capacity=CAPACITY,
            )
            for i in range(3)
        ]
        for group in groups
    }
    families = []
    for n in range(FAMILIES):
        family = FamilyFactory(organisation=organisation)
        children = []
        # The first child (by id, the order of the save) in one group for even families, the other for odd ones.
        for group in groups if n % 2 == 0 else reversed(groups):
            child = PersonFactory(organisation=organisation, family=family)
            RegistrationFactory(organisation=organisation, family=family, child=child, group=group)
            children.append((child, group))
        families.append((family, children))
    return organisation, openings, families


def _race(organisation, openings, families) -> list[str]:
    barrier = threading.Barrier(FAMILIES)
    errors = []

    def save(family, children):
        try:
            barrier.wait(timeout=30)
            with scope(organisation=organisation.pk):
                save_family_bookings(
                    family=family,
                    changes=[(child, o.pk, True, True) for child, group in children for o in openings[group.pk]],
                    acting_user=None,
                )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=family) for family in families]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    return errors


def test_concurrent_family_saves_never_overbook_nor_deadlock(slow_count):
    organisation, openings, families = _world()

    errors = _race(organisation, openings, families)

    assert errors == [], connection.vendor
    for group_openings in openings.values():
        for opening in group_openings:
            booked = Booking.objects.filter(opening=opening, status=BookingStatus.BOOKED).count()
            waiting = Booking.objects.filter(opening=opening, status=BookingStatus.WAITING).count()
            assert (booked, waiting) == (CAPACITY, FAMILIES - CAPACITY), (connection.vendor, opening.pk)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks to take out of order")
def test_control_child_by_child_locks_deadlock(slow_count, monkeypatch):
    """Without the family's locks taken first, all together in id order, the same race fails:
    each child's save locks its own group's days, and families lock the two groups in opposite orders."""
    from ribambelle.bookings import family_services

    monkeypatch.setattr(family_services, "_lock_openings", lambda ids, *, organisation_id: None)
    errors = _race(*_world())
    assert errors
