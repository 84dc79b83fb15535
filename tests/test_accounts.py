from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ribambelle.accounts import services
from ribambelle.accounts.consent import consent_state, health_consent_withdrawn, record_consents
from ribambelle.accounts.models import AccountToken, ActivityLog
from ribambelle.communication.models import OutgoingEmail

from .conftest import client_for, login_data, page_text, robot_proof
from .factories import PASSWORD, FamilyUserFactory, UserFactory

GOOD = "Soleil-Ete-2026"


def _invite(user):
    """Send an invitation and return the raw token from the e-mail's link."""
    services.send_invitation(user=user)
    body = OutgoingEmail.objects.filter(to=user.email).latest("id").body_text
    return body.split("/activation/")[1].split("/")[0]


@pytest.fixture
def invited(tenant_a):
    return FamilyUserFactory(
        organisation=tenant_a.organisation,
        email="nouveau@parent.example",
        password=None,
        activated_at=None,
        family__name="BOBLET",
    )


def test_activation_link_sets_the_first_password_once(client, tenant_a, invited):
    token = _invite(invited)
    url = tenant_a.url(f"activation/{token}/")
    page = page_text(client.get(url))
    assert "8 caractères" in page and "1 majuscule" in page and "nouveau@parent.example" in page

    response = client.post(url, {"password1": GOOD, "password2": GOOD})
    assert response.status_code == 200
    assert "Vous pouvez utiliser votre nouveau mot de passe pour vous connecter." in page_text(response)
    invited.refresh_from_db()
    assert invited.check_password(GOOD) and invited.activated_at is not None
    assert ActivityLog.objects.filter(family=invited.family, action="activation").exists()

    # A used link cannot set a password again.
    response = client.post(url, {"password1": "Autre-Chose-99", "password2": "Autre-Chose-99"})
    assert response.status_code == 410 and "déjà servi" in page_text(response)
    invited.refresh_from_db()
    assert invited.check_password(GOOD)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Court1A", "8 caractères"),
        ("toutminuscule1", "1 majuscule"),
        ("TOUTMAJUSCULE1", "1 minuscule"),
        ("SansChiffreIci", "1 chiffre"),
        ("Boblet2026x", "proche de l'e-mail ou du nom de famille"),
        ("Nouveau-parent1", "proche de l'e-mail ou du nom de famille"),
        ("Password1", "trop courant"),
    ],
)
def test_weak_passwords_are_refused_with_the_failing_rule(client, tenant_a, invited, password, message):
    token = _invite(invited)
    response = client.post(tenant_a.url(f"activation/{token}/"), {"password1": password, "password2": password})
    assert response.status_code == 400
    assert message in page_text(response)
    invited.refresh_from_db()
    assert not invited.has_usable_password()


def test_mismatched_confirmation_is_refused(client, tenant_a, invited):
    token = _invite(invited)
    response = client.post(tenant_a.url(f"activation/{token}/"), {"password1": GOOD, "password2": GOOD + "x"})
    assert response.status_code == 400 and "ne sont pas identiques" in page_text(response)


def test_expired_link_explains_and_offers_a_new_one(client, tenant_a, invited, django_capture_on_commit_callbacks):
    token = _invite(invited)
    AccountToken.objects.filter(user=invited).update(expires_at=timezone.now() - timedelta(minutes=1))
    url = tenant_a.url(f"activation/{token}/")
    response = client.post(url, {"password1": GOOD, "password2": GOOD})
    assert response.status_code == 410 and "a expiré" in page_text(response)
    invited.refresh_from_db()
    assert not invited.has_usable_password()
    AccountToken.objects.filter(user=invited).update(created_at=timezone.now() - timedelta(minutes=5))
    client.post(tenant_a.url("activation/nouveau-lien/"), {"email": invited.email})
    assert OutgoingEmail.objects.filter(to=invited.email).count() == 2


def test_activation_link_does_not_work_in_another_organisation(client, tenant_a, tenant_b, invited):
    token = _invite(invited)
    assert client.get(tenant_b.url(f"activation/{token}/")).status_code == 410


def test_resend_does_not_reveal_unknown_addresses(client, tenant_a):
    response = client.post(tenant_a.url("activation/nouveau-lien/"), {"email": "personne@nulle.part"}, follow=True)
    assert "Si un compte à activer existe" in page_text(response)
    assert not OutgoingEmail.objects.exists()


