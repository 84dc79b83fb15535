from datetime import time, timedelta

import pytest
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.activities.models import Opening
from ribambelle.activities.services import generate_openings, set_unit_exclusions
from ribambelle.bookings import services
from ribambelle.bookings.models import Booking, BookingSettings, BookingStatus, WaitingListRule
from ribambelle.bookings.services import BookingChange
from ribambelle.communication.models import OutgoingEmail

from .conftest import client_for, page_text
from .factories import ActivityFactory, GroupFactory, PersonFactory, RegistrationFactory, UnitFactory


@pytest.fixture
def setup(tenant_a):
    """An activity starting in three weeks (Mon–Fri), one group, units Journée/Matin excluding each other,
    Léa registered (accepted)."""
    organisation = tenant_a.organisation
    start = timezone.localdate() + timedelta(days=21)
    start -= timedelta(days=start.weekday())
    activity = ActivityFactory(
        organisation=organisation,
        name="BIOULE vacances",
        start_date=start,
        end_date=start + timedelta(days=11),
        deadline_days=2,
        deadline_time=time(12),
    )
    group = GroupFactory(organisation=organisation, activity=activity, name="PRIM 8-10 ans", default_capacity=2)
    day_unit = UnitFactory(organisation=organisation, activity=activity, name="Journée", position=0)
    morning = UnitFactory(organisation=organisation, activity=activity, name="Matin", position=1)
    set_unit_exclusions(unit=day_unit, excludes=[morning])
    generate_openings(activity=activity)
    family = tenant_a.family_user.family
    lea = PersonFactory(organisation=organisation, family=family, first_name="Léa")
    RegistrationFactory(organisation=organisation, family=family, child=lea, group=group)
    openings = list(Opening.objects.filter(unit=day_unit).order_by("date"))
    return {
        "activity": activity,
        "group": group,
        "day": day_unit,
        "morning": morning,
        "lea": lea,
        "openings": openings,
        "start": start,
    }


def _register(tenant, setup, user):
    child = PersonFactory(organisation=tenant.organisation, family=user.family)
    RegistrationFactory(organisation=tenant.organisation, family=user.family, child=child, group=setup["group"])
    return child


def _run_queued_tasks():
    """As the worker does, once the save has committed (the summary is queued in its transaction)."""
    from django_tasks import default_task_backend

    for queued in default_task_backend.results:
        queued.task.call(*queued.args, **queued.kwargs)
    default_task_backend.results.clear()


def test_book_and_cancel_with_one_summary_email(tenant_a, setup, django_capture_on_commit_callbacks):
    lea, openings = setup["lea"], setup["openings"]
    with django_capture_on_commit_callbacks(execute=True):
        result = services.save_bookings(
            child=lea, changes=[BookingChange(o.pk, True) for o in openings[:4]], acting_user=tenant_a.family_user
        )
    _run_queued_tasks()
    assert len(result.booked) == 4
    mails = OutgoingEmail.objects.filter(template="booking_summary")
    assert mails.count() == 1 and "Réservé" in mails.get().body_text
    assert "Journée du " in mails.get().body_text
    with django_capture_on_commit_callbacks(execute=True):
        result = services.save_bookings(
            child=lea, changes=[BookingChange(openings[0].pk, False)], acting_user=tenant_a.family_user
        )
    _run_queued_tasks()
    assert len(result.cancelled) == 1
    assert Booking.objects.filter(child=lea, status=BookingStatus.BOOKED).count() == 3
    assert "Annulé" in OutgoingEmail.objects.filter(template="booking_summary").latest("id").body_text


def test_capacity_full_then_waiting_list_then_promotion(tenant_a, setup, django_capture_on_commit_callbacks):
    opening = setup["openings"][0]
    lea = setup["lea"]
    other = _register(tenant_a, setup, tenant_a.other_family_user)
    third = _register(tenant_a, setup, tenant_a.other_family_user)
    services.save_bookings(child=lea, changes=[BookingChange(opening.pk, True)], acting_user=None)
    services.save_bookings(child=other, changes=[BookingChange(opening.pk, True)], acting_user=None)
    result = services.save_bookings(child=third, changes=[BookingChange(opening.pk, True)], acting_user=None)
    assert result.full == [opening] and not result.booked  # offered, not imposed
    result = services.save_bookings(
        child=third, changes=[BookingChange(opening.pk, True, join_waiting_list=True)], acting_user=None
    )
    assert result.waitlisted[0].status == BookingStatus.WAITING
    with django_capture_on_commit_callbacks(execute=True):
        services.save_bookings(child=lea, changes=[BookingChange(opening.pk, False)], acting_user=None)
    promoted = Booking.objects.get(child=third, opening=opening)
    assert promoted.status == BookingStatus.BOOKED
    assert OutgoingEmail.objects.filter(template="waiting_list_place").exists()
    assert Booking.objects.filter(opening=opening, status__in=["booked"]).count() == 2


