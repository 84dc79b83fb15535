"""What the database holds of the capacity rule: a place given beyond a day's capacity (staff
only) always carries its reason. The count itself is enforced under the openings' lock
(tests/concurrency/test_booking_race.py)."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ribambelle.activities.models import Opening
from ribambelle.bookings import services
from ribambelle.bookings.models import Booking
from ribambelle.bookings.services import BookingChange

from .factories import BookingFactory, OpeningFactory
from .test_bookings import _register, setup  # noqa: F401 - the fixture


def test_a_place_beyond_capacity_is_flagged_with_its_reason(tenant_a, setup):  # noqa: F811
    opening = setup["openings"][0]
    opening.capacity = 0
    opening.save()
    result = services.save_bookings(
        child=setup["lea"],
        changes=[BookingChange(opening.pk, True)],
        acting_user=tenant_a.admin,
        as_staff=True,
        over_capacity_reason="Urgence famille",
    )
    booking = Booking.objects.get(pk=result.booked[0].pk)
    assert booking.over_capacity and booking.staff_note == "Urgence famille"


def test_the_database_refuses_a_place_beyond_capacity_without_a_reason(tenant_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingFactory(organisation=tenant_a.organisation, status="booked", over_capacity=True, staff_note="")


def test_the_database_refuses_a_place_beyond_capacity(tenant_a):
    """Whatever writes the booking (here a factory, with no lock and no count), the database holds
    the rule: the triggers of migration bookings/0008."""
    opening = OpeningFactory(organisation=tenant_a.organisation, capacity=1)
    BookingFactory(organisation=tenant_a.organisation, opening=opening, status="booked")
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingFactory(organisation=tenant_a.organisation, opening=opening, status="booked")
    waiting = BookingFactory(organisation=tenant_a.organisation, opening=opening, status="waiting")
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=waiting.pk).update(status="booked")
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=waiting.pk).update(offer_expires_at=timezone.now())
    # Staff beyond capacity, with the reason: allowed, and counted (the day stays full).
    BookingFactory(
        organisation=tenant_a.organisation, opening=opening, status="booked", over_capacity=True, staff_note="Urgence"
    )
    assert services._places_taken(tenant_a.organisation.pk, [opening.pk]) == {opening.pk: (1, 2)}
    # Lowering the capacity takes no place from anyone, and the roll call still works.
    Opening.objects.filter(pk=opening.pk).update(capacity=0)
    Booking.objects.filter(opening=opening, status="booked").update(status="present")
    assert Booking.objects.filter(opening=opening, status="present").count() == 2


def test_a_place_freed_below_a_lowered_capacity_is_not_given_to_the_waiting_list(tenant_a, setup):  # noqa: F811
    opening = setup["openings"][0]  # 2 places
    children = [setup["lea"], *(_register(tenant_a, setup, tenant_a.other_family_user) for _ in range(2))]
    for child in children:
        services.save_bookings(child=child, changes=[BookingChange(opening.pk, True, True)], acting_user=None)
    services.change_capacity(opening=opening, capacity=1, acting_user=tenant_a.admin)
    services.save_bookings(child=children[0], changes=[BookingChange(opening.pk, False)], acting_user=None)
    assert Booking.objects.get(child=children[2], opening=opening).status == "waiting"  # 1 place, 1 held
