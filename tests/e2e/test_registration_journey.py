"""Seed 000 "ONGLET MES INSCRIPTIONS" and seed 004 validation/refusal, in a real browser."""

import re
from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.activities.models import Activity
from ribambelle.communication.models import OutgoingEmail
from ribambelle.families.models import Person
from ribambelle.registrations import services

from ..factories import (
    ActivityFactory,
    FamilyUserFactory,
    GroupFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    StructureFactory,
    UnitFactory,
)
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

GROUPS = [
    ("MATER 3-4 ans", 36, 59),
    ("MATER 5-6 ans", 60, 83),
    ("PRIM 6-7 ans", 72, 95),
    ("PRIM 8-10 ans", 96, 131),
    ("PRIM 11-15 ans", 132, 191),
]


@pytest.fixture
def quercy(db):
    organisation = OrganisationFactory(
        name="Communauté de communes Quercy Vert-Aveyron", slug="quercy", primary_colour="#1d5e3a"
    )
    start = timezone.localdate() + timedelta(days=45)
    bioule = ActivityFactory(
        organisation=organisation,
        name="BIOULE vacances juillet",
        start_date=start,
        end_date=start + timedelta(days=18),
        structure=StructureFactory(
            organisation=organisation, name="Accueil de loisirs de Bioule", sector__name="Bioule"
        ),
    )
    for position, (name, low, high) in enumerate(GROUPS):
        GroupFactory(
            organisation=organisation,
            activity=bioule,
            name=name,
            age_min_months=low,
            age_max_months=high,
            position=position,
        )
    UnitFactory(organisation=organisation, activity=bioule, name="Journée")
    negrepelisse = ActivityFactory(
        organisation=organisation,
        name="Mercredis Nègrepelisse",
        validation_mode="manual",
        structure=StructureFactory(organisation=organisation, sector__name="Nègrepelisse"),
    )
    GroupFactory(
        organisation=organisation, activity=negrepelisse, name="Élémentaire", age_min_months=72, age_max_months=143
    )
    parent = FamilyUserFactory(organisation=organisation, email="julie.martin@famille.example", family__name="MARTIN")
    born = start - relativedelta(years=8) - timedelta(days=30)
    PersonFactory(organisation=organisation, family=parent.family, first_name="Léa", birth_date=born)
    record_consents(user=parent, personal=True, health=True)
    MembershipFactory(organisation=organisation, role="director", user__email="directrice@quercy.example")
    return organisation


def test_parent_registers_an_eight_year_old_to_the_july_holidays(live_server, page, quercy):
    base = live_server.url + "/quercy/"
    log_in(page, base, "julie.martin@famille.example", "Test-Passw0rd-Ok")
    page.get_by_role("link", name="Mes inscriptions").first.click()
    assert page.get_by_role("heading", name="Mes inscriptions").is_visible()
    assert_accessible(page, context="mes inscriptions")
    page.get_by_role("link", name="Nouvelle inscription pour Léa").click()
    assert page.get_by_role("heading", name="Bioule", exact=True).is_visible()
    assert page.get_by_role("heading", name="Nègrepelisse", exact=True).is_visible()
    assert_accessible(page, context="nouvelle inscription")
    page.get_by_role("link", name="S'inscrire – BIOULE vacances juillet").click()
    assert page.get_by_role("heading", name="BIOULE vacances juillet").is_visible()
    assert page.get_by_label("PRIM 8-10 ans").is_visible()
    for other in ("MATER 3-4 ans", "MATER 5-6 ans", "PRIM 6-7 ans", "PRIM 11-15 ans"):
        assert page.get_by_label(other).count() == 0
    assert_accessible(page, context="choix du groupe")
    page.get_by_label("PRIM 8-10 ans").check()
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_role("heading", name="Récapitulatif de l'inscription").is_visible()
    assert page.locator(".rb-status").inner_text().strip() == "✔ inscrit(e)"  # Léa's sex is not given
    assert page.get_by_text("PRIM 8-10 ans").is_visible()
    assert page.get_by_role("link", name=re.compile("Effectuer les réservations des journées")).is_visible()
    page.get_by_role("link", name=re.compile("Effectuer les réservations des journées")).click()
    assert page.get_by_role("heading", name=re.compile("Mes réservations")).is_visible()
    assert_accessible(page, context="récapitulatif")
    assert OutgoingEmail.objects.filter(template="registration_accepted", to="julie.martin@famille.example").exists()


def test_director_refuses_for_missing_documents_and_parent_sees_it(live_server, browser, page, quercy):
    base = live_server.url + "/quercy/"
    child = Person.objects.get(first_name="Léa")
    activity = Activity.objects.get(name="Mercredis Nègrepelisse")
    registration = services.request_registration(
        child=child, activity=activity, acting_user=child.family.accounts.get()
    )

    desk = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}).new_page()
    log_in(desk, base + "gestion/connexion/", "directrice@quercy.example", "Test-Passw0rd-Ok")
    desk.get_by_role("link", name=re.compile("Inscriptions à valider")).click()
    assert desk.get_by_role("cell", name=re.compile("Léa MARTIN famille MARTIN")).is_visible()
    assert_accessible(desk, context="inscriptions à valider")
    desk.get_by_text("Refuser…").click()
    desk.get_by_label("Motif").select_option(label="Dossier incomplet / pièces manquantes")
    desk.get_by_label("Précisions pour la famille").fill("Merci de déposer l'attestation d'assurance.")
    desk.get_by_role("button", name="Confirmer le refus").click()
    assert desk.get_by_text("la famille est prévenue").is_visible()
    desk.context.close()

    mail = OutgoingEmail.objects.get(template="registration_refused")
    assert "pièces manquantes" in mail.body_text and mail.to == "julie.martin@famille.example"

    log_in(page, base, "julie.martin@famille.example", "Test-Passw0rd-Ok")
    page.goto(base + f"inscriptions/{registration.pk}/")
    assert page.get_by_text("refusée").is_visible()
    assert page.get_by_text(re.compile("Dossier incomplet / pièces manquantes")).is_visible()
    assert_accessible(page, context="inscription refusée")
