"""The fair waiting room (issue 20): one place per family, pre-queue shuffled at the
opening, later arrivals behind in order, admission computed from the clock, the position
polled by one read from a signed ticket, and the signed pass the booking and registration views
require while the room is active."""

import html
import re
import statistics
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.bookings.models import Booking
from ribambelle.core.exceptions import DomainError
from ribambelle.families.models import Family
from ribambelle.registrations.models import Registration
from ribambelle.waitingroom import passes, selectors
from ribambelle.waitingroom.models import LATE_BASE, RoomEntry, WaitingRoom
from ribambelle.waitingroom.services import join_room

from .conftest import client_for, page_text, robot_proof
from .test_bookings import setup  # noqa: F401 - the activity, its openings and Léa registered


def _room(tenant, activity, *, opens_in=timedelta(minutes=10), per_interval=2, interval=60, pass_minutes=10):
    opens_at = timezone.now() + opens_in
    return WaitingRoom.objects.create(
        organisation=tenant.organisation,
        activity=activity,
        opens_at=opens_at,
        prequeue_from=opens_at - timedelta(minutes=30),
        closes_at=opens_at + timedelta(hours=2),
        admitted_per_interval=per_interval,
        interval_seconds=interval,
        pass_minutes=pass_minutes,
    )


def _families(tenant, n):
    Family.objects.bulk_create([Family(organisation=tenant.organisation, name=f"F{i}") for i in range(n)])
    return list(Family.objects.filter(organisation=tenant.organisation, name__startswith="F").order_by("pk"))[-n:]


def test_a_family_has_one_place_whatever_it_does(tenant_a, setup):  # noqa: F811
    room = _room(tenant_a, setup["activity"])
    family = tenant_a.family_user.family
    first = join_room(room=room, family=family)
    again = join_room(room=room, family=family, now=room.opens_at + timedelta(minutes=1))
    assert first.pk == again.pk and again.sort_key == first.sort_key
    assert RoomEntry.objects.filter(room=room).count() == 1


def test_nobody_joins_before_the_prequeue_or_after_the_room_closes(tenant_a, setup):  # noqa: F811
    room = _room(tenant_a, setup["activity"])
    family = tenant_a.family_user.family
    with pytest.raises(DomainError, match="ouvre le"):
        join_room(room=room, family=family, now=room.prequeue_from - timedelta(seconds=1))
    with pytest.raises(DomainError, match="fermée"):
        join_room(room=room, family=family, now=room.closes_at)
    assert not RoomEntry.objects.exists()


