"""FranceConnect in a real browser, against the local double: the parent clicks "S'identifier avec
FranceConnect", authenticates at the double, is asked once to link (her e-mail matches), lands on
her dashboard; logout goes through the provider; the next time FranceConnect alone opens her
space; a tampered ID token ends on a clear refusal. axe finds nothing on Ribambelle's pages."""

import re

import pytest
from django.test import Client

from ribambelle.accounts.consent import record_consents
from ribambelle.core import crypto
from ribambelle.franceconnect.models import FranceConnectIdentity, FranceConnectSettings
from ribambelle.tenancy.roles import Role

from .. import franceconnect_double
from ..factories import FamilyUserFactory, FranceConnectIdentityFactory, MembershipFactory, OrganisationFactory
from ..franceconnect_double import CLIENT_ID, CLIENT_SECRET
from .conftest import assert_accessible

fc_double = franceconnect_double.fc_double  # the fixture

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _at_the_double(page, who: str = "Julie MARTIN"):
    page.get_by_role("link", name=re.compile("S’identifier avec FranceConnect")).click()
    page.get_by_label(re.compile(who)).check()
    page.get_by_role("button", name="Se connecter").click()


def test_franceconnect_login_link_and_logout(live_server, page, fc_double):
    organisation = OrganisationFactory(name="Communauté de communes Quercy", slug="quercy")
    FranceConnectSettings.objects.create(
        organisation=organisation,
        enabled=True,
        base_url=fc_double.base_url,
        client_id=CLIENT_ID,
        client_secret_encrypted=crypto.encrypt(CLIENT_SECRET),
    )
    parent = FamilyUserFactory(organisation=organisation, email="julie.martin@famille.example", family__name="MARTIN")
    record_consents(user=parent, personal=True, health=True)
    base = live_server.url + "/quercy/"

    page.goto(base)
    assert page.get_by_role("link", name="Qu’est-ce que FranceConnect ?").is_visible()
    assert page.get_by_label("Votre e-mail").is_visible()  # the normal login stays
    assert_accessible(page, context="connexion avec le bouton FranceConnect")

    _at_the_double(page)
    page.wait_for_url(re.compile(r"/quercy/franceconnect/lier/$"))
    assert page.get_by_role("heading", name="Lier FranceConnect à mon compte").is_visible()
    assert page.get_by_text(re.compile("Julie MARTIN")).first.is_visible()
    assert_accessible(page, context="liaison FranceConnect")
    page.get_by_role("button", name="Oui, lier FranceConnect à ce compte").click()

    page.wait_for_url(base)
    assert page.get_by_role("heading", name="Tableau de bord").is_visible()
    assert page.get_by_text(re.compile("Votre identité FranceConnect est liée")).is_visible()
    assert_accessible(page, context="tableau de bord après FranceConnect")
    assert FranceConnectIdentity.objects.get().user == parent

    page.get_by_role("button", name=re.compile("Se déconnecter|Déconnexion")).first.click()
    page.wait_for_url(base)
    assert page.get_by_text(re.compile("déconnecté de l'Espace Famille et de FranceConnect")).is_visible()
    assert fc_double.logouts and fc_double.logouts[-1]["redirect"].endswith("/quercy/franceconnect/deconnexion/")
    assert_accessible(page, context="après la déconnexion")

    # Next time: FranceConnect alone, no question asked.
    _at_the_double(page)
    page.wait_for_url(base)
    assert page.get_by_role("heading", name="Tableau de bord").is_visible()
    page.get_by_role("button", name=re.compile("Se déconnecter|Déconnexion")).first.click()
    page.wait_for_url(base)

    # A tampered ID token is refused, clearly.
    fc_double.tamper_id_token = True
    _at_the_double(page)
    assert page.get_by_role("heading", name="Connexion avec FranceConnect impossible").is_visible()
    assert page.get_by_text(re.compile("n'a pas pu être vérifiée")).is_visible()
    assert_accessible(page, context="refus d'un jeton altéré")
    assert not page.js_errors


def _cookie(live_server, user) -> dict:
    client = Client()
    client.force_login(user, backend="ribambelle.accounts.backends.OrganisationEmailBackend")
    return {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}


def test_settings_page_then_unlink_in_my_account(browser, live_server, fc_double):
    organisation = OrganisationFactory(name="Communauté de communes Quercy", slug="quercy")
    admin = MembershipFactory(organisation=organisation, role=Role.ADMINISTRATOR).user
    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900}, timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    context.add_cookies([_cookie(live_server, admin)])
    page = context.new_page()
    page.goto(live_server.url + "/quercy/gestion/franceconnect/")
    assert page.get_by_text(re.compile(r"/quercy/franceconnect/retour/")).is_visible()
    assert_accessible(page, context="réglages FranceConnect")
    page.get_by_label(re.compile("Proposer « S'identifier avec FranceConnect »")).check()
    page.get_by_label("Adresse du fournisseur FranceConnect").fill(fc_double.base_url)
    page.get_by_label("Identifiant client (client_id)").fill(CLIENT_ID)
    page.get_by_label("Secret client (client_secret)").fill(CLIENT_SECRET)
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Les réglages FranceConnect sont enregistrés.").is_visible()
    assert CLIENT_SECRET not in page.content()
    page.get_by_role("button", name="Tester la connexion").click()
    assert page.get_by_text(re.compile("Connexion réussie")).is_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page, context="réglages FranceConnect testés (390 px)")
    context.close()

    parent = FamilyUserFactory(organisation=organisation, email="julie.martin@famille.example", family__name="MARTIN")
    record_consents(user=parent, personal=True, health=True)
    FranceConnectIdentityFactory(organisation=organisation, family=parent.family, user=parent)
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    context.add_cookies([_cookie(live_server, parent)])
    page = context.new_page()
    page.goto(live_server.url + "/quercy/mon-compte/")
    assert page.get_by_role("heading", name="Connexion avec FranceConnect").is_visible()
    assert_accessible(page, context="Mon compte avec une identité FranceConnect")
    page.get_by_role("button", name=re.compile("Délier")).click()
    assert page.get_by_text(re.compile("L'identité FranceConnect est déliée")).is_visible()
    assert not FranceConnectIdentity.objects.exists()
    context.close()
