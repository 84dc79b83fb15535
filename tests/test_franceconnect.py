"""FranceConnect login for families (issue 18) against the local double: the OIDC checks (state,
nonce, ES256 ID token, signed userinfo), linking by e-mail match or by a normal login, unlinking,
logout through the provider, the settings page, and the client secret kept out of pages and logs."""

import logging
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client

from ribambelle.accounts.consent import record_consents
from ribambelle.accounts.models import ActivityLog
from ribambelle.core import crypto
from ribambelle.core.models import AuditEntry
from ribambelle.franceconnect import client as fc_client
from ribambelle.franceconnect.models import FranceConnectIdentity, FranceConnectSettings

from . import franceconnect_double
from .conftest import client_for, login_data, page_text
from .factories import PASSWORD, FamilyUserFactory, FranceConnectIdentityFactory
from .franceconnect_double import (
    CLIENT_ID,
    CLIENT_SECRET,
    at_provider,
    authorize_params,
    franceconnect_login,
)
from .payment_doubles import http_request, local_path

pytestmark = pytest.mark.django_db
fc_double = franceconnect_double.fc_double  # the fixtures
fc_settings = franceconnect_double.fc_settings


@pytest.fixture
def julie(tenant_a):
    """A parent whose e-mail is the one the double's "Julie MARTIN" identity carries."""
    return FamilyUserFactory(organisation=tenant_a.organisation, email="julie.martin@famille.example")


def _actions(user) -> list[str]:
    return list(ActivityLog.objects.filter(family=user.family).order_by("id").values_list("action", flat=True))


def _logged_in_as(client, tenant):
    user_id = client.session.get("_auth_user_id")
    return user_id and FamilyUserFactory._meta.model.objects.get(pk=user_id)


# --- The button and the start of the flow -----------------------------------------------------


def test_button_shown_only_when_enabled(tenant_a, fc_double, client):
    text = page_text(client.get(tenant_a.url("connexion/")))
    assert "FranceConnect" not in text
    assert client.get(tenant_a.url("franceconnect/connexion/")).status_code == 404
    settings = FranceConnectSettings.objects.create(
        organisation=tenant_a.organisation, enabled=True, base_url=fc_double.base_url, client_id=CLIENT_ID
    )
    assert "S’identifier avec" not in page_text(client.get(tenant_a.url("connexion/")))  # no secret yet
    settings.client_secret_encrypted = crypto.encrypt(CLIENT_SECRET)
    settings.save()
    text = page_text(client.get(tenant_a.url("connexion/")))
    assert "S’identifier avec" in text and "Qu’est-ce que FranceConnect ?" in text
    assert "Accéder à mon espace" in text  # the normal login stays


def test_start_sends_state_nonce_eidas1_and_the_scopes(tenant_a, fc_settings, client):
    params = authorize_params(client, tenant_a)
    assert params["acr_values"] == "eidas1"
    assert params["response_type"] == "code" and params["client_id"] == CLIENT_ID
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32 and params["state"] != params["nonce"]
    scopes = params["scope"].split()
    assert {"openid", "given_name", "family_name", "birthdate", "birthplace", "birthcountry", "gender"} <= set(scopes)
    assert "cnaf_quotient_familial" not in scopes
    assert params["redirect_uri"] == "http://testserver/cc-a/franceconnect/retour/"
    # A second start gets another state and nonce.
    again = authorize_params(client, tenant_a)
    assert again["state"] != params["state"] and again["nonce"] != params["nonce"]

    fc_settings.request_qf_scopes = True
    fc_settings.save()
    assert "cnaf_quotient_familial" in authorize_params(client, tenant_a)["scope"].split()


def test_the_double_shows_its_authorize_page(tenant_a, fc_settings, fc_double, client):
    location = client.get(tenant_a.url("franceconnect/connexion/"))["Location"]
    status, _location, body = http_request("GET", location)
    assert status == 200 and "Se connecter" in body and "Angela Claire Louise" in body
    assert fc_double.authorize_requests[-1]["acr_values"] == "eidas1"


# --- Linking -------------------------------------------------------------------------------------