def test_prequeue_is_shuffled_and_later_arrivals_queue_behind_in_order(tenant_a, setup):  # noqa: F811
    """Over 1,500 early families joining one after the other, the join time says nothing of
    the position (|correlation| < 0.1); every late family stands behind every early one, in
    arrival order."""
    room = _room(tenant_a, setup["activity"])
    early, late = 1500, 30
    families = _families(tenant_a, early + late)
    for i, family in enumerate(families[:early]):
        join_room(room=room, family=family, now=room.prequeue_from + timedelta(seconds=i))
    for i, family in enumerate(families[early:]):
        join_room(room=room, family=family, now=room.opens_at + timedelta(seconds=i))
    order = list(RoomEntry.objects.filter(room=room).order_by("sort_key", "id").values_list("family_id", flat=True))
    position = {family_id: rank for rank, family_id in enumerate(order)}
    joined = list(range(early))
    ranks = [position[f.pk] for f in families[:early]]
    assert abs(statistics.correlation(joined, ranks)) < 0.1
    assert sorted(ranks) == list(range(early))
    assert [position[f.pk] for f in families[early:]] == list(range(early, early + late))
    # The position read agrees with the order, for the first, a middle and the last family.
    for family in (families[0], families[early // 2], families[-1]):
        assert selectors.entry_with_rank(room, family).ahead == position[family.pk]


def test_admission_lets_k_families_in_per_interval(tenant_a, setup):  # noqa: F811
    room = _room(tenant_a, setup["activity"], per_interval=2, interval=60)
    t0 = room.opens_at
    assert selectors.admitted_count(room, t0 - timedelta(seconds=1)) == 0
    assert selectors.admitted_count(room, t0) == 2
    assert selectors.admitted_count(room, t0 + timedelta(seconds=59)) == 2
    assert selectors.admitted_count(room, t0 + timedelta(seconds=60)) == 4
    waiting = selectors.state(room, 7, t0 + timedelta(seconds=30))
    assert (waiting.phase, waiting.ahead, waiting.minutes) == ("waiting", 5, 3)  # wave 3 at t0 + 3 min
    admitted = selectors.state(room, 7, t0 + timedelta(minutes=3))
    assert admitted.phase == "admitted" and admitted.pass_expires_at == t0 + timedelta(minutes=13)
    assert selectors.state(room, 0, t0 - timedelta(seconds=90)).seconds_to_open == 90


def test_a_family_let_in_on_arrival_gets_a_full_pass(tenant_a, setup):  # noqa: F811
    """Twenty minutes after the opening, with places to spare: admitted at once, and the pass
    runs from the arrival, not from the opening."""
    room = _room(tenant_a, setup["activity"], per_interval=50, interval=60, pass_minutes=10)
    late = room.opens_at + timedelta(minutes=20)
    admitted = selectors.state(room, 3, late, joined_at=late)
    assert admitted.phase == "admitted" and admitted.pass_expires_at == late + timedelta(minutes=10)


def test_pass_is_signed_bound_to_room_and_family_and_expires(tenant_a, setup):  # noqa: F811
    room = _room(tenant_a, setup["activity"])
    now = timezone.now()
    token = passes.make_pass(room_id=room.pk, family_id=5, expires_at=now + timedelta(minutes=10))
    assert passes.pass_is_valid(token, room_id=room.pk, family_id=5, now=now)
    assert not passes.pass_is_valid(token, room_id=room.pk, family_id=6, now=now)
    assert not passes.pass_is_valid(token, room_id=room.pk + 1, family_id=5, now=now)
    assert not passes.pass_is_valid(token, room_id=room.pk, family_id=5, now=now + timedelta(minutes=10))
    assert not passes.pass_is_valid(token[:-2] + "xx", room_id=room.pk, family_id=5, now=now)
    assert not passes.pass_is_valid(None, room_id=room.pk, family_id=5, now=now)


def _planning_post(tenant, setup, client):  # noqa: F811
    lea, openings = setup["lea"], setup["openings"]
    url = tenant.url(f"reservations/enfant/{lea.pk}/?vue=semaine&date={setup['start']:%Y-%m-%d}")
    shown = [str(o.pk) for o in openings[:5]]
    return client.post(url, {"shown": shown, "o": shown[:2]})


def test_countdown_then_position_then_admitted_then_booking_saved(tenant_a, setup):  # noqa: F811
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    room = _room(tenant_a, setup["activity"], per_interval=1, interval=60)
    others = _families(tenant_a, 3)
    client = client_for(tenant_a.family_user)
    url = tenant_a.url(f"salle-attente/{setup['activity'].pk}/")
    with time_machine.travel(room.opens_at - timedelta(minutes=5), tick=False):
        page = page_text(client.get(url))
        assert "Entrer dans la salle d'attente" in page and "arriver tôt ne donne aucun avantage" in page
        refused = client.post(url, {})
        assert refused.status_code == 400 and not RoomEntry.objects.exists()
        assert client.post(url, {"robot": robot_proof()}).status_code == 302
        response = client.get(url)
        page, status_url = page_text(response), _position_url(response)
        assert "Vous êtes dans la pré-file" in page and "Ouverture dans 00:05:00" in page
        assert 'aria-live="polite"' in page and 'hx-trigger="load delay:' in page
        # While the room is active, a booking POST without a pass is refused, with the room's link.
        response = _planning_post(tenant_a, setup, client)
        assert response.status_code == 403 and url in page_text(response)
        assert not Booking.objects.exists()
    # Three families arrive after the opening: our family (pre-queue) stands before them all.
    for i, family in enumerate(others):
        join_room(room=room, family=family, now=room.opens_at + timedelta(seconds=1 + i))
    entry = RoomEntry.objects.get(family=tenant_a.family_user.family)
    RoomEntry.objects.filter(pk=entry.pk).update(sort_key=LATE_BASE + 2_500_000)  # behind two of them
    with time_machine.travel(room.opens_at + timedelta(seconds=10), tick=False):
        page = page_text(client.get(status_url))
        assert "1 famille devant vous, environ 2 minutes" in page
        assert _planning_post(tenant_a, setup, client).status_code == 403
    with time_machine.travel(room.opens_at + timedelta(minutes=2, seconds=1), tick=False):
        # Let in: the poll hands over to the room page, which gives the pass (htmx: a whole page).
        assert client.get(status_url, headers={"HX-Request": "true"})["HX-Redirect"] == url
        assert client.get(status_url)["Location"] == url
        response = client.get(url)
        html, page = response.content.decode(), page_text(response)
        assert "Les réservations sont ouvertes depuis le" in page
        assert "C'est votre tour" in page and "hx-get" not in page
        # The button opens Léa's planning at the activity's first week, not today's.
        planning = tenant_a.url(
            f"reservations/enfant/{setup['lea'].pk}/?vue=semaine&amp;date={setup['start']:%Y-%m-%d}"
        )
        assert "Réserver les journées de Léa" in page and planning in html
        assert _planning_post(tenant_a, setup, client).status_code == 302
        assert Booking.objects.filter(child=setup["lea"], status="booked").count() == 2
    with time_machine.travel(room.opens_at + timedelta(minutes=12, seconds=1), tick=False):
        assert _planning_post(tenant_a, setup, client).status_code == 403  # the pass has expired
    with time_machine.travel(room.closes_at, tick=False):
        assert _planning_post(tenant_a, setup, client).status_code == 302  # the room is over


def test_another_familys_pass_does_not_open_the_door(tenant_a, setup):  # noqa: F811
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    room = _room(tenant_a, setup["activity"], opens_in=timedelta(minutes=-1))
    client = client_for(tenant_a.family_user)
    session = client.session
    foreign = passes.make_pass(
        room_id=room.pk, family_id=tenant_a.other_family_user.family.pk, expires_at=timezone.now() + timedelta(hours=1)
    )
    session[passes.SESSION_KEY] = {str(room.pk): foreign}
    session.save()
    assert _planning_post(tenant_a, setup, client).status_code == 403


def test_bookings_of_other_activities_and_outside_the_room_need_no_pass(tenant_a, setup):  # noqa: F811
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    room = _room(tenant_a, setup["activity"], opens_in=timedelta(hours=5))  # pre-queue not started
    client = client_for(tenant_a.family_user)
    assert _planning_post(tenant_a, setup, client).status_code == 302
    assert room.is_active(timezone.now()) is False


def test_registration_post_needs_the_pass_while_the_room_is_active(tenant_a, setup):  # noqa: F811
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    _room(tenant_a, setup["activity"], opens_in=timedelta(minutes=1))
    client = client_for(tenant_a.family_user)
    from .factories import PersonFactory

    child = PersonFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    before = Registration.objects.count()
    url = tenant_a.url(f"inscriptions/enfant/{child.pk}/activite/{setup['activity'].pk}/")
    response = client.post(url, {"group": setup["group"].pk})
    assert response.status_code == 403 and "salle d'attente" in page_text(response)
    assert Registration.objects.count() == before


def _position_url(response) -> str:
    """The address the position fragment polls (with the family's ticket)."""
    return html.unescape(re.search(r'hx-get="([^"]+)"', response.content.decode()).group(1))


def test_the_position_poll_is_one_read_without_the_login(tenant_a, setup, django_assert_num_queries):  # noqa: F811
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    room = _room(tenant_a, setup["activity"], opens_in=timedelta(seconds=-5), per_interval=1)
    for family in _families(tenant_a, 50):
        join_room(room=room, family=family)
    join_room(room=room, family=tenant_a.family_user.family)
    client = client_for(tenant_a.family_user)
    position_url = _position_url(client.get(tenant_a.url(f"salle-attente/{setup['activity'].pk}/")))
    with django_assert_num_queries(1) as captured:  # the place, its room and its rank: no session, no login
        response = client.get(position_url)
        assert "49 familles devant vous" in page_text(response)
    assert "waitingroom_roomentry" in captured.captured_queries[0]["sql"]
    assert "no-store" in response["Cache-Control"] and "Set-Cookie" not in response
    # The ticket alone answers: even logged out (it tells a position, nothing personal).
    assert "49 familles devant vous" in page_text(Client().get(position_url))


def test_joining_with_htmx_answers_with_the_position_in_place_of_the_form(tenant_a, setup):  # noqa: F811
    """The room page's form, enhanced: the answer replaces the form (no second page), takes the
    focus, and polls with the family's ticket; an invalid form comes back with its error."""
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    _room(tenant_a, setup["activity"])
    client = client_for(tenant_a.family_user)
    url = tenant_a.url(f"salle-attente/{setup['activity'].pk}/")
    assert 'hx-post="' + url + '"' in client.get(url).content.decode()
    refused = client.post(url, {}, headers={"HX-Request": "true"})
    assert refused.status_code == 200 and "<form" in refused.content.decode() and not RoomEntry.objects.exists()
    assert "data-takes-focus" in refused.content.decode()
    response = client.post(url, {"robot": robot_proof()}, headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert response.status_code == 200 and "Vous êtes dans la pré-file" in page_text(response)
    assert "data-takes-focus" in fragment and "<html" not in fragment
    assert "Vous êtes dans la pré-file" in page_text(client.get(_position_url(response)))
    assert RoomEntry.objects.filter(family=tenant_a.family_user.family).count() == 1


def test_a_position_ticket_answers_only_for_its_own_place(tenant_a, tenant_b, setup):  # noqa: F811
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    room = _room(tenant_a, setup["activity"], opens_in=timedelta(seconds=-5), per_interval=1)
    for family in _families(tenant_a, 3):
        join_room(room=room, family=family)
    entry = join_room(room=room, family=tenant_a.family_user.family)
    client = Client()
    ticket = passes.make_position_ticket(room_id=room.pk, entry_id=entry.pk)
    assert client.get(tenant_a.url(f"salle-attente/position/{ticket}/")).status_code == 200
    assert client.get(tenant_b.url(f"salle-attente/position/{ticket}/")).status_code == 404  # another organisation
    a_pass = passes.make_pass(room_id=room.pk, family_id=entry.family_id, expires_at=timezone.now())
    forged = [
        ticket[:-2] + "xx",
        passes.make_position_ticket(room_id=room.pk + 1, entry_id=entry.pk),  # another room's
        passes.make_position_ticket(room_id=room.pk, entry_id=entry.pk + 1000),  # no such place
        a_pass,  # signed by us, for something else
        "x",
    ]
    for other in forged:
        assert client.get(tenant_a.url(f"salle-attente/position/{other}/")).status_code == 404, other


def test_families_hear_of_a_room_from_a_week_before_and_find_the_way_in(tenant_a, setup):  # noqa: F811
    """On the dashboard and the booking pages: the opening time, that arriving early gives no
    advantage, and the way in once the pre-queue is open; nothing (and no query) otherwise."""
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    room = _room(tenant_a, setup["activity"], opens_in=timedelta(days=3))  # pre-queue 30 minutes before
    client = client_for(tenant_a.family_user)
    planning = tenant_a.url(f"reservations/enfant/{setup['lea'].pk}/")
    with time_machine.travel(room.prequeue_from - timedelta(days=8), tick=False):
        assert "salle d'attente équitable" not in page_text(client.get(tenant_a.url()))
    with time_machine.travel(room.prequeue_from - timedelta(days=2), tick=False):
        page = page_text(client.get(tenant_a.url()))
        assert "« BIOULE vacances » : salle d'attente équitable" in page
        assert "inutile de se connecter dès l'aube" in page and "La salle d'attente ouvre le" in page
        assert "Aller à la salle d'attente" not in page
    with time_machine.travel(room.prequeue_from + timedelta(minutes=1), tick=False):
        response = client.get(planning)
        assert "Aller à la salle d'attente" in page_text(response)
        assert tenant_a.url(f"salle-attente/{setup['activity'].pk}/") in response.content.decode()
    with time_machine.travel(room.opens_at + timedelta(minutes=1), tick=False):
        assert "passent par la salle d'attente jusqu'au" in page_text(client.get(planning))
    with time_machine.travel(room.closes_at, tick=False):
        assert "salle d'attente équitable" not in page_text(client.get(planning))


def test_another_organisations_room_is_not_found(tenant_a, tenant_b, setup):  # noqa: F811
    _room(tenant_a, setup["activity"])
    record_consents(user=tenant_b.family_user, personal=True, health=False)
    client = client_for(tenant_b.family_user)
    assert client.get(tenant_b.url(f"salle-attente/{setup['activity'].pk}/")).status_code == 404


def test_an_activity_without_a_room_sends_to_the_bookings(tenant_a, setup):  # noqa: F811
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    client = client_for(tenant_a.family_user)
    response = client.get(tenant_a.url(f"salle-attente/{setup['activity'].pk}/"))
    assert response.status_code == 302 and response["Location"] == tenant_a.url("reservations/")
