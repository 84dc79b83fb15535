"""The back-office dashboard at 7:30: children expected today per group, who is already marked,
the roll call one tap away, and the days filling up — for the staff member's structures only."""

from datetime import timedelta

import pytest
from django.utils import timezone

from .conftest import client_for, page_text
from .factories import (
    ActivityFactory,
    BookingFactory,
    GroupFactory,
    MembershipFactory,
    MembershipStructureFactory,
    OpeningFactory,
    RegistrationFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db


def _activity_today(organisation, name, *, groups=("MATER", "PRIM"), structure=None):
    today = timezone.localdate()
    extra = {"structure": structure} if structure else {}
    activity = ActivityFactory(
        organisation=organisation,
        name=name,
        start_date=today - timedelta(days=3),
        end_date=today + timedelta(days=20),
        **extra,
    )
    day_unit = UnitFactory(organisation=organisation, activity=activity, name="Journée")
    meal = UnitFactory(organisation=organisation, activity=activity, name="Repas")
    made = {}
    for name_ in groups:
        group = GroupFactory(organisation=organisation, activity=activity, name=name_)
        made[name_] = {
            unit.name: OpeningFactory(organisation=organisation, activity=activity, unit=unit, group=group, date=today)
            for unit in (day_unit, meal)
        }
    return activity, made


def _book(organisation, opening, status="booked", *, also=None):
    registration = RegistrationFactory(organisation=organisation, group=opening.group)
    BookingFactory(
        organisation=organisation, registration=registration, family=registration.family, opening=opening, status=status
    )
    if also is not None:  # the same child on a second unit of the day (e.g. the meal)
        BookingFactory(organisation=organisation, registration=registration, family=registration.family, opening=also)


def test_today_counts_children_once_per_group_and_links_the_roll_call(tenant_a):
    org = tenant_a.organisation
    activity, openings = _activity_today(org, "Mercredis Bioule")
    mater = openings["MATER"]
    _book(org, mater["Journée"], "present", also=mater["Repas"])  # one child, two units: counted once
    _book(org, mater["Journée"], "absent")
    _book(org, mater["Journée"])
    _book(org, openings["PRIM"]["Journée"], "excused")

    page = page_text(client_for(tenant_a.admin).get(tenant_a.url("gestion/")))
    assert "Mercredis Bioule" in page and "4 enfants attendus" in page
    assert "<td>3</td><td>1</td><td>1</td>" in page  # MATER: expected, present, absent
    assert "<strong>1</strong>" in page  # one MATER child still to mark
    assert "tous pointés" in page  # PRIM: its only child is a justified absence
    assert f"/gestion/activites/{activity.pk}/pointage/" in page


def test_days_filling_up_are_listed_with_their_waiting_list(tenant_a):
    org = tenant_a.organisation
    activity = ActivityFactory(organisation=org, name="Vacances d'hiver")
    almost = OpeningFactory(
        organisation=org, activity=activity, date=timezone.localdate() + timedelta(days=3), capacity=10
    )
    for _ in range(9):
        _book(org, almost)
    roomy = OpeningFactory(
        organisation=org, activity=activity, date=timezone.localdate() + timedelta(days=4), capacity=10
    )
    _book(org, roomy)
    OpeningFactory(organisation=org, activity=activity, date=timezone.localdate() + timedelta(days=5), capacity=2)
    far = OpeningFactory(
        organisation=org, activity=activity, date=timezone.localdate() + timedelta(days=40), capacity=1
    )
    _book(org, far)

    page = page_text(client_for(tenant_a.admin).get(tenant_a.url("gestion/")))
    assert "presque complet" in page and "9 / 10 places" in page
    assert "1 / 10 places" not in page and "1 / 1 places" not in page
    assert "0 / 2 places" not in page  # a small group nobody booked yet is not "filling up"


def test_a_director_of_one_structure_sees_only_its_children(tenant_a):
    org = tenant_a.organisation
    mine, mine_openings = _activity_today(org, "Accueil de Bioule")
    theirs, theirs_openings = _activity_today(org, "Accueil de Montricoux")
    _book(org, mine_openings["PRIM"]["Journée"])
    _book(org, theirs_openings["PRIM"]["Journée"])
    director = MembershipFactory(organisation=org, role="director")
    MembershipStructureFactory(organisation=org, membership=director, structure=mine.structure)

    page = page_text(client_for(director.user).get(tenant_a.url("gestion/")))
    assert "Accueil de Bioule" in page and "Accueil de Montricoux" not in page
    finance = MembershipFactory(organisation=org, role="finance").user
    assert "Aujourd'hui" not in page_text(client_for(finance).get(tenant_a.url("gestion/")))


@pytest.mark.parametrize("activities", [1, 4])
def test_the_dashboard_costs_the_same_queries_for_one_activity_or_four(
    tenant_a, activities, django_assert_max_num_queries
):
    org = tenant_a.organisation
    for i in range(activities):
        _activity_openings = _activity_today(org, f"Activité {i}")[1]
        _book(org, _activity_openings["MATER"]["Journée"], also=_activity_openings["MATER"]["Repas"])
        _book(org, _activity_openings["PRIM"]["Journée"], "present")
    client = client_for(tenant_a.admin)
    with django_assert_max_num_queries(13):
        response = client.get(tenant_a.url("gestion/"))
    assert response.status_code == 200