def test_offer_rule_gives_a_limited_time(tenant_a, setup):
    BookingSettings.objects.create(
        organisation=tenant_a.organisation, waiting_list_rule=WaitingListRule.OFFER, offer_hours=24
    )
    opening = setup["openings"][0]
    opening.capacity = 1
    opening.save()
    other = _register(tenant_a, setup, tenant_a.other_family_user)
    services.save_bookings(child=setup["lea"], changes=[BookingChange(opening.pk, True)], acting_user=None)
    services.save_bookings(child=other, changes=[BookingChange(opening.pk, True, True)], acting_user=None)
    services.save_bookings(child=setup["lea"], changes=[BookingChange(opening.pk, False)], acting_user=None)
    offer = Booking.objects.get(child=other, opening=opening)
    assert offer.status == BookingStatus.WAITING and offer.offer_expires_at
    services.accept_offer(booking=offer, acting_user=tenant_a.other_family_user)
    offer.refresh_from_db()
    assert offer.status == BookingStatus.BOOKED


def test_an_offered_place_is_held_for_the_family_it_is_offered_to(tenant_a, setup):
    """Offer rule: while Karim's family decides, nobody else can take the place; when he accepts,
    the capacity still holds; when he declines, the next in line is offered it."""
    BookingSettings.objects.create(
        organisation=tenant_a.organisation, waiting_list_rule=WaitingListRule.OFFER, offer_hours=24
    )
    opening = setup["openings"][0]
    opening.capacity = 1
    opening.save()
    first = _register(tenant_a, setup, tenant_a.other_family_user)
    second = _register(tenant_a, setup, tenant_a.other_family_user)
    latecomer = _register(tenant_a, setup, tenant_a.other_family_user)
    services.save_bookings(child=setup["lea"], changes=[BookingChange(opening.pk, True)], acting_user=None)
    for child in (first, second):
        services.save_bookings(child=child, changes=[BookingChange(opening.pk, True, True)], acting_user=None)
    services.save_bookings(child=setup["lea"], changes=[BookingChange(opening.pk, False)], acting_user=None)
    offer = Booking.objects.get(child=first, opening=opening)
    assert offer.offer_expires_at

    result = services.save_bookings(child=latecomer, changes=[BookingChange(opening.pk, True)], acting_user=None)
    assert result.full == [opening] and not result.booked  # the place is held for the offer

    services.save_bookings(child=first, changes=[BookingChange(opening.pk, False)], acting_user=None)  # declines
    assert Booking.objects.get(child=second, opening=opening).offer_expires_at  # the next in line is offered it
    services.accept_offer(booking=Booking.objects.get(child=second, opening=opening), acting_user=None)
    assert Booking.objects.filter(opening=opening, status=BookingStatus.BOOKED).count() == 1


def test_raising_the_capacity_gives_the_new_places_to_the_waiting_list_in_order(
    tenant_a, setup, django_capture_on_commit_callbacks
):
    opening = setup["openings"][0]  # 2 places
    children = [setup["lea"]] + [_register(tenant_a, setup, tenant_a.other_family_user) for _ in range(4)]
    for child in children:
        services.save_bookings(child=child, changes=[BookingChange(opening.pk, True, True)], acting_user=None)
    assert [
        b.child for b in Booking.objects.filter(opening=opening, status="waiting").order_by("created_at", "id")
    ] == children[2:]

    with django_capture_on_commit_callbacks(execute=True):
        promoted = services.change_capacity(opening=opening, capacity=4, acting_user=tenant_a.admin)
    assert [b.child for b in promoted] == children[2:4]  # first in line first
    assert Booking.objects.filter(opening=opening, status="booked").count() == 4
    assert Booking.objects.get(child=children[4], opening=opening).status == BookingStatus.WAITING
    assert OutgoingEmail.objects.filter(template="waiting_list_place").count() == 2
    assert (
        services.change_capacity(opening=opening, capacity=3, acting_user=tenant_a.admin) == []
    )  # lowering: nobody loses a place


