"""Staff second factor: wrong codes count towards the same lockout as wrong passwords, and
turning it off needs the password and a current code."""

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ribambelle.core.models import AuditEntry

from .conftest import client_for, login_data, page_text
from .factories import PASSWORD

LOCKED = "par sécurité, la connexion à ce compte est bloquée"


@pytest.fixture
def device(tenant_a):
    return TOTPDevice.objects.create(user=tenant_a.admin, name="Application", confirmed=True)


def _current_code(device) -> str:
    # Each code works once and django-otp delays retries after a wrong one: start afresh.
    device.refresh_from_db()
    device.throttle_reset()
    device.last_t = -1
    device.save()
    return f"{totp(device.bin_key):06d}"


def _password_step(client, tenant):
    response = client.post(tenant.url("gestion/connexion/"), login_data(tenant.admin.email, PASSWORD))
    assert response.status_code == 302 and response["Location"].endswith("/gestion/connexion/code/")


def test_wrong_codes_lock_the_account_even_with_fresh_password_logins(tenant_a, device, settings):
    client = Client()
    # A few wrong codes, a new password login, a few more: they add up across logins.
    failures = 0
    while failures < settings.AXES_FAILURE_LIMIT:
        _password_step(client, tenant_a)
        for _ in range(2):
            if failures == settings.AXES_FAILURE_LIMIT:
                break
            response = client.post(tenant_a.url("gestion/connexion/code/"), {"code": "000000"})
            failures += 1
    assert response.status_code == 429 and LOCKED in page_text(response)
    # Locked: neither the password step nor the right code opens a session.
    response = client.post(tenant_a.url("gestion/connexion/"), login_data(tenant_a.admin.email, PASSWORD))
    assert response.status_code == 429 and LOCKED in page_text(response)
    assert "_auth_user_id" not in client.session
    # Another member of staff is not affected.
    other = Client().post(tenant_a.url("gestion/connexion/"), login_data(tenant_a.agent.email, PASSWORD))
    assert other.status_code == 302


def test_a_right_code_after_a_few_wrong_ones_still_logs_in(tenant_a, device, settings):
    client = Client()
    _password_step(client, tenant_a)
    for _ in range(settings.AXES_FAILURE_LIMIT - 2):
        assert client.post(tenant_a.url("gestion/connexion/code/"), {"code": "000000"}).status_code == 400
    response = client.post(tenant_a.url("gestion/connexion/code/"), {"code": _current_code(device)})
    assert response.status_code == 302
    assert client.get(tenant_a.url("gestion/")).status_code == 200


def test_turning_two_factor_off_needs_password_and_code(tenant_a, device):
    staff = client_for(tenant_a.admin)
    url = tenant_a.url("gestion/securite/")
    response = staff.post(url, {"disable": "1"})
    assert response.status_code == 400
    assert "Saisissez votre mot de passe." in page_text(response) and "Saisissez le code." in page_text(response)
    response = staff.post(url, {"disable": "1", "password": "Mauvais-1234", "code": _current_code(device)})
    assert response.status_code == 400 and "Mot de passe incorrect" in page_text(response)
    response = staff.post(url, {"disable": "1", "password": PASSWORD, "code": "000000"})
    assert response.status_code == 400 and "Ce code ne correspond pas" in page_text(response)
    assert TOTPDevice.objects.filter(user=tenant_a.admin).exists()

    response = staff.post(url, {"disable": "1", "password": PASSWORD, "code": _current_code(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=tenant_a.admin).exists()
    assert AuditEntry.objects.filter(action="2fa_disabled").count() == 1


def test_guessing_on_the_disable_form_locks_too(tenant_a, device, settings):
    staff = client_for(tenant_a.admin)
    url = tenant_a.url("gestion/securite/")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        staff.post(url, {"disable": "1", "password": PASSWORD, "code": "000000"})
    response = staff.post(url, {"disable": "1", "password": PASSWORD, "code": _current_code(device)})
    assert "ce compte est bloqué pendant 15 minutes" in page_text(response)
    assert TOTPDevice.objects.filter(user=tenant_a.admin).exists()
