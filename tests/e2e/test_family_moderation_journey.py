"""Ma famille (seeds 000 and 004): a parent edits, a director moderates, the parent sees
the outcome and receives both e-mails. axe on every page touched."""

import re

import pytest

from ribambelle.accounts.consent import record_consents
from ribambelle.communication.models import OutgoingEmail
from ribambelle.families.models import Family, Person
from ribambelle.tenancy.roles import Role

from ..factories import PASSWORD, FamilyUserFactory, MembershipFactory, OrganisationFactory, PersonFactory
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PENDING = "Certaines données sont en attente de modération"


@pytest.fixture
def pouilly(db):
    organisation = OrganisationFactory(
        name="CC Pouilly-en-Auxois / Bligny-sur-Ouche", slug="pouilly", primary_colour="#0b6e75"
    )
    MembershipFactory(organisation=organisation, role=Role.DIRECTOR, user__email="directrice@pouilly.example")
    parent = FamilyUserFactory(
        organisation=organisation,
        email="allan.boblet@famille.example",
        first_name="Allan",
        family__name="BOBLET",
        family__address_line="5 rue du Lavoir",
        family__postal_code="21360",
        family__city="Bligny-sur-Ouche",
    )
    PersonFactory(organisation=organisation, family=parent.family, role="adult", first_name="Allan", email=parent.email)
    PersonFactory(organisation=organisation, family=parent.family, first_name="Jules")
    record_consents(user=parent, personal=True, health=True)
    return organisation


def test_parent_edits_director_moderates_parent_sees_outcome(live_server, browser, page, pouilly):
    base = live_server.url + "/pouilly/"
    log_in(page, base, "allan.boblet@famille.example", PASSWORD)
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation").get_by_role("link", name="Ma famille").click()
    assert page.get_by_role("heading", name="Ma famille", exact=True).is_visible()
    assert page.get_by_role("heading", name="Nom et adresse de la famille").is_visible()
    assert_accessible(page, context="ma famille")

    # A phone number applies at once.
    page.get_by_role("link", name="Modifier le nom, l'adresse ou les coordonnées").click()
    assert_accessible(page, context="coordonnées")
    page.get_by_label("Téléphone", exact=True).fill("06 12 34 56 78")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Vos modifications sont enregistrées.").is_visible()
    assert page.get_by_text("Téléphone : 06 12 34 56 78").is_visible()
    assert not page.get_by_text(PENDING).first.is_visible()

    # The address waits for staff, and the page says so next to it.
    page.get_by_role("link", name="Modifier le nom, l'adresse ou les coordonnées").click()
    page.get_by_label("Adresse", exact=True).fill("3 chemin du Moulin")
    page.get_by_label("Commune").fill("Pouilly-en-Auxois")
    page.get_by_label("Code postal").fill("21320")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text(PENDING).first.is_visible()
    assert page.get_by_text("Commune : Bligny-sur-Ouche → Pouilly-en-Auxois").is_visible()
    assert (
        page.get_by_text("5 rue du Lavoir", exact=True).first.is_visible()
        or page.locator("p.mb-2", has_text="5 rue du Lavoir").is_visible()
    )  # unchanged until accepted
    assert_accessible(page, context="ma famille, modération en attente")

    # Adding a child waits too.
    page.get_by_role("link", name="Ajouter un enfant").click()
    assert_accessible(page, context="ajouter un enfant")
    page.get_by_label("Prénom").fill("Zoé")
    page.get_by_label("Date de naissance").fill("2020-04-12")
    page.get_by_label("Sexe").select_option("F")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.locator(".rb-pending", has_text="ajout de Zoé BOBLET").is_visible()
    assert not Person.objects.filter(first_name="Zoé").exists()

    # The director accepts the address and refuses the child, with a reason.
    staff = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    desk = staff.new_page()
    log_in(desk, base + "gestion/connexion/", "directrice@pouilly.example", PASSWORD)
    desk.wait_for_url("**/gestion/")
    desk.get_by_role("link", name=re.compile(r"^Modifications à valider")).click()
    assert desk.get_by_role("heading", name="Modération des données familles").is_visible()
    assert desk.get_by_text("2 demandes en attente").is_visible()
    assert_accessible(desk, context="file de modération")
    desk.get_by_role("button", name=re.compile(r"Accepter : Famille BOBLET – Adresse")).click()
    assert desk.get_by_text("Modification acceptée").is_visible()
    desk.get_by_label("Motif du refus : Zoé BOBLET").fill("Merci de nous apporter le livret de famille.")
    desk.get_by_role("button", name=re.compile(r"Refuser : Zoé BOBLET")).click()
    assert desk.get_by_text("Modification refusée").is_visible()
    assert desk.get_by_text("Aucune demande en attente.").is_visible()
    assert_accessible(desk, context="file de modération vide")
    desk.get_by_role("link", name="Familles", exact=True).click()
    desk.get_by_role("searchbox").fill("zoe")
    desk.get_by_role("button", name="Filtrer").click()
    assert desk.get_by_text("Aucune famille ne correspond.").is_visible()
    desk.get_by_role("searchbox").fill("jules")
    desk.get_by_role("button", name="Filtrer").click()
    desk.get_by_role("link", name="BOBLET").click()
    assert desk.get_by_role("heading", name="Famille BOBLET").is_visible()
    assert_accessible(desk, context="dossier famille")
    staff.close()

    family = Family.objects.get(name="BOBLET")
    assert family.city == "Pouilly-en-Auxois" and family.phone == "06 12 34 56 78"

    # The parent sees both outcomes and has both e-mails.
    page.reload()
    assert page.locator("p.mb-2", has_text="3 chemin du Moulin").is_visible()
    assert page.get_by_text("Merci de nous apporter le livret de famille.").is_visible()
    assert page.get_by_text("Acceptée").first.is_visible() and page.get_by_text("Refusée").first.is_visible()
    assert not page.get_by_text(PENDING).first.is_visible()
    assert_accessible(page, context="ma famille, décisions")
    mails = {m.template: m for m in OutgoingEmail.objects.filter(to="allan.boblet@famille.example")}
    assert "Pouilly-en-Auxois" in mails["change_accepted"].body_text
    assert "livret de famille" in mails["change_refused"].body_text
    assert not page.js_errors, page.js_errors


