"""Issue 22, "all children at once": the family grid (every child's rows, one save for all),
"même chose pour tous" (copy one child's choices, unsaved, listing what could not be copied), and the
pattern tool (every Monday and Thursday from … to …, book or cancel, preview then confirm)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ribambelle.accounts.consent import record_consents
from ribambelle.activities.models import Opening
from ribambelle.activities.services import generate_openings
from ribambelle.bookings.models import Booking, BookingStatus
from ribambelle.bookings.services import BookingChange, save_bookings

from .conftest import client_for, page_text
from .factories import ActivityFactory, GroupFactory, PersonFactory, RegistrationFactory, UnitFactory

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2027, 1, 4, 10, 0, tzinfo=PARIS)  # a Monday, two weeks before the activity
FIRST_MONDAY = date(2027, 1, 18)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _activity(organisation, *, weeks=4, capacity=10, name="Mercredis et vacances"):
    activity = ActivityFactory(
        organisation=organisation,
        name=name,
        start_date=FIRST_MONDAY,
        end_date=FIRST_MONDAY + timedelta(days=7 * weeks - 3),
    )
    group = GroupFactory(organisation=organisation, activity=activity, name="PRIM", default_capacity=capacity)
    unit = UnitFactory(organisation=organisation, activity=activity, name="Journée")
    return activity, group, unit


@pytest.fixture
def world(tenant_a, clock):
    """Three children of one family registered to the same activity (4 weeks, Monday to Friday)."""
    organisation = tenant_a.organisation
    activity, group, unit = _activity(organisation)
    generate_openings(activity=activity)
    family = tenant_a.family_user.family
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    children = []
    for first_name, years in (("Léa", 10), ("Hugo", 8), ("Zoé", 6)):
        child = PersonFactory(
            organisation=organisation, family=family, first_name=first_name, birth_date=date(2027 - years, 3, 1)
        )
        RegistrationFactory(organisation=organisation, family=family, child=child, group=group)
        children.append(child)
    return {
        "tenant": tenant_a,
        "family": family,
        "activity": activity,
        "group": group,
        "unit": unit,
        "children": children,
        "client": client_for(tenant_a.family_user),
    }


def _opening(world, day, group=None):
    return Opening.objects.get(activity=world["activity"], group=group or world["group"], unit=world["unit"], date=day)


def _url(world, path):
    return world["tenant"].url(path)


def _pair(child, opening):
    return f"{child.pk}.{opening.pk}"


def _booked(child, status=BookingStatus.BOOKED):
    return set(Booking.objects.filter(child=child, status=status).values_list("opening_id", flat=True))


# --- The family grid ---------------------------------------------------------------------------------
def test_the_family_grid_shows_every_child_on_one_week_with_state_words(world):
    monday = _opening(world, FIRST_MONDAY)
    lea, hugo, zoe = world["children"]
    save_bookings(child=hugo, changes=[BookingChange(monday.pk, True)], acting_user=None)

    response = world["client"].get(_url(world, f"reservations/famille/?date={FIRST_MONDAY}"))

    assert response.status_code == 200
    text = page_text(response)
    assert "Mercredis et vacances" in text
    for child in world["children"]:
        assert f'value="{_pair(child, monday)}"' in text
    assert f'value="{_pair(hugo, monday)}" checked' in text  # Hugo's day booked, the others free
    assert f'value="{_pair(lea, monday)}" data-saved="0"' in text
    assert "Réservé" in text and "Libre" in text  # states in words, not colour alone
    assert text.count("Même chose pour tous") == 3


def _grid_get_queries(world, day=FIRST_MONDAY) -> int:
    client = world["client"]
    client.get(_url(world, ""))  # session ready
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(_url(world, f"reservations/famille/?date={day}")).status_code == 200
    return len(ctx)


# session, user (with its consent), the booking settings, then the grid: registrations, openings
# with their places, units, bookings, unit exclusions
GRID_QUERIES = 2 + 1 + 5


def test_the_family_grid_costs_the_same_queries_whatever_the_children_and_weeks(world):
    assert _grid_get_queries(world) == GRID_QUERIES
    organisation = world["tenant"].organisation
    # Three more children in a second, longer activity, each with bookings: still the same queries.
    other, other_group, _unit = _activity(organisation, weeks=12, name="Périscolaire")
    UnitFactory(organisation=organisation, activity=other, name="Repas")
    generate_openings(activity=other)
    for i in range(3):
        child = PersonFactory(organisation=organisation, family=world["family"], first_name=f"Enfant {i}")
        RegistrationFactory(organisation=organisation, family=world["family"], child=child, group=other_group)
        save_bookings(
            child=child,
            changes=[BookingChange(o.pk, True) for o in Opening.objects.filter(activity=other)[:20]],
            acting_user=None,
        )
    assert _grid_get_queries(world) == GRID_QUERIES
    assert _grid_get_queries(world, FIRST_MONDAY + timedelta(days=21)) == GRID_QUERIES


def test_one_save_books_and_cancels_for_every_child(world):
    lea, hugo, zoe = world["children"]
    monday, tuesday = _opening(world, FIRST_MONDAY), _opening(world, FIRST_MONDAY + timedelta(days=1))
    save_bookings(child=zoe, changes=[BookingChange(tuesday.pk, True)], acting_user=None)
    shown = [_pair(c, o) for c in world["children"] for o in (monday, tuesday)]
    wanted = [_pair(lea, monday), _pair(hugo, monday), _pair(hugo, tuesday)]  # Zoé's Tuesday un-ticked

    response = world["client"].post(
        _url(world, f"reservations/famille/?date={FIRST_MONDAY}"), {"cs": shown, "co": wanted, "save": "1"}
    )

    assert response.status_code == 302
    assert _booked(lea) == {monday.pk}
    assert _booked(hugo) == {monday.pk, tuesday.pk}
    assert _booked(zoe) == set()
    messages = page_text(world["client"].get(response["Location"]))
    assert "Hugo : 2 journée(s) réservée(s)." in messages
    assert "Zoé : 1 réservation(s) annulée(s)." in messages


def test_a_full_day_in_one_save_books_the_places_left_and_reports_the_rest(world):
    lea, hugo, zoe = world["children"]
    monday = _opening(world, FIRST_MONDAY)
    monday.capacity = 2
    monday.save()
    shown = [_pair(c, monday) for c in world["children"]]

    world["client"].post(_url(world, f"reservations/famille/?date={FIRST_MONDAY}"), {"cs": shown, "co": shown})

    assert Booking.objects.filter(opening=monday, status=BookingStatus.BOOKED).count() == 2  # never more
    assert _booked(zoe) == set()  # the last child by id asked when none was left


# --- "Même chose pour tous" ---------------------------------------------------------------------------
def test_same_for_all_copies_unsaved_and_lists_the_days_skipped(world):
    """Without JavaScript: the button re-renders the grid with Léa's choices copied, nothing saved;
    Zoé, in another group, has a closed Wednesday and a full Tuesday: both skipped and listed."""
    organisation = world["tenant"].organisation
    lea, hugo, zoe = world["children"]
    small = GroupFactory(organisation=organisation, activity=world["activity"], name="MATER", default_capacity=10)
    generate_openings(activity=world["activity"])
    zoe_registration = zoe.registrations.get()
    zoe_registration.group = small
    zoe_registration.save()
    days = [FIRST_MONDAY + timedelta(days=i) for i in range(4)]
    mine = [_opening(world, d) for d in days]
    zoes = [_opening(world, d, small) for d in days]
    Opening.objects.filter(pk=zoes[1].pk).update(capacity=0)
    Opening.objects.filter(pk=zoes[2].pk).update(is_closed=True)
    assert save_bookings(child=hugo, changes=[BookingChange(mine[3].pk, True)], acting_user=None).booked
    shown = [_pair(c, o) for c in (lea, hugo) for o in mine] + [_pair(zoe, zoes[i]) for i in (0, 1, 3)]
    ticked = [_pair(lea, o) for o in mine[:3]] + [_pair(hugo, mine[3])]
    before = Booking.objects.count()

    response = world["client"].post(
        _url(world, f"reservations/famille/?date={FIRST_MONDAY}"), {"cs": shown, "co": ticked, "copy_from": lea.pk}
    )

    assert response.status_code == 200
    assert Booking.objects.count() == before  # nothing saved
    text = page_text(response)
    for opening in mine[:3]:
        assert f'value="{_pair(hugo, opening)}" checked data-saved="0"' in text  # copied, pending
    assert f'value="{_pair(hugo, mine[3])}" data-saved="1"' in text  # Léa has no Thursday: to cancel
    assert f'value="{_pair(zoe, zoes[0])}" checked data-saved="0"' in text
    assert "Zoé, Journée du mardi 19 janvier : complet" in text
    assert "Zoé, Journée du mercredi 20 janvier : fermé" in text
    assert "8 modifications non enregistrées" in text  # Léa 3, Hugo 3 + 1 to cancel, Zoé 1


def test_same_for_all_skips_days_past_the_deadline(world, clock):
    lea, hugo, _zoe = world["children"]
    monday, tuesday = _opening(world, FIRST_MONDAY), _opening(world, FIRST_MONDAY + timedelta(days=1))
    save_bookings(child=lea, changes=[BookingChange(monday.pk, True)], acting_user=None)
    # Thursday 14 January at 13:00: Monday's deadline (2 working days before, at 12:00) has passed,
    # Tuesday's not.
    clock.move_to(datetime(2027, 1, 14, 13, 0, tzinfo=PARIS))
    shown = [_pair(lea, tuesday)] + [_pair(hugo, o) for o in (monday, tuesday)]
    response = world["client"].post(
        _url(world, f"reservations/famille/?date={FIRST_MONDAY}"),
        {"cs": shown, "co": [_pair(lea, tuesday)], "copy_from": lea.pk},
    )
    text = page_text(response)
    assert "Hugo, Journée du lundi 18 janvier : délai dépassé" in text
    assert f'value="{_pair(hugo, tuesday)}" checked data-saved="0"' in text
    assert f'value="{_pair(hugo, monday)}"' not in text  # past the deadline: no checkbox at all


# --- The pattern tool ------------------------------------------------------------------------------
def _pattern(world, *, children=None, weekdays=(0, 3), start=FIRST_MONDAY, weeks=2, action="book", **extra):
    return {
        "children": [c.pk for c in (children or world["children"])],
        "units": [world["unit"].pk],
        "weekdays": list(weekdays),
        "start": f"{start}",
        "end": f"{start + timedelta(days=7 * weeks - 1)}",
        "action": action,
        "waitlist": "on",
        **extra,
    }


def _plan_lines(response):
    return {
        (plan.child.pk, line.opening.pk, line.outcome, line.reason)
        for plan in response.context["plans"]
        for line in plan.lines
    }


def test_pattern_preview_lists_per_child_and_changes_nothing_until_confirmed(world):
    lea, hugo, zoe = world["children"]
    mondays = [_opening(world, FIRST_MONDAY + timedelta(days=7 * i)) for i in range(2)]
    thursdays = [_opening(world, FIRST_MONDAY + timedelta(days=7 * i + 3)) for i in range(2)]
    Opening.objects.filter(pk=thursdays[1].pk).update(is_closed=True)
    Opening.objects.filter(pk=mondays[1].pk).update(capacity=2)
    save_bookings(child=hugo, changes=[BookingChange(thursdays[0].pk, True)], acting_user=None)
    url = _url(world, "reservations/famille/jours-reguliers/")
    before = list(Booking.objects.order_by("pk").values_list())

    preview = world["client"].post(url, _pattern(world))

    assert preview.status_code == 200
    assert list(Booking.objects.order_by("pk").values_list()) == before
    lines = _plan_lines(preview)
    assert (hugo.pk, thursdays[0].pk, "skip", "déjà réservé") in lines
    for child in world["children"]:
        assert (child.pk, thursdays[1].pk, "skip", "fermé") in lines
        assert (child.pk, mondays[0].pk, "book", "") in lines
    # 2 places on the second Monday: the first two children by id get them, the third its waiting list
    assert (lea.pk, mondays[1].pk, "book", "") in lines and (hugo.pk, mondays[1].pk, "book", "") in lines
    assert (zoe.pk, mondays[1].pk, "wait", "complet : liste d'attente") in lines
    text = page_text(preview)
    assert "Vérifiez avant d'enregistrer" in text and "fermé" in text and "déjà réservé" in text

    confirmed = world["client"].post(url, {**_pattern(world), "confirm": "1"})

    assert confirmed.status_code == 302
    # What was applied is exactly what the preview said, child by child.
    for child in world["children"]:
        planned = {o for c, o, outcome, _r in lines if c == child.pk and outcome == "book"}
        waiting = {o for c, o, outcome, _r in lines if c == child.pk and outcome == "wait"}
        new = _booked(child) - ({thursdays[0].pk} if child == hugo else set())
        assert new == planned
        assert _booked(child, BookingStatus.WAITING) == waiting
    receipt = page_text(world["client"].get(confirmed["Location"]))
    assert "Réservations enregistrées" in receipt
    assert '<th scope="row">Zoé' in receipt


def test_pattern_without_waiting_list_refuses_the_full_days(world):
    monday = _opening(world, FIRST_MONDAY)
    Opening.objects.filter(pk=monday.pk).update(capacity=0)
    data = _pattern(world, weekdays=(0,), weeks=1)
    del data["waitlist"]
    preview = world["client"].post(_url(world, "reservations/famille/jours-reguliers/"), data)
    assert {line[2:] for line in _plan_lines(preview)} == {("skip", "complet : refusé")}
    world["client"].post(_url(world, "reservations/famille/jours-reguliers/"), {**data, "confirm": "1"})
    assert not Booking.objects.filter(opening=monday).exists()


def test_pattern_skips_days_past_the_deadline(world, clock):
    clock.move_to(datetime(2027, 1, 15, 13, 0, tzinfo=PARIS))  # Monday 18's deadline has passed
    preview = world["client"].post(_url(world, "reservations/famille/jours-reguliers/"), _pattern(world))
    lines = _plan_lines(preview)
    first_monday = _opening(world, FIRST_MONDAY)
    assert {(c, outcome, reason) for c, o, outcome, reason in lines if o == first_monday.pk} == {
        (c.pk, "skip", "hors délai") for c in world["children"]
    }
    assert "hors délai" in page_text(preview)


def test_cancel_pattern_cancels_exactly_the_days_previewed(world):
    lea, hugo, zoe = world["children"]
    days = [FIRST_MONDAY + timedelta(days=i) for i in range(14) if (FIRST_MONDAY + timedelta(days=i)).weekday() < 5]
    openings = [_opening(world, d) for d in days]
    for child in (lea, hugo):
        save_bookings(child=child, changes=[BookingChange(o.pk, True) for o in openings], acting_user=None)
    url = _url(world, "reservations/famille/jours-reguliers/")
    data = _pattern(world, children=[lea, hugo, zoe], action="cancel")

    preview = world["client"].post(url, data)
    lines = _plan_lines(preview)
    mondays_thursdays = {o.pk for o in openings if o.date.weekday() in (0, 3)}
    assert lines == {(c.pk, pk, "cancel", "") for c in (lea, hugo) for pk in mondays_thursdays}
    assert "Confirmer les annulations" in page_text(preview)

    world["client"].post(url, {**data, "confirm": "1"})

    for child in (lea, hugo):
        assert _booked(child) == {o.pk for o in openings} - mondays_thursdays  # the other days kept
        assert _booked(child, BookingStatus.CANCELLED) == mondays_thursdays


def test_pattern_form_refuses_bad_input_with_a_french_message(world):
    url = _url(world, "reservations/famille/jours-reguliers/")
    response = world["client"].post(url, {**_pattern(world), "end": "2026-01-01"})
    assert response.status_code == 400
    assert "La date de fin doit suivre la date de début." in page_text(response)
    response = world["client"].post(url, {**_pattern(world), "weekdays": []})
    assert response.status_code == 400
    assert "Choisissez au moins un jour de la semaine." in page_text(response)
    assert not Booking.objects.exists()


def test_the_pattern_form_lists_the_children_and_units(world):
    response = world["client"].get(_url(world, "reservations/famille/jours-reguliers/"))
    assert response.status_code == 200
    text = page_text(response)
    for child in world["children"]:
        assert f"{child.first_name} {child.last_name}" in text
    assert "Mercredis et vacances – Journée" in text


# --- Tenancy -----------------------------------------------------------------------------------------
def _neighbour_child(world):
    tenant = world["tenant"]
    other_family = tenant.other_family_user.family
    child = PersonFactory(organisation=tenant.organisation, family=other_family, first_name="Voisin")
    RegistrationFactory(organisation=tenant.organisation, family=other_family, child=child, group=world["group"])
    return child


def test_another_familys_child_posted_anywhere_answers_404_and_changes_nothing(world):
    neighbour = _neighbour_child(world)
    lea = world["children"][0]
    monday = _opening(world, FIRST_MONDAY)
    client = world["client"]
    grid = _url(world, f"reservations/famille/?date={FIRST_MONDAY}")
    pattern = _url(world, "reservations/famille/jours-reguliers/")
    mixed = [_pair(lea, monday), _pair(neighbour, monday)]
    cases = [
        (grid, {"cs": mixed, "co": mixed, "save": "1"}),
        (grid, {"cs": [_pair(lea, monday)], "co": [], "copy_from": neighbour.pk}),
        (pattern, _pattern(world, children=[lea, neighbour])),
        (pattern, {**_pattern(world, children=[lea, neighbour]), "confirm": "1"}),
    ]
    for url, data in cases:
        before = list(Booking.objects.order_by("pk").values_list())
        assert client.post(url, data).status_code == 404, data
        assert list(Booking.objects.order_by("pk").values_list()) == before
    # Control: the same posts with the family's own children change something.
    client.post(pattern, {**_pattern(world, children=[lea]), "confirm": "1"})
    assert _booked(lea)


def test_another_organisations_unit_in_the_pattern_is_refused(world, tenant_b):
    _activity_b, _group_b, unit_b = _activity(tenant_b.organisation)
    response = world["client"].post(
        _url(world, "reservations/famille/jours-reguliers/"), {**_pattern(world), "units": [unit_b.pk], "confirm": "1"}
    )
    assert response.status_code == 400
    assert not Booking.objects.exists()


def test_staff_and_strangers_do_not_reach_the_family_pages(world):
    for path in ("reservations/famille/", "reservations/famille/jours-reguliers/", "reservations/famille/recu/"):
        assert client_for(world["tenant"].admin).get(_url(world, path)).status_code == 403


def test_modifier_from_the_preview_brings_the_choices_back(world):
    url = _url(world, "reservations/famille/jours-reguliers/")
    preview = world["client"].post(url, _pattern(world, children=world["children"][:2]))
    again = preview.context["again"]
    form = world["client"].get(f"{url}?{again}").context["form"]
    assert [int(pk) for pk in form.initial["children"]] == [c.pk for c in world["children"][:2]]
    assert form.initial["weekdays"] == ["0", "3"] and form.initial["start"] == f"{FIRST_MONDAY}"


def test_pattern_skips_a_unit_excluded_by_one_held_that_day_as_the_save_would(world):
    from ribambelle.activities.models import UnitExclusion

    organisation = world["tenant"].organisation
    lea = world["children"][0]
    morning = UnitFactory(organisation=organisation, activity=world["activity"], name="Matin")
    generate_openings(activity=world["activity"])
    UnitExclusion.objects.create(organisation=organisation, from_unit=world["unit"], to_unit=morning)
    morning_monday = Opening.objects.get(unit=morning, date=FIRST_MONDAY)
    save_bookings(child=lea, changes=[BookingChange(morning_monday.pk, True)], acting_user=None)
    url = _url(world, "reservations/famille/jours-reguliers/")
    data = _pattern(world, children=[lea], weekdays=(0,), weeks=1)

    lines = _plan_lines(world["client"].post(url, data))
    assert lines == {
        (lea.pk, _opening(world, FIRST_MONDAY).pk, "skip", "une autre unité incompatible est réservée ce jour-là")
    }
    world["client"].post(url, {**data, "confirm": "1"})
    assert _booked(lea) == {morning_monday.pk}  # applied as previewed: nothing more