def test_login_rotates_session_and_remember_me(tenant_a):
    client = Client()
    client.get(tenant_a.url())
    before = client.session.session_key
    response = client.post(tenant_a.url("connexion/"), login_data(tenant_a.family_user.email, PASSWORD))
    assert response.status_code == 302
    assert client.session.session_key != before
    assert client.session.get_expire_at_browser_close()  # "Rester connecté" not ticked

    remembered = Client()
    remembered.post(tenant_a.url("connexion/"), login_data(tenant_a.family_user.email, PASSWORD, remember="on"))
    assert not remembered.session.get_expire_at_browser_close()
    log = ActivityLog.objects.filter(family=tenant_a.family_user.family, action__in=["login", "login_remembered"])
    assert log.count() == 2


def test_login_needs_the_robot_check_and_a_proof_works_once(client, tenant_a):
    data = {"email": tenant_a.family_user.email, "password": PASSWORD}
    response = client.post(tenant_a.url("connexion/"), data)
    assert response.status_code == 400 and "Je ne suis pas un robot" in page_text(response)
    proof = robot_proof()
    assert client.post(tenant_a.url("connexion/"), {**data, "robot": proof}).status_code == 302
    replay = Client().post(tenant_a.url("connexion/"), {**data, "robot": proof})
    assert replay.status_code == 400 and "déjà servi" in page_text(replay)


def test_a_proof_is_remembered_once_and_forgotten_after_its_validity(monkeypatch, db):
    from django.db import transaction

    from ribambelle.core import robot
    from ribambelle.core.models import UsedRobotProof

    proof = robot_proof()
    with transaction.atomic():  # a replay leaves the surrounding transaction usable
        assert robot.verify_proof(proof) and not robot.verify_proof(proof)
        assert UsedRobotProof.objects.count() == 1
    UsedRobotProof.objects.update(created_at=timezone.now() - 2 * robot.CHALLENGE_VALIDITY - timedelta(seconds=1))
    monkeypatch.setattr(robot, "_tidies_up", lambda: True)  # the submission that tidies up
    assert robot.verify_proof(robot_proof())
    assert UsedRobotProof.objects.count() == 1  # the old one forgotten, the new one remembered


def test_forged_robot_proof_is_refused(client, tenant_a):
    response = client.post(tenant_a.url("connexion/"), {"email": "a@b.example", "password": "x", "robot": "Zm9vYmFy"})
    assert response.status_code == 400


def test_wrong_password_is_logged_in_the_family_history(client, tenant_a):
    response = client.post(tenant_a.url("connexion/"), login_data(tenant_a.family_user.email, "Mauvais-1234"))
    assert response.status_code == 400 and "E-mail ou mot de passe incorrect" in page_text(response)
    assert ActivityLog.objects.filter(family=tenant_a.family_user.family, action="login_failed").exists()


def test_repeated_failures_lock_the_account_from_that_address(client, tenant_a, settings):
    email = tenant_a.family_user.email
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(tenant_a.url("connexion/"), login_data(email, "Mauvais-1234"))
    response = client.post(tenant_a.url("connexion/"), login_data(email, PASSWORD))
    assert response.status_code == 429
    assert (
        "Trop de tentatives de connexion ont échoué : par sécurité, la connexion à ce compte est bloquée "
        "pendant 15 minutes." in page_text(response)
    )
    assert "_auth_user_id" not in client.session
    # Another family is not affected.
    assert (
        client.post(tenant_a.url("connexion/"), login_data(tenant_a.other_family_user.email, PASSWORD)).status_code
        == 302
    )


def test_staff_cannot_log_into_the_portal_nor_families_into_the_back_office(tenant_a):
    assert Client().post(tenant_a.url("connexion/"), login_data(tenant_a.admin.email, PASSWORD)).status_code == 400
    response = Client().post(tenant_a.url("gestion/connexion/"), login_data(tenant_a.family_user.email, PASSWORD))
    assert response.status_code == 400


def test_password_reset_does_not_reveal_unknown_emails(client, tenant_a, tenant_b):
    known = client.post(
        tenant_a.url("mot-de-passe-oublie/"), {"email": tenant_a.family_user.email, "robot": robot_proof()}, follow=True
    )
    unknown = client.post(
        tenant_a.url("mot-de-passe-oublie/"), {"email": "inconnu@nulle.part", "robot": robot_proof()}, follow=True
    )
    other_org = client.post(
        tenant_a.url("mot-de-passe-oublie/"), {"email": tenant_b.family_user.email, "robot": robot_proof()}, follow=True
    )
    assert known.status_code == unknown.status_code == other_org.status_code == 200
    messages = [str(m) for r in (known, unknown, other_org) for m in r.context["messages"]]
    assert len(set(messages)) == 1 and "Si un compte existe" in messages[0]
    assert list(OutgoingEmail.objects.values_list("to", flat=True)) == [tenant_a.family_user.email]