def test_other_family_pages_are_accessible(live_server, browser, page, pouilly):
    base = live_server.url + "/pouilly/"
    jules = Person.objects.get(first_name="Jules")
    log_in(page, base, "allan.boblet@famille.example", PASSWORD)
    page.wait_for_url(re.compile(r"/pouilly/$"))
    for path, heading in [
        (f"ma-famille/membres/{jules.pk}/", "Jules"),
        (f"ma-famille/enfants/{jules.pk}/sante/", "Informations de santé de Jules"),
        (f"ma-famille/enfants/{jules.pk}/personnes-autorisees/ajouter/", "Ajouter une personne autorisée pour Jules"),
        ("mon-compte/", "Mon compte"),
    ]:
        page.goto(base + path)
        assert page.get_by_role("heading", name=re.compile(heading)).first.is_visible()
        assert_accessible(page, context=path)
    # A refused form shows its errors accessibly.
    page.goto(base + f"ma-famille/enfants/{jules.pk}/sante/")
    page.get_by_label("PAI (projet d'accueil individualisé)").check()
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Décrivez le PAI").is_visible()
    assert_accessible(page, context="fiche sanitaire refusée")

    staff = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    desk = staff.new_page()
    log_in(desk, base + "gestion/connexion/", "directrice@pouilly.example", PASSWORD)
    desk.wait_for_url("**/gestion/")
    family = Family.objects.get(name="BOBLET")
    for path in [
        "gestion/familles/",
        "gestion/familles/nouvelle/",
        "gestion/familles/import/",
        f"gestion/familles/{family.pk}/modifier/",
        f"gestion/familles/{family.pk}/modifications/",
        f"gestion/familles/enfants/{jules.pk}/sante/",
        f"gestion/familles/membres/{jules.pk}/",
    ]:
        desk.goto(base + path)
        assert_accessible(desk, context=path)
    staff.close()
    assert not page.js_errors, page.js_errors
