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


# The colours of each state (CSS of the grid) as the browser computes them, and the word shown.
STATE_COLOURS = {
    "booked": ("rgb(215, 240, 221)", "Réservé"),
    "free": ("rgb(255, 255, 255)", "Libre"),
    "full": ("rgb(253, 226, 225)", "Complet"),
    "closed": ("rgb(233, 236, 239)", "Fermé"),
    "waiting": ("rgb(255, 243, 205)", "Liste d'attente"),
}


@pytest.mark.parametrize("width", [390, 1366])
def test_each_state_has_its_colour_and_word_in_the_grid_and_the_legend(live_server, browser, july, width):
    """Bootstrap's table cell style painted every cell white whatever its state (issue 14, 2)."""
    week = july["start"] + timedelta(days=7)  # the second week: no public holiday in it
    openings = list(Opening.objects.filter(date__range=(week, week + timedelta(days=6))).order_by("date"))
    registration = july["lea"].registrations.get()
    booked, closed, waiting, full = openings[:4]  # and a free day after them
    full.capacity = 0
    full.save()
    for opening, status in ((booked, "booked"), (waiting, "waiting")):
        Booking.objects.create(
            organisation=opening.organisation,
            family=registration.family,
            child=july["lea"],
            registration=registration,
            opening=opening,
            activity=opening.activity,
            date=opening.date,
            status=status,
        )
    closed.is_closed = True
    closed.save()
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900}, timezone_id="Europe/Paris")
    page = context.new_page()
    base = live_server.url + "/quercy/"
    log_in(page, base, "julie.martin@famille.example", "Test-Passw0rd-Ok")
    page.goto(base + f"reservations/enfant/{july['lea'].pk}/?vue=semaine&date={week:%Y-%m-%d}")

    def background(selector: str) -> str:
        return page.locator(selector).first.evaluate("e => getComputedStyle(e).backgroundColor")

    for state, (colour, word) in STATE_COLOURS.items():
        assert background(f"td.cell-{state}") == colour, state
        assert background(f"li.cell-legend.cell-{state}") == colour, f"légende {state}"
        assert word in page.locator(f"td.cell-{state}").first.inner_text(), state
    free = page.locator("td.cell-free").first
    free.locator("label.cell-btn").click()
    assert page.locator("td.cell-pending").first.evaluate("e => getComputedStyle(e).backgroundColor") == (
        "rgb(231, 241, 255)"
    )
    assert_accessible(page, context=f"planning en couleurs, {width} px")
    context.close()
