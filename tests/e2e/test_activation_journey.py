"""Seed 000, steps 1 to 5, then "Historique de mes actions" (seed 004), in a real browser."""

import re

import pytest
from playwright.sync_api import expect

from ribambelle.communication.models import OutgoingEmail

from ..factories import MembershipFactory, OrganisationFactory, PersonFactory
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quercy(db):
    organisation = OrganisationFactory(
        name="Communauté de communes Quercy Vert-Aveyron",
        slug="quercy",
        primary_colour="#1d5e3a",
        gdpr_contact_email="rgpd@quercy.example",
    )
    MembershipFactory(organisation=organisation, user__email="directrice@quercy.example")
    PersonFactory(
        organisation=organisation,
        role="adult",
        first_name="Allan",
        last_name="BOBLET",
        family__name="BOBLET",
        email="allan.boblet@famille.example",
    )
    return organisation


def test_invitation_activation_login_consent_dashboard_history(live_server, browser, page, quercy):
    base = live_server.url + "/quercy/"

    # A director invites the parent from the back office.
    staff = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    desk = staff.new_page()
    log_in(desk, base + "gestion/connexion/", "directrice@quercy.example", "Test-Passw0rd-Ok")
    desk.wait_for_url("**/gestion/")
    desk.goto(base + "gestion/comptes-familles/")
    desk.get_by_label("Inviter Allan BOBLET").check()
    desk.get_by_role("button", name="Envoyer l'invitation aux responsables cochés").click()
    assert desk.get_by_text("1 invitation(s) envoyée(s) : allan.boblet@famille.example").is_visible()
    assert desk.get_by_text("Invité le").is_visible()
    assert_accessible(desk, context="comptes familles")
    staff.close()

    # The e-mail is in the outbox, with its "Activer mon compte" button.
    mail = OutgoingEmail.objects.get(to="allan.boblet@famille.example")
    assert "Activer mon compte" in mail.body_html
    link = re.search(r"http://\S+/activation/\S+/", mail.body_text).group(0)
    path = link.split("/quercy/", 1)[1]

    # Step 1-2: the parent opens the link on a phone and creates the first password.
    page.goto(base + path)
    assert page.get_by_role("heading", name="Créer votre mot de passe").is_visible()
    assert_accessible(page, context="création du mot de passe")
    page.get_by_label(re.compile(r"^Mot de passe")).fill("boblet")
    assert page.locator('[data-rule="upper"]').inner_text().startswith("✘")
    page.get_by_label("Confirmation").fill("boblet")
    page.get_by_role("button", name="Créer le mot de passe").click()
    assert page.get_by_text("Le mot de passe doit contenir au moins 8 caractères.").first.is_visible()
    assert page.get_by_text("Le mot de passe doit contenir au moins 1 majuscule.").first.is_visible()
    assert_accessible(page, context="mot de passe refusé")

    page.get_by_label(re.compile(r"^Mot de passe")).fill("Vacances-Juillet-23")
    assert page.locator('[data-rule="upper"]').inner_text().startswith("✔")
    page.get_by_label("Confirmation").fill("Vacances-Juillet-23")
    page.get_by_role("button", name="Créer le mot de passe").click()
    # Step 3: confirmation.
    assert page.get_by_text("Vous pouvez utiliser votre nouveau mot de passe pour vous connecter.").is_visible()
    assert_accessible(page, context="mot de passe créé")

    # Step 4: login with "Rester connecté".
    page.get_by_role("link", name="Ok, me connecter").click()
    assert page.get_by_role("heading", name="Bienvenue dans votre Espace Famille").is_visible()
    log_in(page, base, "allan.boblet@famille.example", "Vacances-Juillet-23", remember=True)

    # Step 5: GDPR consent.
    page.wait_for_url("**/consentement/**")
    assert page.get_by_text("CNIL").first.is_visible()
    assert_accessible(page, context="consentement")
    page.get_by_label(re.compile("mes données personnelles saisies")).check()
    page.get_by_label(re.compile("mes données sanitaires saisies")).check()
    page.get_by_role("button", name="Valider mes choix").click()

    # The dashboard, then the history showing the login.
    assert page.get_by_role("heading", name="Tableau de bord").is_visible()
    assert_accessible(page, context="tableau de bord")
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation").get_by_role("link", name="Historique de mes actions").click()
    page.wait_for_url("**/historique/")  # on a loaded CI machine, not before the page has come
    assert page.get_by_role("heading", name="Historique de mes actions").is_visible()
    expect(page.get_by_role("cell", name="Connexion (rester connecté)")).to_be_visible()
    expect(page.get_by_role("cell", name="Compte activé et premier mot de passe créé")).to_be_visible()
    assert_accessible(page, context="historique")

    # "Mon compte" stays in the header on every width, outside the folded menu.
    page.get_by_role("banner").get_by_role("link", name="Mon compte").click()
    assert_accessible(page, context="mon compte")
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["sessionid"]["expires"] > 0  # "Rester connecté": the session outlives the browser
    assert not page.js_errors, page.js_errors


def test_forgotten_password_page_is_accessible(live_server, page, quercy):
    page.goto(live_server.url + "/quercy/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    assert page.get_by_role("heading", name="Mot de passe oublié").is_visible()
    assert_accessible(page, context="mot de passe oublié")
