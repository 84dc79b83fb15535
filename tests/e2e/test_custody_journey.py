"""Separated parents (issue 22): a director sets the custody calendar on the family's page, each
parent sees only her or his household on a phone. axe on every page touched."""

import pytest

from ribambelle.accounts.consent import record_consents
from ribambelle.custody.models import CustodyArrangement
from ribambelle.custody.services import save_household
from ribambelle.tenancy.roles import Role

from ..factories import PASSWORD, FamilyUserFactory, MembershipFactory, OrganisationFactory, PersonFactory
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quercy(db):
    organisation = OrganisationFactory(name="CC Quercy Vert-Aveyron", slug="quercy", primary_colour="#1d5e3a")
    MembershipFactory(organisation=organisation, role=Role.DIRECTOR, user__email="directrice@quercy.example")
    sophie = FamilyUserFactory(
        organisation=organisation, email="sophie.vasseur@famille.example", first_name="Sophie", family__name="VASSEUR"
    )
    nicolas = FamilyUserFactory(
        organisation=organisation, email="nicolas.vasseur@famille.example", first_name="Nicolas", family=sophie.family
    )
    family = sophie.family
    PersonFactory(organisation=organisation, family=family, first_name="Emma")
    for user, street, city in (
        (sophie, "4 place de la Halle", "Nègrepelisse"),
        (nicolas, "27 boulevard Gambetta", "Montauban"),
    ):
        adult = PersonFactory(
            organisation=organisation, family=family, role="adult", first_name=user.first_name, email=user.email
        )
        save_household(
            family=family,
            fields={
                "label": f"Foyer de {user.first_name}",
                "address_line": street,
                "postal_code": "82800",
                "city": city,
            },
            adults=[adult],
            logins=[user],
            acting_user=None,
        )
        record_consents(user=user, personal=True, health=True)
    return family


def test_director_sets_alternate_weeks_and_each_parent_sees_only_her_household(
    live_server, browser, page, desk_page, quercy
):
    base = live_server.url + "/quercy/"
    desk = desk_page
    log_in(desk, base + "gestion/connexion/", "directrice@quercy.example", PASSWORD)
    desk.wait_for_url("**/gestion/")
    desk.goto(base + f"gestion/familles/{quercy.pk}/")
    desk.get_by_role("link", name="Parents séparés : foyers et garde").click()
    assert desk.get_by_role("heading", name="Foyers").is_visible()
    assert_accessible(desk, context="garde")
    desk.get_by_label("À partir du").fill("2026-03-02")
    desk.get_by_role("radio", name="Semaines alternées").check()
    desk.get_by_label("Foyer qui a les semaines paires (semaines alternées)").select_option(label="Foyer de Nicolas")
    desk.get_by_role("button", name="Enregistrer").click()
    assert desk.get_by_text("Le mode de garde est enregistré.").is_visible()
    assert desk.get_by_role("cell", name="02/03/2026").is_visible()
    arrangement = CustodyArrangement.objects.get(family=quercy)
    assert arrangement.even_weeks.label == "Foyer de Nicolas"
    desk.get_by_role("link", name="Modifier Foyer de Sophie").click()
    assert_accessible(desk, context="foyer")

    log_in(page, base, "sophie.vasseur@famille.example", PASSWORD)
    page.goto(base + "ma-famille/")
    assert page.get_by_text("4 place de la Halle").is_visible()
    assert page.get_by_text("27 boulevard Gambetta").count() == 0
    assert page.get_by_text("Coordonnées non communiquées (autre foyer).").is_visible()
    assert_accessible(page, context="ma famille, parent séparé")
    assert not page.js_errors
