"""Issue 14, items 4 and 11 in a real browser: a parent registers Emma to next July's holidays,
lands on the right week to book, and reads French that agrees with her."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.activities.services import generate_openings

from ..factories import (
    ActivityFactory,
    FamilyUserFactory,
    GroupFactory,
    OrganisationFactory,
    PersonFactory,
    StructureFactory,
    UnitFactory,
)
from .conftest import assert_accessible, log_in, prove_not_robot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Test-Passw0rd-Ok"


@pytest.fixture
def quercy(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    organisation = OrganisationFactory(
        name="Communauté de communes Quercy Vert-Aveyron", slug="quercy", primary_colour="#1d5e3a"
    )
    # Months ahead, as "BIOULE vacances juillet 2027" was when the current week was November 2026.
    start = timezone.localdate() + timedelta(days=220)
    start -= timedelta(days=start.weekday())
    activity = ActivityFactory(
        organisation=organisation,
        name="BIOULE vacances juillet 2027",
        start_date=start,
        end_date=start + timedelta(days=18),
        structure=StructureFactory(organisation=organisation, name="Accueil de loisirs de Bioule"),
    )
    GroupFactory(
        organisation=organisation, activity=activity, name="PRIM 8-10 ans", age_min_months=0, age_max_months=240
    )
    UnitFactory(organisation=organisation, activity=activity, name="Journée")
    generate_openings(activity=activity)
    parent = FamilyUserFactory(organisation=organisation, email="sophie.dupont@famille.example", family__name="DUPONT")
    emma = PersonFactory(organisation=organisation, family=parent.family, first_name="Emma", sex="F")
    record_consents(user=parent, personal=True, health=True)
    return {"start": start, "emma": emma, "activity": activity}


def test_emma_registered_to_july_books_from_the_right_week(live_server, page, quercy):
    base = live_server.url + "/quercy/"
    page.goto(base + "connexion/")
    assert page.get_by_text("documents de la Communauté de communes Quercy Vert-Aveyron").is_visible()
    page.get_by_label("Votre e-mail").fill("sophie.dupont@famille.example")
    page.get_by_label("Votre mot de passe").fill("mauvais")
    prove_not_robot(page)
    page.get_by_role("button", name="Se connecter").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text().strip().startswith("E-mail ou mot de passe incorrect")
    assert page.get_by_text("Le formulaire n'a pas été enregistré").count() == 0
    assert_accessible(page, context="connexion refusée")

    log_in(page, base, "sophie.dupont@famille.example", PASSWORD)
    page.goto(base + f"inscriptions/enfant/{quercy['emma'].pk}/nouvelle/")
    page.get_by_role("link", name="S'inscrire – BIOULE vacances juillet 2027").click()
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_role("heading", name="Récapitulatif de l'inscription").is_visible()
    assert page.locator(".rb-status").inner_text().strip() == "✔ inscrite"
    assert_accessible(page, context="récapitulatif")

    page.get_by_role("link", name=re.compile("Effectuer les réservations des journées")).click()
    page.wait_for_url(re.compile(rf"date={quercy['start']:%Y-%m-%d}"))
    assert page.get_by_text("BIOULE vacances juillet 2027").first.is_visible()
    free = page.locator("td.cell-free label.cell-btn")
    assert free.count() >= 1, "la semaine ouverte ne propose aucun jour à réserver"
    free.first.click()
    page.get_by_role("button", name="Enregistrer").click()
    assert page.locator("td.cell-booked").count() == 1
    assert_accessible(page, context="planning de juillet")

    page.goto(base + "historique/")
    assert page.get_by_text(re.compile("Réservations d'Emma")).first.is_visible()
    assert page.get_by_text(re.compile("Inscription d'Emma")).first.is_visible()
    assert page.get_by_text(re.compile("de Emma")).count() == 0
    assert_accessible(page, context="historique")

    page.goto(base + f"inscriptions/enfant/{quercy['emma'].pk}/nouvelle/")
    assert page.get_by_text("Déjà inscrite").is_visible()
    assert page.get_by_role("link", name="S'inscrire – BIOULE vacances juillet 2027").count() == 0
    assert_accessible(page, context="nouvelle inscription, déjà inscrite")
    assert not page.js_errors, page.js_errors