def test_password_reset_link_closes_other_sessions(tenant_a):
    user = tenant_a.family_user
    other_device = client_for(user)
    assert other_device.get(tenant_a.url("historique/")).status_code in (200, 302)
    services.request_password_reset(organisation=tenant_a.organisation, email=user.email)
    token = OutgoingEmail.objects.get(to=user.email, template="password_reset").body_text.split("/mot-de-passe/")[1]
    token = token.split("/")[0]
    response = Client().post(tenant_a.url(f"mot-de-passe/{token}/"), {"password1": GOOD, "password2": GOOD})
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(GOOD)
    response = other_device.get(tenant_a.url("historique/"))
    assert response.status_code == 302 and "/connexion/" in response["Location"]
    assert OutgoingEmail.objects.filter(to=user.email, template="password_changed").exists()


def _consented(user):
    record_consents(user=user, personal=True, health=True)
    return client_for(user)


def test_first_login_asks_for_consent_personal_required_health_optional(tenant_a):
    user = tenant_a.family_user
    client = client_for(user)
    response = client.get(tenant_a.url())
    assert response.status_code == 302 and "/consentement/" in response["Location"]
    page = page_text(client.get(tenant_a.url("consentement/")))
    assert "CNIL" in page and "données sanitaires" in page
    response = client.post(tenant_a.url("consentement/"), {"health": "on"})
    assert response.status_code == 400 and "ne peut pas fonctionner sans vos données personnelles" in page_text(
        response
    )
    response = client.post(tenant_a.url("consentement/"), {"personal": "on"})
    assert response.status_code == 302
    state = consent_state(user)
    assert state.personal and not state.health
    assert state.personal_record.text_version == tenant_a.organisation.gdpr_text_version
    assert client.get(tenant_a.url()).status_code == 200


def test_new_gdpr_text_asks_again(tenant_a):
    client = _consented(tenant_a.family_user)
    assert client.get(tenant_a.url()).status_code == 200
    organisation = tenant_a.organisation
    organisation.gdpr_text_version += 1
    organisation.save()
    response = client.get(tenant_a.url())
    assert response.status_code == 302 and "/consentement/" in response["Location"]


