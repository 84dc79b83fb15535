"""Many families saving at the same instant for the last places: capacity is never exceeded
and the waiting list keeps the order in which requests were served. Runs on PostgreSQL (row
locks) and on SQLite (IMMEDIATE transactions serialise writers)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone
from django_scopes import scope

from ribambelle.activities.models import Opening
from ribambelle.bookings.models import Booking, BookingStatus
from ribambelle.bookings.services import BookingChange, save_bookings

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

FAMILIES = 24
CAPACITY = 10


def _children(organisation, group, n):
    children = []
    for _ in range(n):
        family = FamilyFactory(organisation=organisation)
        child = PersonFactory(organisation=organisation, family=family)
        RegistrationFactory(organisation=organisation, family=family, child=child, group=group)
        children.append(child)
    return children


def _race(children, opening_ids, *, join_waiting_list=True):
    barrier = threading.Barrier(len(children))
    errors = []

    def save(child):
        try:
            barrier.wait(timeout=30)
            with scope(organisation=child.organisation_id):  # each thread is a family's request
                save_bookings(
                    child=child,
                    changes=[BookingChange(o, True, join_waiting_list) for o in opening_ids],
                    acting_user=None,
                )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(child,)) for child in children]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_concurrent_saves_never_exceed_capacity():
    organisation = OrganisationFactory()
    start = timezone.localdate() + timedelta(days=30)
    activity = ActivityFactory(organisation=organisation, start_date=start, end_date=start + timedelta(days=4))
    group = GroupFactory(organisation=organisation, activity=activity, default_capacity=CAPACITY)
    unit = UnitFactory(organisation=organisation, activity=activity)
    openings = [
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
    children = _children(organisation, group, FAMILIES)

    errors = _race(children, [o.pk for o in openings])

    assert errors == []
    for opening in openings:
        booked = Booking.objects.filter(opening=opening, status=BookingStatus.BOOKED).count()
        waiting = list(
            Booking.objects.filter(opening=opening, status=BookingStatus.WAITING).order_by("created_at", "id")
        )
        assert booked == CAPACITY, (connection.vendor, opening.date, booked)
        assert len(waiting) == FAMILIES - CAPACITY

    # Places freed one by one go to the waiting list in its order.
    opening = openings[0]
    queue = list(
        Booking.objects.filter(opening=opening, status=BookingStatus.WAITING)
        .order_by("created_at", "id")
        .values_list("child_id", flat=True)
    )
    holders = list(Booking.objects.filter(opening=opening, status=BookingStatus.BOOKED).values_list("child", flat=True))
    for i, holder in enumerate(holders[:3]):
        from ribambelle.families.models import Person

        save_bookings(child=Person.objects.get(pk=holder), changes=[BookingChange(opening.pk, False)], acting_user=None)
        assert Booking.objects.get(opening=opening, child_id=queue[i]).status == BookingStatus.BOOKED
    assert Booking.objects.filter(opening=opening, status=BookingStatus.BOOKED).count() == CAPACITY
    assert Opening.objects.get(pk=opening.pk).capacity == CAPACITY