def test_deadline_locks_families_but_not_staff(tenant_a, setup):
    activity = setup["activity"]
    activity.deadline_days = 40  # every day is now past its deadline
    activity.save()
    lea, opening = setup["lea"], setup["openings"][0]
    result = services.save_bookings(child=lea, changes=[BookingChange(opening.pk, True)], acting_user=None)
    assert result.refused and "délai" in result.refused[0][1] and not result.booked
    result = services.save_bookings(
        child=lea, changes=[BookingChange(opening.pk, True)], acting_user=tenant_a.admin, as_staff=True
    )
    assert result.booked


def test_unit_exclusions(tenant_a, setup):
    lea = setup["lea"]
    day = setup["openings"][0]
    morning = Opening.objects.get(unit=setup["morning"], date=day.date)
    result = services.save_bookings(
        child=lea, changes=[BookingChange(day.pk, True), BookingChange(morning.pk, True)], acting_user=None
    )
    assert len(result.booked) == 1 and "incompatible" in result.refused[0][1]


def test_no_registration_no_booking(tenant_a, setup):
    stranger = PersonFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    result = services.save_bookings(
        child=stranger, changes=[BookingChange(setup["openings"][0].pk, True)], acting_user=None
    )
    assert not result.booked and "inscription" in result.refused[0][1]


def test_staff_may_exceed_capacity_with_a_reason(tenant_a, setup):
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
    assert result.booked[0].staff_note == "Urgence famille"


def test_planning_page_books_and_cancels_without_javascript(tenant_a, setup):
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    client = client_for(tenant_a.family_user)
    lea, openings = setup["lea"], setup["openings"]
    url = tenant_a.url(f"reservations/enfant/{lea.pk}/?vue=semaine&date={setup['start']:%Y-%m-%d}")
    page = page_text(client.get(url))
    assert "Journée" in page and "Libre" in page and "Légende" in page and "Enregistrer" in page
    week = [o for o in openings if o.date < setup["start"] + timedelta(days=7)]
    shown = [str(o.pk) for o in week]
    response = client.post(url, {"shown": shown, "o": shown[:4]})
    assert response.status_code == 302
    assert Booking.objects.filter(child=lea, status="booked").count() == 4
    page = page_text(client.get(url))
    assert page.count("Réservé") >= 5  # the legend + 4 cells
    client.post(url, {"shown": shown, "o": shown[:3]})
    assert Booking.objects.filter(child=lea, status="booked").count() == 3


@pytest.mark.parametrize(("view", "activities"), [("semaine", 1), ("mois", 1), ("mois", 3)])
def test_planning_query_count_does_not_grow(tenant_a, setup, view, activities, django_assert_max_num_queries):
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    for _ in range(activities - 1):
        activity = ActivityFactory(
            organisation=tenant_a.organisation, start_date=setup["start"], end_date=setup["start"] + timedelta(days=30)
        )
        group = GroupFactory(organisation=tenant_a.organisation, activity=activity)
        UnitFactory(organisation=tenant_a.organisation, activity=activity)
        UnitFactory(organisation=tenant_a.organisation, activity=activity)
        generate_openings(activity=activity)
        RegistrationFactory(
            organisation=tenant_a.organisation, family=tenant_a.family_user.family, child=setup["lea"], group=group
        )
    services.save_bookings(
        child=setup["lea"], changes=[BookingChange(o.pk, True) for o in setup["openings"][:5]], acting_user=None
    )
    client = client_for(tenant_a.family_user)
    with django_assert_max_num_queries(11):  # +1: the booked days of the period ("Signaler une absence")
        response = client.get(
            tenant_a.url(f"reservations/enfant/{setup['lea'].pk}/?vue={view}&date={setup['start']:%Y-%m-%d}")
        )
    assert response.status_code == 200


def test_typical_week(tenant_a, setup):
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    client = client_for(tenant_a.family_user)
    lea = setup["lea"]
    client.post(
        tenant_a.url(f"reservations/enfant/{lea.pk}/semaine-type/"),
        {
            "weekday": ["0", "2"],
            "unit": [setup["day"].pk],
            "from": f"{setup['start']:%Y-%m-%d}",
            "to": f"{setup['start'] + timedelta(days=13):%Y-%m-%d}",
        },
    )
    days = sorted(Booking.objects.filter(child=lea).values_list("date", flat=True))
    assert days and all(d.weekday() in (0, 2) for d in days) and len(days) == 4