def test_withdrawing_health_consent_is_recorded_and_announced(tenant_a, django_capture_on_commit_callbacks):
    client = _consented(tenant_a.family_user)
    received = []
    health_consent_withdrawn.connect(lambda sender, family, **kw: received.append(family), weak=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(tenant_a.url("mon-compte/consentement/health/retirer/"))
    assert response.status_code == 302
    assert not consent_state(tenant_a.family_user).health
    assert received == [tenant_a.family_user.family]
    page = page_text(client.get(tenant_a.url("historique/")))
    assert "Consentement données sanitaires retiré" in page


def test_history_shows_logins_with_device(tenant_a):
    user = tenant_a.family_user
    record_consents(user=user, personal=True, health=False)
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (Linux; Android 14) AppleWebKit Chrome/126.0 Mobile Safari/537.36")
    client.post(tenant_a.url("connexion/"), login_data(user.email, PASSWORD))
    page = page_text(client.get(tenant_a.url("historique/")))
    assert "Connexion" in page and "Chrome sur Android" in page


def test_change_password_keeps_this_session_and_checks_rules(tenant_a):
    user = tenant_a.family_user
    client = _consented(user)
    weak = client.post(
        tenant_a.url("mon-compte/"),
        {"pw-current": PASSWORD, "pw-password1": "faible", "pw-password2": "faible", "change_password": "1"},
    )
    assert weak.status_code == 400
    response = client.post(
        tenant_a.url("mon-compte/"),
        {"pw-current": PASSWORD, "pw-password1": GOOD, "pw-password2": GOOD, "change_password": "1"},
    )
    assert response.status_code == 302
    assert client.get(tenant_a.url("mon-compte/")).status_code == 200
    user.refresh_from_db()
    assert user.check_password(GOOD)


def test_change_email_is_confirmed_by_a_link_to_the_new_address(tenant_a):
    user = tenant_a.family_user
    client = _consented(user)
    taken = client.post(
        tenant_a.url("mon-compte/"),
        {"email-new_email": tenant_a.other_family_user.email, "email-current": PASSWORD, "change_email": "1"},
    )
    assert taken.status_code == 400 and "déjà utilisée" in page_text(taken)
    client.post(
        tenant_a.url("mon-compte/"),
        {"email-new_email": "nouvelle@adresse.example", "email-current": PASSWORD, "change_email": "1"},
    )
    user.refresh_from_db()
    assert user.email != "nouvelle@adresse.example"
    mail = OutgoingEmail.objects.get(to="nouvelle@adresse.example")
    token = mail.body_text.split("/mon-compte/e-mail/")[1].split("/")[0]
    response = Client().get(tenant_a.url(f"mon-compte/e-mail/{token}/"))
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email == "nouvelle@adresse.example"
    assert Client().get(tenant_a.url(f"mon-compte/e-mail/{token}/")).status_code == 410


def test_staff_two_factor_enrolment_and_login(tenant_a):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = tenant_a.admin
    client = client_for(admin)
    assert client.get(tenant_a.url("gestion/securite/")).status_code == 200
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    assert client.post(tenant_a.url("gestion/securite/"), {"code": "000000"}).status_code == 400
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows down retries after a wrong code
    response = client.post(tenant_a.url("gestion/securite/"), {"code": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed

    fresh = Client()
    response = fresh.post(tenant_a.url("gestion/connexion/"), login_data(admin.email, PASSWORD))
    assert response.status_code == 302 and response["Location"].endswith("/gestion/connexion/code/")
    assert fresh.get(tenant_a.url("gestion/")).status_code == 302  # not logged in yet
    device.last_t = -1
    device.save()
    response = fresh.post(tenant_a.url("gestion/connexion/code/"), {"code": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    assert fresh.get(tenant_a.url("gestion/")).status_code == 200


def test_organisation_can_require_two_factor_for_staff(tenant_a):
    organisation = tenant_a.organisation
    organisation.staff_requires_2fa = True
    organisation.save()
    response = client_for(tenant_a.agent).get(tenant_a.url("gestion/structures/"))
    assert response.status_code == 302 and response["Location"].endswith("/gestion/securite/")


def test_bulk_invitation_of_family_adults(tenant_a, django_capture_on_commit_callbacks):
    from .factories import PersonFactory

    family = tenant_a.family_user.family
    mum = PersonFactory(
        organisation=tenant_a.organisation,
        family=family,
        role="adult",
        first_name="Céline",
        email="celine@parent.example",
    )
    no_mail = PersonFactory(
        organisation=tenant_a.organisation, family=family, role="adult", first_name="Sans", email=""
    )
    active = PersonFactory(
        organisation=tenant_a.organisation,
        family=family,
        role="adult",
        first_name="Déjà",
        email=tenant_a.family_user.email,
    )
    client = client_for(tenant_a.admin)
    response = client.post(
        tenant_a.url("gestion/comptes-familles/"), {"adults": [mum.pk, no_mail.pk, active.pk]}, follow=True
    )
    page = page_text(response)
    assert "1 invitation(s) envoyée(s) : celine@parent.example" in page
    assert "Déjà activé(s)" in page and "Sans adresse e-mail" in page
    assert OutgoingEmail.objects.filter(to="celine@parent.example", template="invitation").exists()
    assert "Invité le" in page_text(client.get(tenant_a.url("gestion/comptes-familles/")))
    # The agent can look but not invite.
    assert (
        client_for(tenant_a.agent)
        .post(tenant_a.url("gestion/comptes-familles/"), {"adults": [mum.pk]}, follow=True)
        .status_code
        == 200
    )
    assert OutgoingEmail.objects.filter(to="celine@parent.example").count() == 1


def test_an_adult_of_another_organisation_cannot_be_invited(tenant_a, tenant_b):
    from .factories import PersonFactory

    foreign = PersonFactory(organisation=tenant_b.organisation, role="adult", email="etranger@parent.example")
    client_for(tenant_a.admin).post(tenant_a.url("gestion/comptes-familles/"), {"adults": [foreign.pk]})
    assert not OutgoingEmail.objects.exists()


def test_unknown_user_unrelated(db):
    assert UserFactory().organisation is not None


def test_the_consent_read_with_the_login_follows_an_answer_given_in_the_same_request(tenant_a):
    """The login brings whether the GDPR text was accepted (accounts.backends); recording or
    withdrawing consent on request.user — a lazy proxy — must not leave the old answer on it."""
    from django.utils.functional import SimpleLazyObject

    from ribambelle.accounts.backends import OrganisationEmailBackend
    from ribambelle.accounts.consent import withdraw_consent

    login = OrganisationEmailBackend().get_user(tenant_a.family_user.pk)
    user = SimpleLazyObject(lambda: login)
    assert login.personal_consent_version is None and not consent_state(user).personal
    assert record_consents(user=user, personal=True, health=False).personal
    assert consent_state(user).personal
    assert not withdraw_consent(user=user, kind="personal").personal
    assert not consent_state(user).personal