def test_email_match_is_offered_then_linked_once_and_next_time_logs_in_directly(
    tenant_a, fc_settings, fc_double, julie, client
):
    response = franceconnect_login(client, fc_double, tenant_a, identity="julie")
    assert response.status_code == 302 and response["Location"].endswith("/franceconnect/lier/")
    assert not FranceConnectIdentity.objects.exists()  # never silently
    page = client.get(response["Location"])
    text = page_text(page)
    assert "Julie MARTIN" in text and "j•••@famille.example" in text
    assert "Oui, lier FranceConnect à ce compte" in text

    linked = client.post(tenant_a.url("franceconnect/lier/"), {"action": "email"})
    assert linked.status_code == 302 and linked["Location"] == tenant_a.url()
    identity = FranceConnectIdentity.objects.get()
    assert identity.user == julie and identity.family == julie.family and identity.linked_by == "email"
    assert identity.sub == fc_double.sub_for("julie", CLIENT_ID)
    assert client.session["franceconnect_access_token"] in fc_double.access_tokens
    assert client.session["franceconnect_id_token"].count(".") == 2
    assert _actions(julie) == ["franceconnect_linked", "login_franceconnect"]
    assert _logged_in_as(client, tenant_a) == julie

    other_browser = Client()
    again = franceconnect_login(other_browser, fc_double, tenant_a, identity="julie")
    assert again.status_code == 302 and again["Location"] == tenant_a.url()
    assert _logged_in_as(other_browser, tenant_a) == julie
    assert FranceConnectIdentity.objects.count() == 1
    assert _actions(julie)[-1] == "login_franceconnect"


def test_link_by_a_normal_login_then_confirm(tenant_a, fc_settings, fc_double, client):
    parent = tenant_a.family_user
    response = franceconnect_login(client, fc_double, tenant_a, identity="angela")
    link_page = client.get(response["Location"])
    assert "Un compte correspond" not in page_text(link_page)  # no e-mail match for Angela

    wrong = client.post(
        tenant_a.url("franceconnect/lier/"), login_data(parent.email, "mauvais-mot-de-passe", action="login")
    )
    assert wrong.status_code == 400 and "E-mail ou mot de passe incorrect" in page_text(wrong)
    assert not FranceConnectIdentity.objects.exists()

    ok = client.post(tenant_a.url("franceconnect/lier/"), login_data(parent.email, PASSWORD, action="login"))
    assert ok.status_code == 302 and ok["Location"].endswith("/franceconnect/lier/confirmer/")
    assert not FranceConnectIdentity.objects.exists()  # not before the confirmation
    confirm = client.get(ok["Location"])
    assert "Angela Claire Louise DUBOIS" in page_text(confirm) and parent.email in page_text(confirm)
    done = client.post(ok["Location"])
    assert done.status_code == 302
    identity = FranceConnectIdentity.objects.get()
    assert identity.user == parent and identity.linked_by == "login"
    assert _logged_in_as(client, tenant_a) == parent
    assert "franceconnect_linked" in _actions(parent)


def test_an_identity_links_to_one_login_only(tenant_a, fc_settings, fc_double, julie, client):
    FranceConnectIdentityFactory(
        organisation=tenant_a.organisation,
        family=tenant_a.family_user.family,
        user=tenant_a.family_user,
        sub=fc_double.sub_for("julie", CLIENT_ID),
    )
    response = franceconnect_login(client, fc_double, tenant_a, identity="julie")
    assert response["Location"] == tenant_a.url()  # the existing link logs its own login in
    assert _logged_in_as(client, tenant_a) == tenant_a.family_user


def test_an_inactive_login_is_not_opened(tenant_a, fc_settings, fc_double, julie, client):
    FranceConnectIdentityFactory(
        organisation=tenant_a.organisation, family=julie.family, user=julie, sub=fc_double.sub_for("julie", CLIENT_ID)
    )
    julie.is_active = False
    julie.save()
    response = franceconnect_login(client, fc_double, tenant_a, identity="julie")
    assert response.status_code == 403 and "désactivé" in page_text(response)


def test_cancel_linking_ends_the_franceconnect_session(tenant_a, fc_settings, fc_double, client):
    response = franceconnect_login(client, fc_double, tenant_a, identity="angela")
    cancel = client.post(tenant_a.url("franceconnect/annuler/"))
    assert cancel.status_code == 302 and cancel["Location"].startswith(f"{fc_double.base_url}/session/end?")
    assert "franceconnect_pending" not in client.session
    assert response.status_code == 302


