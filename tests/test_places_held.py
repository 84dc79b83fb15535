"""The places held on each day, counted by the database as bookings are written (bookings.PlacesHeld,
migration bookings/0008): after every kind of write — a save, a cancellation handing the place to
the waiting list, an offer, its expiry, its acceptance, the roll call, a place given beyond capacity,
an update or a delete outside the services — the counter equals a count of the bookings holding a
place, and the save reads it."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from ribambelle.bookings import services
from ribambelle.bookings.models import Booking, BookingSettings, BookingStatus, PlacesHeld, WaitingListRule, holds_place
from ribambelle.bookings.services import BookingChange

from .test_bookings import _register, setup  # noqa: F401 - the fixture


def _check(opening) -> int:
    """The counter, once checked against a count of the bookings holding a place."""
    counted = Booking.objects.filter(opening=opening).filter(holds_place()).count()
    held = PlacesHeld.objects.filter(opening=opening).values_list("held", flat=True).first() or 0
    assert held == counted
    assert services._places_taken(opening.organisation_id, [opening.pk]) == {opening.pk: (opening.capacity, held)}
    return held


def test_the_counter_follows_every_write_of_a_booking(tenant_a, setup):  # noqa: F811
    BookingSettings.objects.create(
        organisation=tenant_a.organisation, waiting_list_rule=WaitingListRule.OFFER, offer_hours=24
    )
    opening = setup["openings"][0]  # 2 places
    assert _check(opening) == 0
    children = [setup["lea"], *(_register(tenant_a, setup, tenant_a.other_family_user) for _ in range(4))]
    for child in children:  # two booked, three on the waiting list
        services.save_bookings(child=child, changes=[BookingChange(opening.pk, True, True)], acting_user=None)
    assert _check(opening) == 2
    # A booked child leaves: its place is offered to the first in line (still held, by the offer).
    services.save_bookings(child=children[0], changes=[BookingChange(opening.pk, False)], acting_user=None)
    offered = Booking.objects.get(child=children[2], opening=opening)
    assert offered.offer_expires_at is not None and _check(opening) == 2
    # Not taken in time: the place passes to the next in line.
    assert services.expire_offers(now=offered.offer_expires_at + timedelta(seconds=1)) == 1
    following = Booking.objects.get(child=children[3], opening=opening)
    assert following.offer_expires_at is not None and _check(opening) == 2
    services.accept_offer(booking=following, acting_user=None)
    assert _check(opening) == 2
    # The roll call moves between holding states: nothing changes.
    Booking.objects.filter(opening=opening, status=BookingStatus.BOOKED).update(status=BookingStatus.PRESENT)
    assert _check(opening) == 2
    # Staff beyond capacity, with the reason: counted.
    extra = _register(tenant_a, setup, tenant_a.other_family_user)
    services.save_bookings(
        child=extra,
        changes=[BookingChange(opening.pk, True)],
        acting_user=tenant_a.admin,
        as_staff=True,
        over_capacity_reason="Urgence famille",
    )
    assert _check(opening) == 3
    # Writes outside the services: an update, a delete.
    Booking.objects.filter(child=extra, opening=opening).update(status=BookingStatus.CANCELLED)
    assert _check(opening) == 2
    Booking.objects.filter(opening=opening, status=BookingStatus.PRESENT).first().delete()
    assert _check(opening) == 1
    Booking.objects.filter(opening=opening).delete()
    assert _check(opening) == 0


def test_a_refused_place_leaves_the_counter_as_it_was(tenant_a, setup):  # noqa: F811
    opening = setup["openings"][1]
    children = [setup["lea"], *(_register(tenant_a, setup, tenant_a.other_family_user) for _ in range(2))]
    for child in children[:2]:
        services.save_bookings(child=child, changes=[BookingChange(opening.pk, True)], acting_user=None)
    waiting = services.save_bookings(
        child=children[2], changes=[BookingChange(opening.pk, True, True)], acting_user=None
    )
    with pytest.raises(IntegrityError), transaction.atomic():  # the guard refuses a third place
        Booking.objects.filter(pk=waiting.waitlisted[0].pk).update(status=BookingStatus.BOOKED)
    assert _check(opening) == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.filter(pk=waiting.waitlisted[0].pk).update(offer_expires_at=timezone.now())
    assert _check(opening) == 2
