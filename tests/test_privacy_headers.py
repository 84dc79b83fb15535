"""Personal pages are sent with Cache-Control: no-store (the Back button on a shared computer
must not bring a child's health page back after logout); every response carries a
Permissions-Policy denying the browser features we do not use."""

from django.test import Client

from ribambelle.accounts.consent import record_consents

from .conftest import client_for
from .factories import CalendarFeedFactory, PersonFactory


def _no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


def _denies(response, *features) -> bool:
    policy = response.get("Permissions-Policy", "")
    return all(f"{feature}=()" in policy for feature in features)


def test_health_pages_and_every_logged_in_page_are_never_stored(tenant_a):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    child = PersonFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    parent, staff = client_for(tenant_a.family_user), client_for(tenant_a.admin)
    for client, path in [
        (parent, f"ma-famille/enfants/{child.pk}/sante/"),
        (parent, ""),
        (parent, "mes-factures/"),
        (staff, f"gestion/familles/enfants/{child.pk}/sante/"),
        (staff, "gestion/"),
        (staff, "gestion/familles/"),
    ]:
        response = client.get(tenant_a.url(path))
        assert response.status_code == 200, path
        assert _no_store(response), (path, response.get("Cache-Control"))


def test_secret_links_are_never_stored(tenant_a):
    feed = CalendarFeedFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    response = Client().get(tenant_a.url(f"agenda/{feed.token}.ics"))
    assert response.status_code == 200 and _no_store(response)
    response = Client().get(tenant_a.url("activation/nimportequoi/"))
    assert _no_store(response)


def test_public_pages_stay_cacheable_and_every_page_denies_unused_features(tenant_a):
    login = Client().get(tenant_a.url("connexion/"))
    assert login.status_code == 200 and "no-store" not in login.get("Cache-Control", "")
    features = ("camera", "microphone", "geolocation", "payment", "usb")
    assert _denies(login, *features)
    assert _denies(Client().get(tenant_a.url("page-qui-n-existe-pas/")), *features)
    assert _denies(client_for(tenant_a.admin).get(tenant_a.url("gestion/")), *features)
