"""Issue 22, "all children at once", in a real browser on a phone: a parent books Mondays and
Thursdays for three children in one action, with a preview of what will change; then copies one
child's week to the others on the family grid ("Même chose pour tous", htmx) and saves once."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.activities.models import Opening
from ribambelle.activities.services import generate_openings
from ribambelle.bookings.models import Booking, BookingStatus

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
def three_children(db):
    organisation = OrganisationFactory(
        name="Communauté de communes Quercy Vert-Aveyron", slug="quercy", primary_colour="#1d5e3a"
    )
    start = timezone.localdate() + timedelta(days=21)
    start -= timedelta(days=start.weekday())
    activity = ActivityFactory(
        organisation=organisation,
        name="Périscolaire Saint-Étienne",
        start_date=start,
        end_date=start + timedelta(days=25),
    )
    group = GroupFactory(organisation=organisation, activity=activity, name="Élémentaire", default_capacity=20)
    unit = UnitFactory(organisation=organisation, activity=activity, name="Soir")
    generate_openings(activity=activity)
    parent = FamilyUserFactory(organisation=organisation, email="nadia.bernard@famille.example", family__name="BERNARD")
    children = []
    for name in ("Chloé", "Nathan", "Inès"):
        child = PersonFactory(organisation=organisation, family=parent.family, first_name=name)
        RegistrationFactory(organisation=organisation, family=parent.family, child=child, group=group)
        children.append(child)
    record_consents(user=parent, personal=True, health=True)
    return {"start": start, "end": start + timedelta(days=13), "children": children, "unit": unit, "activity": activity}


def test_mondays_and_thursdays_for_three_children_in_one_action_with_a_preview(live_server, page, three_children):
    base = live_server.url + "/quercy/"
    log_in(page, base, "nadia.bernard@famille.example", "Test-Passw0rd-Ok")
    page.goto(base + "reservations/")
    page.get_by_role("link", name="Réserver ou annuler des jours réguliers").click()
    assert page.get_by_role("heading", name="Jours réguliers pour plusieurs enfants").is_visible()
    assert_accessible(page, context="outil jours réguliers")

    for name in ("Chloé", "Nathan", "Inès"):
        assert page.get_by_label(re.compile(f"^{name} ")).is_checked()  # every child chosen by default
    page.get_by_label("Périscolaire Saint-Étienne – Soir").check()
    page.get_by_label("Lundi").check()
    page.get_by_label("Jeudi").check()
    page.get_by_label("Du").fill(f"{three_children['start']:%Y-%m-%d}")
    page.get_by_label("Au").fill(f"{three_children['end']:%Y-%m-%d}")
    page.get_by_role("button", name="Voir ce qui va changer").click()

    assert page.get_by_role("heading", name="Vérifiez avant d'enregistrer").is_visible()
    assert page.get_by_role("heading", name="4 journées à réserver").count() == 3  # per child
    assert not Booking.objects.exists()  # nothing saved before the confirmation
    assert_accessible(page, context="aperçu")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll on a phone

    page.get_by_role("button", name="Confirmer et enregistrer").click()
    assert page.get_by_role("heading", name="Réservations enregistrées").is_visible()
    for child in three_children["children"]:
        row = page.get_by_role("row", name=re.compile(child.first_name))
        assert row.get_by_role("cell").first.inner_text() == "4"
        days = Booking.objects.filter(child=child, status=BookingStatus.BOOKED).values_list("date", flat=True)
        assert sorted(d.weekday() for d in days) == [0, 0, 3, 3]
    assert_accessible(page, context="reçu")

    # The family grid: the week booked for all, on one grid that fits the phone.
    page.get_by_role("link", name="Voir la grille de la famille").click()
    assert page.locator("td.cell-booked").count() == 6  # Monday and Thursday for three children
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, context="grille de la famille")

    # "Même chose pour tous": Chloé also on Tuesday; copied to the others at once (htmx), unsaved.
    page.get_by_role("checkbox", name=re.compile("Chloé, Soir.*, mardi")).check()
    page.get_by_role("button", name="Même chose pour tous (copier les choix de Chloé)").click()
    page.get_by_text("Les choix de Chloé sont copiés aux autres enfants").wait_for()
    assert page.get_by_text("3 modifications non enregistrées").is_visible()
    assert page.locator("td.cell-pending").count() == 3
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == 12
    assert_accessible(page, context="grille après copie")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Nathan : 1 journée(s) réservée(s).").wait_for()
    assert Booking.objects.filter(status=BookingStatus.BOOKED).count() == 15
    tuesday = three_children["start"] + timedelta(days=1)
    assert Booking.objects.filter(date=tuesday, status=BookingStatus.BOOKED).count() == 3
    assert not page.js_errors
    assert Opening.objects.filter(activity=three_children["activity"]).exists()
