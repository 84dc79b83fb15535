"""The exact statements of a save, through the portal (family) and the back office (staff): the
same for 1 day as for 10 or 40, booking as cancelling — cancelling 40 days, and handing the 40
places they free to the waiting lists, costs what cancelling one does (issue 20, "a faster save").

Counted over the whole request. The family path: session, user (with its organisation, family
and whether it accepted the GDPR text), child — the page's guards; no waiting room stands in front
of these days, which the organisation's rooms span, read with the login, tells without a query —
then the save: one read before the lock (the days, the child's accepted registration, whether a
unit excludes another, the child's booking on each day), the lock (PostgreSQL: its timeout and one
`SELECT … FOR UPDATE` of the days in id order, in one round trip; SQLite's IMMEDIATE transaction
already serialises writers), capacities and places held in one statement (sent with the lock
when the save only books), then bulk writes and
one history line (sent with the bookings). The save's own transaction shows here as a savepoint (the test's transaction
wraps it); in production it is BEGIN … COMMIT, and the summary e-mail's task adds one INSERT
(the tests' task backend writes nothing)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.activities.models import Opening
from ribambelle.activities.services import generate_openings
from ribambelle.bookings.models import Booking, BookingStatus
from ribambelle.bookings.services import BookingChange, save_bookings

from .conftest import client_for
from .factories import ActivityFactory, GroupFactory, PersonFactory, RegistrationFactory, UnitFactory

LOCK = 1 if connection.vendor == "postgresql" else 0  # set_config(lock_timeout); SELECT … FOR UPDATE: one execute
GUARDS = 3  # session, user (its consent read with it), child
ROOM = 0  # the family's save: no room of the organisation spans now (read with the login)
SAVE_FRAME = 2  # the action's transaction: SAVEPOINT … RELEASE inside the test's transaction
# INSERT bookings and INSERT history line: one round trip on PostgreSQL, two executes on SQLite
INSERTS = 1 if connection.vendor == "postgresql" else 2
# read before the lock + lock and count (PostgreSQL: one round trip; SQLite: the count) + inserts
BOOK = GUARDS + ROOM + SAVE_FRAME + 1 + 1 + INSERTS
# read + lock + bookings re-read under the lock + one UPDATE + count + first in line on each day
# freed (none here) + history line
CANCEL = GUARDS + ROOM + SAVE_FRAME + 1 + LOCK + 1 + 1 + 1 + 1 + 1
# … and when the freed places go to the waiting lists: the organisation's rule read once, one UPDATE
CANCEL_PROMOTING = CANCEL + 2
# staff: session, user, membership and its structures, the family, the child, the days posted
# that are within the member's reach
STAFF_GUARDS = 7


@pytest.fixture
def world(tenant_a):
    """A twelve-week activity (60 week days), 3 places a day, and the parent's child registered."""
    organisation = tenant_a.organisation
    start = timezone.localdate() + timedelta(days=21)
    start -= timedelta(days=start.weekday())
    activity = ActivityFactory(organisation=organisation, start_date=start, end_date=start + timedelta(days=7 * 12))
    group = GroupFactory(organisation=organisation, activity=activity, default_capacity=3)
    UnitFactory(organisation=organisation, activity=activity, name="Journée")
    generate_openings(activity=activity)
    family = tenant_a.family_user.family
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    child = PersonFactory(organisation=organisation, family=family)
    RegistrationFactory(organisation=organisation, family=family, child=child, group=group)
    openings = list(Opening.objects.filter(activity=activity).order_by("date"))
    assert len(openings) >= 40
    return {"child": child, "openings": openings, "start": start, "group": group, "tenant": tenant_a}


def _family_post(world, shown, wanted):
    tenant, child = world["tenant"], world["child"]
    client = client_for(tenant.family_user)
    path = tenant.url(f"reservations/enfant/{child.pk}/?vue=semaine&date={world['start']:%Y-%m-%d}")
    client.get(tenant.url())  # the session and the CSRF cookie exist before the counted request
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(path, {"shown": [o.pk for o in shown], "o": [o.pk for o in wanted]})
    assert response.status_code == 302
    return ctx


def _staff_post(world, shown, wanted):
    tenant, child = world["tenant"], world["child"]
    client = client_for(tenant.admin)
    path = tenant.url(f"gestion/familles/{child.family_id}/reservations/{child.pk}/?date={world['start']:%Y-%m-%d}")
    with CaptureQueriesContext(connection) as ctx:
        response = client.post(path, {"shown": [o.pk for o in shown], "o": [o.pk for o in wanted]})
    assert response.status_code == 302
    return ctx


def _statements(ctx) -> str:
    return "\n".join(query["sql"][:160] for query in ctx.captured_queries)


