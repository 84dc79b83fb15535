from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from ribambelle.activities import services
from ribambelle.activities.models import Opening, UnitExclusion
from ribambelle.core.dates import age_in_months, booking_deadline

from .conftest import client_for, page_text
from .factories import ActivityFactory, GroupFactory, StructureFactory, UnitFactory


def test_age_in_months_counts_the_birthday_itself():
    assert age_in_months(date(2015, 7, 10), date(2023, 7, 10)) == 8 * 12
    assert age_in_months(date(2015, 7, 10), date(2023, 7, 9)) == 8 * 12 - 1
    assert age_in_months(date(2016, 2, 29), date(2024, 2, 28)) == 8 * 12 - 1


def test_booking_deadline_skips_weekends_and_public_holidays():
    # Monday 10 July 2023, "2 working days before at 12:00" -> Thursday 6 July 12:00.
    deadline = booking_deadline(
        day=date(2023, 7, 10), days_before=2, at=time(12), working_days_only=True, tz="Europe/Paris"
    )
    assert deadline.date() == date(2023, 7, 6) and deadline.hour == 12
    # Monday 17 July: Friday 14 July is a public holiday -> Wednesday 12 July.
    deadline = booking_deadline(
        day=date(2023, 7, 17), days_before=2, at=time(12), working_days_only=True, tz="Europe/Paris"
    )
    assert deadline.date() == date(2023, 7, 12)
    plain = booking_deadline(
        day=date(2023, 7, 10), days_before=2, at=time(18), working_days_only=False, tz="Europe/Paris"
    )
    assert plain.date() == date(2023, 7, 8)


def test_openings_follow_week_days_minus_holidays_and_closures(tenant_a):
    activity = ActivityFactory(
        organisation=tenant_a.organisation, start_date=date(2023, 7, 10), end_date=date(2023, 7, 28), weekdays=0b11111
    )
    unit = UnitFactory(organisation=tenant_a.organisation, activity=activity)
    GroupFactory(organisation=tenant_a.organisation, activity=activity, default_capacity=24)
    GroupFactory(organisation=tenant_a.organisation, activity=activity, default_capacity=16)
    services.generate_openings(activity=activity)
    days = sorted(set(Opening.objects.filter(activity=activity).values_list("date", flat=True)))
    assert date(2023, 7, 14) not in days  # Fête nationale
    assert len(days) == 14 and all(d.weekday() < 5 for d in days)
    assert Opening.objects.filter(activity=activity).count() == 28

    opening = Opening.objects.filter(activity=activity, unit=unit).first()
    services.set_capacity(opening=opening, capacity=5, acting_user=tenant_a.admin)
    services.close_day(activity=activity, day=date(2023, 7, 21), reason="Formation", acting_user=tenant_a.admin)
    assert Opening.objects.filter(activity=activity, date=date(2023, 7, 21), is_closed=True).count() == 2
    services.generate_openings(activity=activity)  # idempotent, keeps the edited capacity
    opening.refresh_from_db()
    assert opening.capacity == 5 and Opening.objects.filter(activity=activity).count() == 28


def test_duplicate_for_next_period_copies_groups_units_and_exclusions(tenant_a):
    activity = ActivityFactory(
        organisation=tenant_a.organisation, start_date=date(2023, 7, 10), end_date=date(2023, 7, 28)
    )
    GroupFactory(organisation=tenant_a.organisation, activity=activity, name="MATER 3-4 ans")
    day = UnitFactory(organisation=tenant_a.organisation, activity=activity, name="Journée")
    morning = UnitFactory(organisation=tenant_a.organisation, activity=activity, name="Matin")
    services.set_unit_exclusions(unit=day, excludes=[morning])
    copy = services.duplicate_activity(
        activity=activity, start_date=date(2024, 7, 8), name="BIOULE juillet 2024", acting_user=tenant_a.admin
    )
    assert (copy.start_date, copy.end_date) == (date(2024, 7, 8), date(2024, 7, 26))
    assert list(copy.groups.values_list("name", flat=True)) == ["MATER 3-4 ans"]
    assert UnitExclusion.objects.filter(from_unit__activity=copy).count() == 2
    assert copy.registration_opens_at == activity.registration_opens_at + (date(2024, 7, 8) - date(2023, 7, 10))
    assert Opening.objects.filter(activity=copy).exists()