# --- Refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("knob", "message"),
    [
        ("tamper_id_token", "signature ou contenu invalide"),
        ("wrong_nonce", "ne correspond pas à cette connexion"),
        ("wrong_acr", "signature ou contenu invalide"),
        ("unsigned_userinfo", "informations d'identité transmises par FranceConnect n'ont pas pu être vérifiées"),
        ("userinfo_as_json", "informations d'identité transmises par FranceConnect n'ont pas pu être vérifiées"),
    ],
)
def test_a_tampered_answer_is_refused_with_a_clear_message(
    tenant_a, fc_settings, fc_double, julie, client, knob, message
):
    FranceConnectIdentityFactory(
        organisation=tenant_a.organisation, family=julie.family, user=julie, sub=fc_double.sub_for("julie", CLIENT_ID)
    )
    setattr(fc_double, knob, True)
    response = franceconnect_login(client, fc_double, tenant_a, identity="julie")
    assert response.status_code == 400
    assert message in page_text(response)
    assert "Retour à la page de connexion" in page_text(response)
    assert "_auth_user_id" not in client.session and "franceconnect_access_token" not in client.session
    assert "login_franceconnect" not in _actions(julie)


def test_state_mismatch_and_replay_are_refused(tenant_a, fc_settings, fc_double, client):
    location = at_provider(fc_double, authorize_params(client, tenant_a))
    query = dict(parse_qsl(urlsplit(location).query))
    forged = client.get(tenant_a.url("franceconnect/retour/"), {"code": query["code"], "state": "autre-chose"})
    assert forged.status_code == 400 and "a expiré ou a été ouverte dans un autre onglet" in page_text(forged)
    # The flow was used up by the refusal: the right state afterwards is refused too.
    replay = client.get(local_path(location))
    assert replay.status_code == 400
    # No flow at all (a callback opened in another browser).
    assert Client().get(local_path(location)).status_code == 400


def test_user_cancelled_at_the_provider(tenant_a, fc_settings, fc_double, client):
    response = franceconnect_login(client, fc_double, tenant_a, action="cancel")
    assert response.status_code == 400 and "Vous avez annulé la connexion avec FranceConnect" in page_text(response)


def test_provider_down(tenant_a, fc_settings, fc_double, client):
    fc_double.down = True
    response = client.get(tenant_a.url("franceconnect/connexion/"))
    assert response.status_code == 502 and "FranceConnect ne répond pas" in page_text(response)
    # Down between the start and the callback.
    fc_double.down = False
    location = at_provider(fc_double, authorize_params(client, tenant_a))
    fc_double.down = True
    cache.clear()
    response = client.get(local_path(location))
    assert response.status_code == 502 and "FranceConnect ne répond pas" in page_text(response)


def test_unreachable_provider_address(tenant_a, fc_settings, client):
    fc_settings.base_url = "http://127.0.0.1:9/api/v2"  # nothing listens on the discard port
    fc_settings.save()
    response = client.get(tenant_a.url("franceconnect/connexion/"))
    assert response.status_code == 502


def test_a_wrong_client_secret_is_refused(tenant_a, fc_settings, fc_double, julie, client):
    fc_double.clients[CLIENT_ID] = "un-autre-secret"
    response = franceconnect_login(client, fc_double, tenant_a)
    assert response.status_code == 400 and "n'a pas confirmé votre connexion" in page_text(response)


# --- Logout, unlink ----------------------------------------------------------------------------