def _waiting_list_on(world, openings, n=1):
    """Each day full (3 places held by others) with `n` other children waiting."""
    tenant = world["tenant"]
    for _ in range(3 + n):
        other = PersonFactory(organisation=tenant.organisation, family=tenant.other_family_user.family)
        RegistrationFactory(organisation=tenant.organisation, family=other.family, child=other, group=world["group"])
        save_bookings(child=other, changes=[BookingChange(o.pk, True, True) for o in openings], acting_user=None)


@pytest.mark.parametrize("k", [1, 10, 40])
def test_a_family_booking_and_cancelling_k_days_costs_the_same_statements(world, k):
    openings = world["openings"][:k]
    booking = _family_post(world, openings, openings)
    assert len(booking) == BOOK, _statements(booking)
    assert Booking.objects.filter(child=world["child"], status=BookingStatus.BOOKED).count() == k

    cancelling = _family_post(world, openings, [])
    assert len(cancelling) == CANCEL, _statements(cancelling)
    assert not Booking.objects.filter(child=world["child"]).exclude(status=BookingStatus.CANCELLED).exists()


@pytest.mark.parametrize("k", [1, 40])
def test_cancelling_k_full_days_hands_the_k_places_to_the_waiting_lists_in_the_same_statements(world, k):
    openings = world["openings"][:k]
    _family_post(world, openings, openings)  # the child holds one of the 3 places of each day
    _waiting_list_on(world, openings)  # 2 others fill each day, 2 more wait

    cancelling = _family_post(world, openings, [])

    assert len(cancelling) == CANCEL_PROMOTING, _statements(cancelling)
    for opening in openings:  # the first in line got the place, the second still waits
        assert Booking.objects.filter(opening=opening, status=BookingStatus.BOOKED).count() == 3
        assert Booking.objects.filter(opening=opening, status=BookingStatus.WAITING).count() == 1


def test_a_page_sending_days_already_booked_changes_nothing_and_writes_nothing(world):
    openings = world["openings"][:5]
    _family_post(world, openings, openings)
    again = _family_post(world, openings, openings)
    # the guards, the read, and nothing else: no lock, no transaction to commit
    assert len(again) == GUARDS + ROOM + SAVE_FRAME + 1, _statements(again)


@pytest.mark.parametrize("k", [1, 10, 40])
def test_staff_booking_and_cancelling_k_days_costs_the_same_statements(world, k):
    openings = world["openings"][:k]
    booking = _staff_post(world, openings, openings)
    # staff write an audit entry beside the family's history line
    assert len(booking) == BOOK - GUARDS - ROOM + STAFF_GUARDS + 1, _statements(booking)
    assert Booking.objects.filter(child=world["child"], status=BookingStatus.BOOKED).count() == k

    cancelling = _staff_post(world, openings, [])
    assert len(cancelling) == CANCEL - GUARDS - ROOM + STAFF_GUARDS + 1, _statements(cancelling)
    assert not Booking.objects.filter(child=world["child"]).exclude(status=BookingStatus.CANCELLED).exists()


def test_the_days_read_before_the_lock_are_built_in_each_models_column_order():
    """`Model.from_db` takes the columns in the model's order: a new column must not shift them."""
    from ribambelle.activities.models import Activity, Unit
    from ribambelle.bookings import services

    for model, columns in (
        (Opening, services._OPENING_COLUMNS),
        (Activity, services._ACTIVITY_COLUMNS),
        (Unit, services._UNIT_COLUMNS),
    ):
        order = [f.attname for f in model._meta.concrete_fields]
        assert sorted(columns, key=order.index) == list(columns), model.__name__


def test_a_room_scheduled_puts_the_guard_back_on_the_save(world):
    """With a room spanning now, the save reads the rooms in front of its days (one statement) and,
    without the family's pass, refuses (403): the span read with the login only spares the read
    when no room can be active."""
    from ribambelle.waitingroom.models import WaitingRoom

    now = timezone.now()
    activity = world["openings"][0].activity
    room = WaitingRoom.objects.create(
        organisation=activity.organisation,
        activity=activity,
        prequeue_from=now - timedelta(minutes=5),
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(hours=1),
    )
    tenant, child = world["tenant"], world["child"]
    client = client_for(tenant.family_user)
    path = tenant.url(f"reservations/enfant/{child.pk}/?vue=semaine&date={world['start']:%Y-%m-%d}")
    response = client.post(path, {"shown": [world["openings"][0].pk], "o": [world["openings"][0].pk]})
    assert response.status_code == 403
    room.delete()  # the span follows: no room, no guard
    response = client.post(path, {"shown": [world["openings"][0].pk], "o": [world["openings"][0].pk]})
    assert response.status_code == 302
    assert Booking.objects.filter(child=child, status=BookingStatus.BOOKED).count() == 1