def test_staff_create_activity_with_french_errors(tenant_a):
    structure = StructureFactory(organisation=tenant_a.organisation)
    client = client_for(tenant_a.admin)
    bad = client.post(
        tenant_a.url("gestion/activites/nouvelle/"),
        {
            "name": "Été",
            "kind": "vacances",
            "structure": structure.pk,
            "start_date": "2024-07-20",
            "end_date": "2024-07-10",
            "registration_opens_at": "2024-05-31T08:00",
            "validation_mode": "automatic",
            "deadline_days": 2,
            "deadline_time": "12:00",
        },
    )
    assert bad.status_code == 400
    page = page_text(bad)
    assert "La date de fin doit suivre la date de début." in page or "Ce champ est obligatoire" in page
    good = client.post(
        tenant_a.url("gestion/activites/nouvelle/"),
        {
            "name": "BIOULE vacances juillet",
            "kind": "vacances",
            "structure": structure.pk,
            "start_date": "2024-07-10",
            "end_date": "2024-07-28",
            "weekday_set": ["0", "1", "2", "3", "4"],
            "registration_opens_at": "2024-05-31T08:00",
            "validation_mode": "automatic",
            "deadline_days": 2,
            "deadline_time": "12:00",
            "is_published": "on",
        },
    )
    assert good.status_code == 302
    activity = structure.activities.get()
    assert activity.weekdays_label == "Lundi, Mardi, Mercredi, Jeudi, Vendredi"
    assert activity.sector == structure.sector
    assert timezone.localtime(activity.registration_opens_at).hour == 8


def test_group_form_turns_years_into_inclusive_months(tenant_a):
    activity = ActivityFactory(organisation=tenant_a.organisation)
    UnitFactory(organisation=tenant_a.organisation, activity=activity)
    response = client_for(tenant_a.admin).post(
        tenant_a.url(f"gestion/activites/{activity.pk}/groupes/nouveau/"),
        {
            "name": "PRIM 8-10 ans",
            "age_min_years": 8,
            "age_max_years": 10,
            "default_capacity": 24,
            "position": 0,
        },
    )
    assert response.status_code == 302
    group = activity.groups.get()
    assert (group.age_min_months, group.age_max_months) == (96, 131)
    assert Opening.objects.filter(group=group).count() > 0


def test_calendar_capacity_edit(tenant_a):
    activity = ActivityFactory(organisation=tenant_a.organisation, start_date=timezone.localdate() + timedelta(days=7))
    UnitFactory(organisation=tenant_a.organisation, activity=activity)
    GroupFactory(organisation=tenant_a.organisation, activity=activity, default_capacity=20)
    services.generate_openings(activity=activity)
    opening = Opening.objects.filter(activity=activity).order_by("date").first()
    client = client_for(tenant_a.admin)
    url = tenant_a.url(f"gestion/activites/{activity.pk}/calendrier/?semaine={opening.date:%Y-%m-%d}")
    assert f'name="cap-{opening.pk}"' in client.get(url).content.decode()
    client.post(url, {"capacities": "1", f"cap-{opening.pk}": "12"})
    opening.refresh_from_db()
    assert opening.capacity == 12


def test_raising_a_capacity_in_the_calendar_books_the_waiting_list(tenant_a):
    from ribambelle.bookings.models import Booking

    from .conftest import page_text
    from .factories import BookingFactory, OpeningFactory

    opening = OpeningFactory(organisation=tenant_a.organisation, capacity=0)
    waiting = BookingFactory(organisation=tenant_a.organisation, opening=opening, status="waiting")
    url = tenant_a.url(f"gestion/activites/{opening.activity_id}/calendrier/?semaine={opening.date:%Y-%m-%d}")
    response = client_for(tenant_a.admin).post(url, {"capacities": "1", f"cap-{opening.pk}": "1"}, follow=True)
    assert Booking.objects.get(pk=waiting.pk).status == "booked"
    assert "1 enfant(s) de la liste d'attente ont obtenu une place" in page_text(response)


@pytest.mark.parametrize("n", [3, 12])
def test_activity_list_query_count_is_constant(tenant_a, django_assert_max_num_queries, n):
    for _ in range(n):
        GroupFactory(organisation=tenant_a.organisation, activity=ActivityFactory(organisation=tenant_a.organisation))
    client = client_for(tenant_a.admin)
    with django_assert_max_num_queries(12):
        assert client.get(tenant_a.url("gestion/activites/")).status_code == 200