def test_logout_goes_through_the_provider(tenant_a, fc_settings, fc_double, julie, client):
    FranceConnectIdentityFactory(
        organisation=tenant_a.organisation, family=julie.family, user=julie, sub=fc_double.sub_for("julie", CLIENT_ID)
    )
    franceconnect_login(client, fc_double, tenant_a)
    id_token = client.session["franceconnect_id_token"]
    # The pages allow the logout form to reach the provider (CSP form-action), and only then.
    record_consents(user=julie, personal=True, health=True)
    csp = client.get(tenant_a.url("mon-compte/"))["Content-Security-Policy"]
    assert f"form-action 'self' {fc_double.url}" in csp
    assert fc_double.url not in client_for(tenant_a.family_user).get(tenant_a.url())["Content-Security-Policy"]
    response = client.post(tenant_a.url("deconnexion/"))
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    params = dict(parse_qsl(target.query))
    assert response["Location"].startswith(f"{fc_double.base_url}/session/end?")
    assert params["id_token_hint"] == id_token
    assert params["post_logout_redirect_uri"] == "http://testserver/cc-a/franceconnect/deconnexion/"
    assert len(params["state"]) >= 32
    assert "_auth_user_id" not in client.session  # logged out here already

    status, back, _body = http_request("GET", response["Location"])
    assert status == 303 and fc_double.logouts[-1]["state"] == params["state"]
    done = client.get(local_path(back), follow=True)
    assert "Vous êtes déconnecté de l'Espace Famille et de FranceConnect" in page_text(done)


def test_a_password_login_logs_out_locally(tenant_a, fc_settings, client):
    client.force_login(tenant_a.family_user, backend="ribambelle.accounts.backends.OrganisationEmailBackend")
    response = client.post(tenant_a.url("deconnexion/"))
    assert response["Location"] == tenant_a.url()


def test_account_lists_and_unlinks(tenant_a, fc_settings, julie):
    identity = FranceConnectIdentityFactory(organisation=tenant_a.organisation, family=julie.family, user=julie)
    record_consents(user=julie, personal=True, health=True)
    client = client_for(julie)
    text = page_text(client.get(tenant_a.url("mon-compte/")))
    assert "Connexion avec FranceConnect" in text and "Julie MARTIN" in text and "Délier" in text
    response = client.post(tenant_a.url(f"mon-compte/franceconnect/{identity.pk}/delier/"))
    assert response.status_code == 302
    assert not FranceConnectIdentity.objects.exists()
    assert _actions(julie)[-1] == "franceconnect_unlinked"


def test_unlink_is_refused_for_someone_elses_identity(tenant_a, tenant_b, fc_settings, julie):
    record_consents(user=julie, personal=True, health=True)
    client = client_for(julie)
    for identity in (
        FranceConnectIdentityFactory(organisation=tenant_a.organisation),  # another family
        FranceConnectIdentityFactory(organisation=tenant_a.organisation, family=julie.family),  # another parent
        FranceConnectIdentityFactory(organisation=tenant_b.organisation),  # another organisation
    ):
        assert client.post(tenant_a.url(f"mon-compte/franceconnect/{identity.pk}/delier/")).status_code == 404
    assert FranceConnectIdentity.objects.count() == 3


def test_flow_pages_of_another_organisation(tenant_a, tenant_b, fc_settings, fc_double, client):
    """Tenant B never enabled FranceConnect: its flow URLs answer 404."""
    for path in ("franceconnect/connexion/", "franceconnect/retour/", "franceconnect/lier/"):
        assert client.get(tenant_b.url(path)).status_code == 404


# --- Settings (back office) --------------------------------------------------------------------


def test_settings_page_for_administrators_only(tenant_a, fc_settings):
    assert client_for(tenant_a.agent).get(tenant_a.url("gestion/franceconnect/")).status_code == 403
    response = client_for(tenant_a.admin).get(tenant_a.url("gestion/franceconnect/"))
    text = page_text(response)
    assert response.status_code == 200
    assert "http://testserver/cc-a/franceconnect/retour/" in text
    assert "http://testserver/cc-a/franceconnect/deconnexion/" in text
    assert "se terminant par « QzW9 »" in text


