"""Bad query strings and form values on the pages that read them: a clear answer, never a 500."""

from html.parser import HTMLParser

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


# --- Extreme dates ---------------------------------------------------------------------------------
# Python's dates stop at year 9999 and start at year 1: a planning one week past 31/12/9999
# or before 03/01/0001 raised OverflowError (a 500). Every date is read within bounds.
EXTREME_DATES = ["9999-12-31", "0001-01-03", "2101-01-01", "1899-12-31"]
BOUNDS_MESSAGE = "indiquez une date entre le 01/01/1900 et le 31/12/2100"
DATE_PARAMETERS = ("date", "semaine")


def _date_world(tenant):
    """A child registered to an activity with an opening, and the ids our URLs take."""
    from .factories import InvoiceFactory, OpeningFactory, PaymentFactory

    record_consents(user=tenant.family_user, personal=True, health=False)
    family = tenant.family_user.family
    child = PersonFactory(organisation=tenant.organisation, family=family)
    registration = RegistrationFactory(organisation=tenant.organisation, family=family, child=child)
    opening = OpeningFactory(organisation=tenant.organisation, activity=registration.activity, group=registration.group)
    invoice = InvoiceFactory(organisation=tenant.organisation, family=family)
    payment = PaymentFactory(organisation=tenant.organisation, family=family)
    return {
        "activity_id": registration.activity_id,
        "family_id": family.pk,
        "person_id": child.pk,
        "registration_id": registration.pk,
        "group_id": registration.group_id,
        "unit_id": opening.unit_id,
        "invoice_id": invoice.pk,
        "payment_id": payment.pk,
    }


def _pages(namespace, tenant, ids):
    """Every GET page of an interface whose URL parameters we can fill from `ids`."""
    from django.urls import get_resolver

    from .test_isolation import _walk

    prefix = f"/{tenant.organisation.slug}/"
    for ns, route, entry in _walk(get_resolver().url_patterns):
        params = [p for p in entry.pattern.converters if p != "org_slug"]
        if ns != namespace or any(p not in ids for p in params):
            continue
        if route.endswith(".webmanifest") or "deconnexion" in route or "effacer" in route:
            continue
        path = route.replace("<slug:org_slug>/", "")
        for name in params:
            for kind in ("int", "slug", "str"):
                path = path.replace(f"<{kind}:{name}>", str(ids[name]))
        yield prefix + path


@pytest.mark.parametrize("namespace", ["portail", "backoffice"])
def test_every_page_survives_extreme_dates_in_query_strings(tenant_a, namespace):
    ids = _date_world(tenant_a)
    client = client_for(tenant_a.family_user if namespace == "portail" else tenant_a.admin)
    for page in _pages(namespace, tenant_a, ids):
        for value in EXTREME_DATES:
            query = "&".join(f"{name}={value}" for name in DATE_PARAMETERS)
            response = client.get(f"{page}?vue=mois&{query}")
            assert response.status_code < 500, (page, value)


def test_extreme_planning_date_falls_back_to_today_with_a_message(tenant_a):
    ids = _date_world(tenant_a)
    parent = client_for(tenant_a.family_user)
    staff = client_for(tenant_a.admin)
    for client, path in [
        (parent, f"reservations/enfant/{ids['person_id']}/?date=9999-12-31"),
        (parent, f"reservations/enfant/{ids['person_id']}/?vue=jour&date=0001-01-03"),
        (staff, f"gestion/familles/{ids['family_id']}/reservations/{ids['person_id']}/?date=9999-12-31"),
        (staff, f"gestion/activites/{ids['activity_id']}/calendrier/?semaine=0001-01-03"),
    ]:
        response = client.get(tenant_a.url(path), follow=True)
        assert response.status_code == 200, path
        assert BOUNDS_MESSAGE in response.content.decode().replace("&#x27;", "'"), path


class _DateForms(HTMLParser):
    """The POST forms of a page that have a date input, with the values they would send."""

    def __init__(self):
        super().__init__()
        self.forms, self._form, self._select, self._textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "data": {}, "dates": []}
        elif self._form is None:
            return
        elif tag == "input" and attrs.get("name"):
            kind = (attrs.get("type") or "text").lower()
            if kind in {"date", "datetime-local"}:
                self._form["dates"].append((attrs["name"], kind))
            elif kind in {"checkbox", "radio"}:
                if "checked" in attrs:
                    self._form["data"].setdefault(attrs["name"], []).append(attrs.get("value", "on"))
            elif kind not in {"submit", "button", "file"}:
                self._form["data"].setdefault(attrs["name"], []).append(attrs.get("value") or "1")
        elif tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
        elif tag == "option" and self._select and attrs.get("value"):
            self._form["data"].setdefault(self._select, [attrs["value"]])
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = attrs["name"]
            self._form["data"][attrs["name"]] = ["Texte"]

    def handle_endtag(self, tag):
        if tag == "form" and self._form is not None:
            if self._form["dates"]:
                self.forms.append(self._form)
            self._form = None
        elif tag == "select":
            self._select = None


def _no_stored_date_out_of_bounds():
    from datetime import date

    from django.apps import apps
    from django.db import models

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
                outside = model.objects.filter(**{f"{field.name}__gt": date(2100, 12, 31)}) | model.objects.filter(
                    **{f"{field.name}__lt": date(1900, 1, 1)}
                )
                assert not outside.exists(), f"{model.__name__}.{field.name}"


@pytest.mark.parametrize("namespace", ["portail", "backoffice"])
def test_every_posted_date_field_refuses_extreme_dates(tenant_a, namespace):
    ids = _date_world(tenant_a)
    client = client_for(tenant_a.family_user if namespace == "portail" else tenant_a.admin)
    posted = 0
    for page in _pages(namespace, tenant_a, ids):
        response = client.get(page)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        parser = _DateForms()
        parser.feed(response.content.decode())
        for form in parser.forms:
            for value in EXTREME_DATES:
                data = {name: values for name, values in form["data"].items()}
                for name, kind in form["dates"]:
                    data[name] = [value + ("T12:00" if kind == "datetime-local" else "")]
                result = client.post(form["action"] or page, data)
                assert result.status_code < 500, (page, form["action"], value)
                if result.status_code != 302:
                    assert BOUNDS_MESSAGE in result.content.decode().replace("&#x27;", "'"), (page, value)
                posted += 1
    assert posted >= (4 if namespace == "portail" else 40)
    _no_stored_date_out_of_bounds()
