"""The back-office calendar saves a week's capacities in one service call: one transaction,
all or nothing, places added going to the waiting list."""

from datetime import timedelta

from ribambelle.activities.models import Opening
from ribambelle.bookings.models import Booking

from .conftest import client_for, page_text
from .factories import BookingFactory, OpeningFactory


def _week(tenant):
    first = OpeningFactory(organisation=tenant.organisation, capacity=0)
    second = OpeningFactory(
        organisation=tenant.organisation,
        activity=first.activity,
        unit=first.unit,
        group=first.group,
        date=first.date + timedelta(days=1 if first.date.weekday() < 6 else -1),
        capacity=0,
    )
    url = tenant.url(
        f"gestion/activites/{first.activity_id}/calendrier/?semaine={min(first.date, second.date):%Y-%m-%d}"
    )
    return first, second, url


def test_a_weeks_capacities_are_saved_and_offered_to_the_waiting_list_together(tenant_a):
    first, second, url = _week(tenant_a)
    waiting = [BookingFactory(organisation=tenant_a.organisation, opening=o, status="waiting") for o in (first, second)]
    response = client_for(tenant_a.admin).post(
        url, {"capacities": "1", f"cap-{first.pk}": "1", f"cap-{second.pk}": "3"}, follow=True
    )
    assert [Opening.objects.get(pk=o.pk).capacity for o in (first, second)] == [1, 3]
    assert {Booking.objects.get(pk=b.pk).status for b in waiting} == {"booked"}
    assert "2 capacité(s) modifiée(s)" in page_text(response)


def test_one_refused_capacity_saves_none_of_the_week(tenant_a):
    first, second, url = _week(tenant_a)
    waiting = BookingFactory(organisation=tenant_a.organisation, opening=first, status="waiting")
    response = client_for(tenant_a.admin).post(
        url, {"capacities": "1", f"cap-{first.pk}": "2", f"cap-{second.pk}": "20000"}, follow=True
    )
    assert response.status_code == 200
    assert "entre 0 et 10 000" in page_text(response)
    assert [Opening.objects.get(pk=o.pk).capacity for o in (first, second)] == [0, 0]
    assert Booking.objects.get(pk=waiting.pk).status == "waiting"
