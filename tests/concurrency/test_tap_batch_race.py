"""The same batch of roll-call taps sent several times at the same instant (a tablet retrying
while its first request is still running), and two tablets sending taps on the same children in
opposite orders: each tap is applied exactly once, nobody waits forever (the bookings are locked
in primary-key order). Meaningful on PostgreSQL; SQLite serialises writers anyway."""

import threading
import uuid
from collections import Counter

import pytest
from django.db import connections
from django.utils import timezone
from django_scopes import scopes_disabled

from ribambelle.bookings import taps as tap_services
from ribambelle.bookings.models import AttendanceTap, Booking
from ribambelle.tenancy.roles import Role

from ..factories import ActivityFactory, BookingFactory, MembershipFactory, OpeningFactory, OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)

SENDERS = 4


def _threads(targets):
    barrier = threading.Barrier(len(targets))
    errors = []

    def wrap(target):
        try:
            barrier.wait(timeout=30)
            with scopes_disabled():  # a new thread does not inherit the test's scopes_disabled()
                target()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def _day(n=10):
    organisation = OrganisationFactory()
    today = timezone.localdate()
    activity = ActivityFactory(organisation=organisation, start_date=today, end_date=today)
    opening = OpeningFactory(organisation=organisation, activity=activity, capacity=30)
    bookings = [
        BookingFactory(organisation=organisation, registration__group=opening.group, opening=opening) for _ in range(n)
    ]
    return organisation, bookings


def _batch(bookings, status="present"):
    now = timezone.now()
    return [tap_services.Tap(uuid.uuid4(), b.pk, status, None, None, now) for b in bookings]


def test_the_same_batch_sent_at_once_by_retries_is_applied_once():
    organisation, bookings = _day()
    user = MembershipFactory(organisation=organisation, role=Role.AGENT).user
    batch = _batch(bookings)
    outcomes = []

    def send():
        result = tap_services.apply_taps(
            organisation_id=organisation.pk, booking_ids={b.pk for b in bookings}, taps=batch, acting_user=user
        )
        outcomes.append(Counter(r.outcome for r in result.results))

    errors = _threads([send] * SENDERS)
    assert errors == []
    assert sorted(outcomes, key=lambda c: c["applied"]) == [Counter(duplicate=10)] * (SENDERS - 1) + [
        Counter(applied=10)
    ]
    assert AttendanceTap.objects.filter(organisation=organisation).count() == 10
    assert set(Booking.objects.filter(organisation=organisation).values_list("status", flat=True)) == {"present"}


def test_two_tablets_in_opposite_orders_do_not_deadlock_and_the_later_wins():
    organisation, bookings = _day()
    first = MembershipFactory(organisation=organisation, role=Role.AGENT).user
    second = MembershipFactory(organisation=organisation, role=Role.AGENT).user
    early, late = _batch(bookings, "absent"), _batch(list(reversed(bookings)), "present")
    ids = {b.pk for b in bookings}

    errors = _threads(
        [
            lambda: tap_services.apply_taps(
                organisation_id=organisation.pk, booking_ids=ids, taps=early, acting_user=first
            ),
            lambda: tap_services.apply_taps(
                organisation_id=organisation.pk, booking_ids=ids, taps=late, acting_user=second
            ),
        ]
    )
    assert errors == []
    assert AttendanceTap.objects.filter(organisation=organisation).count() == 20
    # The "present" batch was made after the "absent" one (its taps carry a later time): it wins
    # on every child, whichever transaction ran first.
    assert set(Booking.objects.filter(organisation=organisation).values_list("status", flat=True)) == {"present"}
