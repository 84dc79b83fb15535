"""Ma famille › "Mettre à jour mon quotient familial" (issue 18): a parent reads the consent text,
agrees, types the allocataire's birth identity, and sees the QF read from the CAF through the local
API Particulier double; with an identity the CAF does not know, the page explains and leads to the
CAF certificate upload. axe on every page of the flow."""

import pytest

from ribambelle.accounts.consent import record_consents
from ribambelle.apiparticulier import services
from ribambelle.apiparticulier.doubles import ApiParticulierDouble
from ribambelle.documents.models import DocumentScope
from ribambelle.families.models import Family
from ribambelle.tenancy.roles import Role

from ..factories import (
    PASSWORD,
    DocumentTypeFactory,
    FamilyUserFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
)
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TOKEN = "jeton-e2e-api-particulier-9876"
SIRET = "21820000000014"


@pytest.fixture
def double():
    server = ApiParticulierDouble(tokens=[TOKEN], recipients=[SIRET]).start()
    yield server
    server.stop()


@pytest.fixture
def quercy(db, double):
    organisation = OrganisationFactory(name="CC Quercy Vert-Aveyron", slug="quercy")
    admin = MembershipFactory(organisation=organisation, role=Role.ADMINISTRATOR).user
    services.save_settings(
        organisation=organisation, enabled=True, base_url=double.url, siret=SIRET, token=TOKEN, acting_user=admin
    )
    DocumentTypeFactory(
        organisation=organisation, name="Attestation CAF (quotient familial)", scope=DocumentScope.FAMILY
    )
    parent = FamilyUserFactory(
        organisation=organisation, email="julie.martin@famille.example", first_name="Julie", family__name="MARTIN"
    )
    PersonFactory(
        organisation=organisation,
        family=parent.family,
        role="adult",
        first_name="Julie",
        last_name="MARTIN",
        email=parent.email,
        birth_date=None,
    )
    record_consents(user=parent, personal=True, health=True)
    return organisation


def _fill_identity(page, birth_name: str) -> None:
    page.get_by_label("Nom de naissance").fill(birth_name)
    page.get_by_label("Prénoms").fill("Julie")
    page.get_by_label("Sexe à l'état civil").select_option("F")
    page.get_by_label("Date de naissance").fill("1988-03-14")
    page.get_by_label("Commune de naissance (code INSEE)").fill("82121")
    page.get_by_role("button", name="Lire mon quotient familial").click()


def test_parent_consents_reads_the_qf_and_is_led_to_the_upload_without_a_file(live_server, page, quercy, double):
    base = live_server.url + "/quercy/"
    log_in(page, base, "julie.martin@famille.example", PASSWORD)
    page.goto(base + "ma-famille/")
    page.get_by_role("link", name="Mettre à jour mon quotient familial").click()
    assert page.get_by_role("heading", name="Mettre à jour mon quotient familial").is_visible()
    assert page.get_by_text("Combien de temps").is_visible()
    assert_accessible(page, context="accord quotient")

    page.get_by_label("J'accepte que le service lise mon quotient familial").check()
    page.get_by_role("button", name="Donner mon accord").click()
    assert page.get_by_text("Votre accord est enregistré").is_visible()
    assert double.requests == []  # agreeing calls nothing
    assert_accessible(page, context="lecture du quotient")

    _fill_identity(page, "MARTIN")
    result = page.locator("#qf-resultat")
    assert "650" in result.inner_text() and "CNAF" in result.inner_text()
    assert_accessible(page, context="quotient lu")
    family = Family.objects.get(name="MARTIN")
    assert family.family_quotient == 650

    # An identity the CAF and the MSA do not know: explained, and the certificate upload offered.
    _fill_identity(page, "INCONNU")
    error = page.locator("#qf-erreur")
    assert "Aucun dossier CAF ou MSA" in error.inner_text()
    assert_accessible(page, context="aucun dossier")
    page.get_by_role("link", name="envoyer mon attestation CAF").click()
    assert "mes-documents/famille/ajouter/" in page.url
    chosen = page.get_by_label("Document à transmettre")
    assert "Attestation CAF" in chosen.locator("option:checked").inner_text()
    assert_accessible(page, context="envoi de l'attestation")
