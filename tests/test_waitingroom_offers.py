"""Waiting-list offers that expire pass to the next family (issue 20, "Fair waiting room"):
`bookings.services.expire_offers` (run by the periodic task) already does it; this pins it."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from ribambelle.bookings import services
from ribambelle.bookings.models import Booking, BookingSettings, BookingStatus, WaitingListRule
from ribambelle.bookings.services import BookingChange

from .factories import FamilyUserFactory
from .test_bookings import _register, setup  # noqa: F401 - the activity and Léa registered


@pytest.mark.django_db(transaction=True)
def test_an_expired_offer_passes_to_the_next_family_in_line(tenant_a, setup):  # noqa: F811
    BookingSettings.objects.create(
        organisation=tenant_a.organisation, waiting_list_rule=WaitingListRule.OFFER, offer_hours=48
    )
    opening = setup["openings"][0]
    opening.capacity = 1
    opening.save()
    second = _register(tenant_a, setup, tenant_a.other_family_user)
    third = _register(tenant_a, setup, FamilyUserFactory(organisation=tenant_a.organisation))
    services.save_bookings(child=setup["lea"], changes=[BookingChange(opening.pk, True)], acting_user=None)
    for child in (second, third):
        services.save_bookings(child=child, changes=[BookingChange(opening.pk, True, True)], acting_user=None)
    services.save_bookings(child=setup["lea"], changes=[BookingChange(opening.pk, False)], acting_user=None)
    offer = Booking.objects.get(child=second, opening=opening)
    assert offer.offer_expires_at is not None
    assert Booking.objects.get(child=third, opening=opening).offer_expires_at is None

    with time_machine.travel(timezone.now() + timedelta(hours=47), tick=False):
        assert services.expire_offers() == 0  # still within the organisation's delay
    with time_machine.travel(timezone.now() + timedelta(hours=49), tick=False):
        assert services.expire_offers() == 1
    offer.refresh_from_db()
    assert offer.status == BookingStatus.CANCELLED
    passed_on = Booking.objects.get(child=third, opening=opening)
    assert passed_on.status == BookingStatus.WAITING and passed_on.offer_expires_at is not None
