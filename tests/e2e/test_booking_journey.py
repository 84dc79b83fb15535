"""Seed 000 "Réservations" and seed 004 "Mes réservations" in a real browser: click free cells,
"Enregistrer", see them booked; click again to free one; a full day offers the waiting list."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.activities.models import Opening
from ribambelle.activities.services import generate_openings
from ribambelle.bookings.models import Booking
from ribambelle.communication.models import OutgoingEmail

from ..factories import (
    ActivityFactory,
    FamilyUserFactory,
    GroupFactory,
    OrganisationFactory,
    PersonFactory,
    RegistrationFactory,
    UnitFactory,
)
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def july(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    organisation = OrganisationFactory(
        name="Communauté de communes Quercy Vert-Aveyron", slug="quercy", primary_colour="#1d5e3a"
    )
    start = timezone.localdate() + timedelta(days=28)
    start -= timedelta(days=start.weekday())
    activity = ActivityFactory(
        organisation=organisation, name="BIOULE vacances juillet", start_date=start, end_date=start + timedelta(days=18)
    )
    group = GroupFactory(organisation=organisation, activity=activity, name="PRIM 8-10 ans", default_capacity=24)
    UnitFactory(organisation=organisation, activity=activity, name="Journée")
    generate_openings(activity=activity)
    # The last open day of the first week is full.
    first_week = list(Opening.objects.filter(activity=activity, date__lt=start + timedelta(days=7)).order_by("date"))
    full = first_week[-1]
    full.capacity = 0
    full.save()
    parent = FamilyUserFactory(organisation=organisation, email="julie.martin@famille.example", family__name="MARTIN")
    lea = PersonFactory(organisation=organisation, family=parent.family, first_name="Léa")
    RegistrationFactory(organisation=organisation, family=parent.family, child=lea, group=group)
    record_consents(user=parent, personal=True, health=True)
    return {"start": start, "lea": lea}


def test_book_four_days_free_one_and_waiting_list(live_server, page, july):
    base = live_server.url + "/quercy/"
    log_in(page, base, "julie.martin@famille.example", "Test-Passw0rd-Ok")
    page.goto(base + f"reservations/enfant/{july['lea'].pk}/?vue=semaine&date={july['start']:%Y-%m-%d}")
    assert page.get_by_role("heading", name=re.compile("Mes réservations")).is_visible()
    assert_accessible(page, context="planning semaine")

    cells = page.locator("td.cell-free label.cell-btn")
    wanted = min(4, cells.count())
    for i in range(wanted):
        cells.nth(i).click()
    assert page.get_by_text(f"{wanted} modifications non enregistrées").is_visible()
    assert page.locator("td.cell-pending").count() == wanted
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text(f"{wanted} journée(s) réservée(s)").is_visible()
    assert page.locator("td.cell-booked").count() == wanted
    assert page.locator("td.cell-booked .txt").first.inner_text() == "Réservé"
    assert_accessible(page, context="planning après réservation")
    assert OutgoingEmail.objects.filter(template="booking_summary", to="julie.martin@famille.example").exists()

    page.locator("td.cell-booked label.cell-btn").first.click()
    assert page.get_by_text("1 modification non enregistrée").is_visible()
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("1 réservation(s) annulée(s)").is_visible()
    assert page.locator("td.cell-booked").count() == wanted - 1
    assert Booking.objects.filter(child=july["lea"], status="booked").count() == wanted - 1

    # The full Friday: clicking it asks for the waiting list.
    full = page.locator("td.cell-full label.cell-btn").first
    assert "Complet" in full.inner_text()
    full.click()
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("1 demande(s) en liste d'attente").is_visible()
    assert page.locator("td.cell-waiting").count() == 1

    for view in ("Jour", "Mois"):
        page.get_by_role("link", name=view, exact=True).click()
        assert_accessible(page, context=f"planning {view}")
        # The grid scrolls inside its own frame; the phone page itself never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert not page.js_errors, page.js_errors