def test_settings_saved_with_the_secret_encrypted(tenant_a, fc_double):
    admin = client_for(tenant_a.admin)
    refused = admin.post(
        tenant_a.url("gestion/franceconnect/"),
        {"enabled": "on", "base_url": fc_double.base_url, "client_id": CLIENT_ID, "client_secret": ""},
    )
    assert refused.status_code == 400 and "secret client" in page_text(refused)
    assert not FranceConnectSettings.objects.exists()
    saved = admin.post(
        tenant_a.url("gestion/franceconnect/"),
        {"enabled": "on", "base_url": fc_double.base_url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    assert saved.status_code == 302
    settings = FranceConnectSettings.objects.get()
    assert settings.is_usable and settings.client_secret == CLIENT_SECRET
    assert CLIENT_SECRET not in settings.client_secret_encrypted
    # Saving again without typing the secret keeps it.
    admin.post(
        tenant_a.url("gestion/franceconnect/"),
        {"enabled": "on", "base_url": fc_double.base_url, "client_id": CLIENT_ID, "client_secret": ""},
    )
    settings.refresh_from_db()
    assert settings.client_secret == CLIENT_SECRET


def test_check_connection(tenant_a, fc_settings, fc_double):
    admin = client_for(tenant_a.admin)
    ok = admin.post(tenant_a.url("gestion/franceconnect/tester/"), follow=True)
    assert "Connexion réussie" in page_text(ok) and fc_double.issuer in page_text(ok)
    fc_double.down = True
    failed = admin.post(tenant_a.url("gestion/franceconnect/tester/"), follow=True)
    assert "Échec" in page_text(failed)
    assert client_for(tenant_a.agent).post(tenant_a.url("gestion/franceconnect/tester/")).status_code == 403


def test_the_client_secret_never_shows(tenant_a, fc_double, julie, client, caplog):
    """Not in a page, a log line, an audit entry, an error's text or an object's repr."""
    caplog.set_level(logging.DEBUG)
    admin = client_for(tenant_a.admin)
    bodies = []
    post = {"enabled": "on", "base_url": fc_double.base_url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    bodies.append(admin.post(tenant_a.url("gestion/franceconnect/"), post, follow=True))
    bad = {**post, "base_url": "pas une adresse"}
    bodies.append(admin.post(tenant_a.url("gestion/franceconnect/"), bad))
    bodies.append(admin.get(tenant_a.url("gestion/franceconnect/")))
    bodies.append(admin.post(tenant_a.url("gestion/franceconnect/tester/"), follow=True))
    bodies.append(client.get(tenant_a.url("connexion/")))
    bodies.append(franceconnect_login(client, fc_double, tenant_a))
    bodies.append(client.get(tenant_a.url("franceconnect/lier/")))
    bodies.append(client.post(tenant_a.url("franceconnect/lier/"), {"action": "email"}, follow=True))
    fc_double.tamper_id_token = True
    bodies.append(franceconnect_login(Client(), fc_double, tenant_a))
    fc_double.tamper_id_token = False
    fc_double.clients[CLIENT_ID] = "autre"
    bodies.append(franceconnect_login(Client(), fc_double, tenant_a))
    for response in bodies:
        assert CLIENT_SECRET not in response.content.decode()
    assert CLIENT_SECRET not in caplog.text
    assert "FranceConnect refusé (id_token)" in caplog.text  # the failures are logged, without the secret
    assert not any(CLIENT_SECRET in str(entry.changes) for entry in AuditEntry.objects.all())
    settings = FranceConnectSettings.objects.get()
    provider = fc_client.Provider(base_url=settings.base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert CLIENT_SECRET not in repr(provider)
    assert CLIENT_SECRET not in str(fc_client.FranceConnectError("token", "x"))


def test_linking_respects_the_login_lockout(tenant_a, fc_settings, fc_double, client, settings):
    """The password asked to link counts with the login page's failures (django-axes)."""
    parent = tenant_a.family_user
    franceconnect_login(client, fc_double, tenant_a, identity="angela")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(tenant_a.url("franceconnect/lier/"), login_data(parent.email, "Mauvais-1234", action="login"))
    response = client.post(tenant_a.url("franceconnect/lier/"), login_data(parent.email, PASSWORD, action="login"))
    assert response.status_code == 429 and "Trop de tentatives de connexion ont échoué" in page_text(response)
    assert not FranceConnectIdentity.objects.exists()
    assert ActivityLog.objects.filter(family=parent.family, action="login_failed").exists()


def test_staff_logins_cannot_be_linked(tenant_a, fc_settings, fc_double, client):
    franceconnect_login(client, fc_double, tenant_a, identity="angela")
    staff = login_data(tenant_a.admin.email, PASSWORD, action="login")
    response = client.post(tenant_a.url("franceconnect/lier/"), staff)
    assert response.status_code == 400
    assert client.get(tenant_a.url("franceconnect/lier/confirmer/")).status_code == 302
    assert not FranceConnectIdentity.objects.exists()
