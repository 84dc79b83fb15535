"""Bad query strings and form values on the pages that read them: a clear answer, never a 500."""

import pytest

from ribambelle.accounts.consent import record_consents

from .conftest import client_for
from .factories import PersonFactory, RegistrationFactory

BAD = ["", "abc", "2026-13-45", "-1", "99999999999999999999", "<script>", "%00"]


def test_nul_bytes_are_refused_with_a_clear_message(tenant_a):
    response = client_for(tenant_a.admin).get(tenant_a.url("gestion/comptes-familles/?q=a%00b"))
    assert response.status_code == 400 and "caractère non autorisé" in response.content.decode()


@pytest.mark.parametrize("value", BAD)
def test_planning_and_lists_survive_bad_parameters(tenant_a, value):
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    family = tenant_a.family_user.family
    child = PersonFactory(organisation=tenant_a.organisation, family=family)
    registration = RegistrationFactory(organisation=tenant_a.organisation, family=family, child=child)
    parent = client_for(tenant_a.family_user)
    for path in [
        f"reservations/enfant/{child.pk}/?vue={value}&date={value}",
        f"inscriptions/?statut={value}",
        f"inscriptions/enfant/{child.pk}/nouvelle/?type={value}&structure={value}&periode={value}",
    ]:
        assert parent.get(tenant_a.url(path)).status_code == (400 if value == "%00" else 200), path
    response = parent.post(tenant_a.url(f"reservations/enfant/{child.pk}/"), {"shown": [value], "o": [value]})
    assert response.status_code == 302  # in a form body "%00" is literal text, not a NUL byte
    response = parent.post(
        tenant_a.url(f"reservations/enfant/{child.pk}/semaine-type/"),
        {"from": value, "to": value, "weekday": [value], "unit": [value]},
    )
    assert response.status_code == 302
    staff = client_for(tenant_a.admin)
    activity = registration.activity
    for path in [
        f"gestion/activites/{activity.pk}/calendrier/?semaine={value}",
        f"gestion/activites/{activity.pk}/occupation/?date={value}",
        f"gestion/activites/{activity.pk}/presences/?date={value}&groupe={value}&format={value}",
        f"gestion/activites/{activity.pk}/pointage/?date={value}&groupe={value}",
        f"gestion/activites/{activity.pk}/inscrits/?q={value}",
        f"gestion/inscriptions/a-valider/?activite={value}",
    ]:
        assert staff.get(tenant_a.url(path)).status_code == (400 if value == "%00" else 200), path
    for path, data in [
        (f"gestion/activites/{activity.pk}/inscrire/", {"child": value, "group": value}),
        (f"gestion/inscriptions/{registration.pk}/modifier/", {"group": value}),
        (f"gestion/inscriptions/{registration.pk}/decision/", {"decision": value, "reason": value}),
        (f"gestion/activites/{activity.pk}/dupliquer/", {"name": value, "start_date": value}),
    ]:
        assert staff.post(tenant_a.url(path), data).status_code == 302, path


JUNK = (
    "?page=99999999999999999999&q=%3Cscript%3E&statut=x&date=2026-13-45&annee=abc&year=99999999999"
    "&type=99999999999999999999999&structure=abc&semaine=x&format=x&activite=-1&groupe=1e9&periode=x&vue=x"
)


def _plain_routes(namespace):
    from django.urls import URLResolver, get_resolver

    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == namespace:
            for pattern in entry.url_patterns:
                if not [p for p in pattern.pattern.converters]:
                    yield str(pattern.pattern)


@pytest.mark.parametrize("namespace", ["portail", "backoffice"])
def test_every_page_survives_junk_query_strings(tenant_a, namespace):
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    client = client_for(tenant_a.family_user if namespace == "portail" else tenant_a.admin)
    prefix = "" if namespace == "portail" else "gestion/"
    for route in _plain_routes(namespace):
        if route.endswith(".webmanifest") or "deconnexion" in route:
            continue
        response = client.get(tenant_a.url(prefix + route) + JUNK)
        assert response.status_code < 500, route
