"""What the database holds of the capacity rule: a place given beyond a day's capacity (staff
only) always carries its reason. The count itself is enforced under the openings' lock
(tests/concurrency/test_booking_race.py)."""

import pytest
from django.db import IntegrityError, transaction

from ribambelle.bookings import services
from ribambelle.bookings.models import Booking
from ribambelle.bookings.services import BookingChange

from .factories import BookingFactory
from .test_bookings import setup  # noqa: F401 - the fixture


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