def test_attendance_marking_and_lists(tenant_a, setup):
    activity = setup["activity"]
    today = timezone.localdate()
    activity.start_date = today
    activity.save()
    opening = Opening.objects.create(
        organisation=tenant_a.organisation,
        activity=activity,
        unit=setup["day"],
        group=setup["group"],
        date=today,
        capacity=10,
    )
    services.save_bookings(
        child=setup["lea"], changes=[BookingChange(opening.pk, True)], acting_user=tenant_a.admin, as_staff=True
    )
    booking = Booking.objects.get(child=setup["lea"], opening=opening)
    client = client_for(tenant_a.agent)
    page = page_text(client.get(tenant_a.url(f"gestion/activites/{activity.pk}/pointage/")))
    assert setup["lea"].last_name in page and "Présent" in page
    response = client.post(
        tenant_a.url(f"gestion/reservations/{booking.pk}/presence/"),
        {"status": "present", "arrived_at": "07:45"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and "arrivé à 07:45" in page_text(response)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.PRESENT and booking.arrived_at == time(7, 45)
    from .factories import AuthorisedPersonFactory, HealthRecordFactory

    HealthRecordFactory(
        organisation=tenant_a.organisation,
        family=setup["lea"].family,
        child=setup["lea"],
        allergies="Arachide",
        has_pai=True,
    )
    AuthorisedPersonFactory(
        organisation=tenant_a.organisation,
        family=setup["lea"].family,
        child=setup["lea"],
        first_name="Josette",
        relationship="Grand-mère",
    )
    csv_text = client.get(tenant_a.url(f"gestion/activites/{activity.pk}/presences/?format=csv")).content.decode(
        "utf-8-sig"
    )
    assert setup["lea"].last_name in csv_text and "Arachide" in csv_text and ";oui;" in csv_text
    assert "Josette" in csv_text and "Grand-mère" in csv_text
    from ribambelle.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="health_view", actor=tenant_a.agent).exists()
    pdf = client.get(tenant_a.url(f"gestion/activites/{activity.pk}/presences/?format=pdf"))
    assert pdf.content.startswith(b"%PDF")


def test_calendar_feed_is_private_and_revocable(tenant_a, setup):
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    services.save_bookings(child=setup["lea"], changes=[BookingChange(setup["openings"][0].pk, True)], acting_user=None)
    client = client_for(tenant_a.family_user)
    client.post(tenant_a.url("reservations/agenda/"))
    feed = tenant_a.family_user.family.calendar_feed
    from django.test import Client

    anonymous = Client()
    ics = anonymous.get(tenant_a.url(f"agenda/{feed.token}.ics"))
    assert ics.status_code == 200 and b"BEGIN:VCALENDAR" in ics.content and "Léa".encode() in ics.content
    old = feed.token
    client.post(tenant_a.url("reservations/agenda/"))
    assert anonymous.get(tenant_a.url(f"agenda/{old}.ics")).status_code == 404


def test_past_days_show_attendance_states(tenant_a, setup):
    from ribambelle.bookings.selectors import planning

    booking_day = setup["openings"][0]
    services.save_bookings(child=setup["lea"], changes=[BookingChange(booking_day.pk, True)], acting_user=None)
    Booking.objects.filter(child=setup["lea"]).update(status=BookingStatus.EXCUSED)
    blocks = planning(setup["lea"], booking_day.date, booking_day.date)
    assert blocks[0].rows[0].cells[0].state == "excused"
    assert blocks[0].rows[0].cells[0].day == booking_day.date


def test_cancelling_twice_from_two_tabs_frees_one_place_only(tenant_a, setup, monkeypatch):
    opening = setup["openings"][0]
    opening.capacity = 1
    opening.save()
    lea = setup["lea"]
    first, second = (_register(tenant_a, setup, tenant_a.other_family_user) for _ in range(2))
    services.save_bookings(child=lea, changes=[BookingChange(opening.pk, True)], acting_user=None)
    for child in (first, second):
        services.save_bookings(child=child, changes=[BookingChange(opening.pk, True, True)], acting_user=None)
    stale = services._openings_for(lea, {opening.pk})  # both tabs read the day before either saved
    assert stale[opening.pk].live_booking_id
    monkeypatch.setattr(services, "_openings_for", lambda child, ids: stale)
    for _tab in range(2):
        services.save_bookings(child=lea, changes=[BookingChange(opening.pk, False)], acting_user=None)
    assert Booking.objects.filter(opening=opening, status=BookingStatus.BOOKED).count() == 1
    assert Booking.objects.get(opening=opening, child=first).status == BookingStatus.BOOKED
    assert Booking.objects.get(opening=opening, child=second).status == BookingStatus.WAITING


@pytest.mark.parametrize("days", [1, 8])
def test_saving_a_planning_costs_the_same_queries_for_one_day_or_eight(
    tenant_a, setup, days, django_assert_max_num_queries
):
    """The rush path: session, user with organisation and family, consent, child, the days with
    registration, exclusions and the child's bookings, the exclusions themselves, lock (with its
    timeout on PostgreSQL), count, insert, history, summary task, commit — whatever the number of
    days ticked (exact counts: tests/test_save_queries.py)."""
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    client = client_for(tenant_a.family_user)
    shown = [o.pk for o in setup["openings"][:days]]
    url = tenant_a.url(f"reservations/enfant/{setup['lea'].pk}/?vue=mois&date={setup['start']:%Y-%m-%d}")
    with django_assert_max_num_queries(15):
        response = client.post(url, {"shown": shown, "o": shown})
    assert response.status_code == 302
    assert Booking.objects.filter(child=setup["lea"], status__in=["booked", "waiting"]).count() == days


def _today_booking(tenant_a, setup, child=None):
    activity = setup["activity"]
    today = timezone.localdate()
    if activity.start_date != today:
        activity.start_date = today
        activity.save()
    opening, _created = Opening.objects.get_or_create(
        organisation=tenant_a.organisation,
        activity=activity,
        unit=setup["day"],
        group=setup["group"],
        date=today,
        defaults={"capacity": 30},
    )
    child = child or setup["lea"]
    services.save_bookings(
        child=child, changes=[BookingChange(opening.pk, True)], acting_user=tenant_a.admin, as_staff=True
    )
    return Booking.objects.get(child=child, opening=opening)


def test_present_records_the_arrival_time_in_paris_and_keeps_an_edited_one(tenant_a, setup):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    booking = _today_booking(tenant_a, setup)
    client = client_for(tenant_a.agent)
    url = tenant_a.url(f"gestion/reservations/{booking.pk}/presence/")
    before = datetime.now(ZoneInfo("Europe/Paris")).time().replace(second=0, microsecond=0)
    response = client.post(url, {"status": "present", "arrived_at": ""}, HTTP_HX_REQUEST="true")
    after = datetime.now(ZoneInfo("Europe/Paris")).time()
    booking.refresh_from_db()
    assert booking.arrived_at is not None and before <= booking.arrived_at <= after
    assert f"arrivé à {booking.arrived_at:%H:%M}" in page_text(response)
    # The time shown is editable: a corrected one is kept, and tapping "Présent" again keeps it.
    client.post(url, {"status": "present", "arrived_at": "07:40"}, HTTP_HX_REQUEST="true")
    client.post(url, {"status": "present", "arrived_at": ""}, HTTP_HX_REQUEST="true")
    booking.refresh_from_db()
    assert booking.arrived_at == time(7, 40)
    client.post(url, {"status": "absent"}, HTTP_HX_REQUEST="true")
    booking.refresh_from_db()
    assert booking.arrived_at is None


def test_roll_call_cards_show_pai_allergies_and_diet_in_words_with_constant_queries(tenant_a, setup):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .factories import DietFactory, HealthRecordFactory, PersonDietFactory

    organisation, family = tenant_a.organisation, setup["lea"].family
    _today_booking(tenant_a, setup)
    HealthRecordFactory(
        organisation=organisation, family=family, child=setup["lea"], allergies="Arachide", has_pai=True
    )
    PersonDietFactory(
        organisation=organisation, person=setup["lea"], diet=DietFactory(organisation=organisation, name="Sans porc")
    )
    client = client_for(tenant_a.admin)
    url = tenant_a.url(f"gestion/activites/{setup['activity'].pk}/pointage/")

    def queries():
        with CaptureQueriesContext(connection) as context:
            response = client.get(url)
        return response, len(context)

    def words(response):
        import re

        return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())

    response, few = queries()
    card = words(response)
    assert "PAI" in card and "Allergies : Arachide" in card and "Régime : Sans porc" in card
    for n in range(4):
        child = PersonFactory(organisation=organisation, family=family, first_name=f"Enfant{n}")
        RegistrationFactory(organisation=organisation, family=family, child=child, group=setup["group"])
        HealthRecordFactory(organisation=organisation, family=family, child=child, allergies=f"Allergie{n}")
        _today_booking(tenant_a, setup, child=child)
    response, many = queries()
    assert "Allergies : Allergie3" in words(response)
    assert many == few
