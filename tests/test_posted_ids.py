"""Ids posted in the body of an action, outside the caller's reach — another organisation's,
another structure's, another family's — are refused and change nothing (the 404 walk does
the same for ids in the URL).

A view that reads a list of ids (`getlist(`) or a form with a model choice field is found by
scanning the view modules: it must have a case below, or the test fails, so a new POST view
taking ids cannot be forgotten.
"""

import inspect
import re
from datetime import date

import pytest
from django import forms
from django.apps import apps
from django.urls import reverse

from ribambelle import backoffice, portail
from ribambelle.bookings.models import Booking
from ribambelle.communication.models import OutgoingEmail
from ribambelle.tenancy.roles import Role

from .conftest import client_for
from .factories import (
    BillingSettingsFactory,
    FamilyFactory,
    InvoiceFactory,
    MembershipFactory,
    MembershipStructureFactory,
    OpeningFactory,
    PersonFactory,
    RegistrationFactory,
    StructureFactory,
    StructureFamilyFactory,
)


def _snapshot() -> dict:
    """Every row of every Ribambelle table: "nothing changed" means exactly that."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for model in apps.get_models()
        if model.__module__.startswith("ribambelle.")
    }


def _url(tenant, name, **kwargs) -> str:
    return reverse(name, kwargs={"org_slug": tenant.organisation.slug, **kwargs})


def _limited(tenant, role=Role.DIRECTOR):
    """A member limited to a new structure `mine`; `other` is another structure of the same organisation."""
    org = tenant.organisation
    mine, other = StructureFactory(organisation=org), StructureFactory(organisation=org)
    membership = MembershipFactory(organisation=org, role=role)
    MembershipStructureFactory(organisation=org, membership=membership, structure=mine)
    return membership, mine, other


def _assert_refused(client, url, data):
    before = _snapshot()
    response = client.post(url, data)
    assert response.status_code in (200, 302, 400, 404), response.status_code
    assert _snapshot() == before, url


# --- The cases, one per view that reads ids from a body ----------------------------------
def _invite_adults(url_name):
    def case(tenant_a, tenant_b):
        foreign = PersonFactory(organisation=tenant_b.organisation, role="adult", email="b@exemple.example")
        membership, mine, other = _limited(tenant_a)
        outside = PersonFactory(organisation=tenant_a.organisation, role="adult", email="c@exemple.example")
        RegistrationFactory(organisation=tenant_a.organisation, family=outside.family, group__activity__structure=other)
        _assert_refused(client_for(tenant_a.admin), _url(tenant_a, url_name), {"adults": [foreign.pk]})
        _assert_refused(client_for(membership.user), _url(tenant_a, url_name), {"adults": [outside.pk]})

    return case


def _bulk_accept(tenant_a, tenant_b):
    foreign = RegistrationFactory(organisation=tenant_b.organisation, status="requested")
    membership, mine, other = _limited(tenant_a)
    outside = RegistrationFactory(
        organisation=tenant_a.organisation, status="requested", group__activity__structure=other
    )
    url = _url(tenant_a, "backoffice:registration_bulk_accept")
    _assert_refused(client_for(tenant_a.admin), url, {"registrations": [foreign.pk]})
    _assert_refused(client_for(membership.user), url, {"registrations": [outside.pk]})


def _unpaid(tenant_a, tenant_b):
    org = tenant_a.organisation
    BillingSettingsFactory(organisation=org)  # read (get_or_create) by every reminder run

    def overdue(organisation, structure=None):
        invoice = InvoiceFactory(
            organisation=organisation, family__email="f@exemple.example", due_date=date(2026, 1, 1)
        )
        if structure is not None:
            RegistrationFactory(organisation=organisation, family=invoice.family, group__activity__structure=structure)
        return invoice

    url = _url(tenant_a, "backoffice:billing_unpaid")
    _assert_refused(client_for(tenant_a.admin), url, {"invoice": [overdue(tenant_b.organisation).pk]})
    # An administrator limited to one structure: another structure's family is out of reach.
    membership, mine, other = _limited(tenant_a, role=Role.ADMINISTRATOR)
    client = client_for(membership.user)
    _assert_refused(client, url, {"invoice": [overdue(org, other).pk]})
    # Control: their own structure's family is reminded.
    client.post(url, {"invoice": [overdue(org, mine).pk]})
    assert OutgoingEmail.objects.filter(organisation=org, template="invoice_reminder").count() == 1


def _family_planning(tenant_a, tenant_b):
    """Reproduced: a limited director booked a day in another centre for a family of theirs."""
    org = tenant_a.organisation
    membership, mine, other = _limited(tenant_a)
    family = FamilyFactory(organisation=org)
    child = PersonFactory(organisation=org, family=family)
    ours = RegistrationFactory(organisation=org, family=family, child=child, group__activity__structure=mine)
    theirs = RegistrationFactory(organisation=org, family=family, child=child, group__activity__structure=other)
    day = ours.activity.start_date
    theirs.activity.start_date = day
    theirs.activity.save(update_fields=["start_date"])
    their_opening = OpeningFactory(organisation=org, activity=theirs.activity, group=theirs.group, date=day)
    foreign = OpeningFactory(organisation=tenant_b.organisation)
    url = _url(tenant_a, "backoffice:family_planning", family_id=family.pk, person_id=child.pk) + f"?date={day}"
    client = client_for(membership.user)
    for opening in (their_opening, foreign):
        _assert_refused(client, url, {"shown": [opening.pk], "o": [opening.pk]})
    # Control: the same post for a day of their own centre books it.
    own_opening = OpeningFactory(organisation=org, activity=ours.activity, group=ours.group, date=day)
    client.post(url, {"shown": [own_opening.pk], "o": [own_opening.pk]})
    assert Booking.objects.filter(child=child, opening=own_opening).exists()


def _news(tenant_a, tenant_b):
    membership, mine, other = _limited(tenant_a)
    data = {
        "title": "Fermeture",
        "date": "2026-07-01",
        "body": "Fermé",
        "audience": "families",
        "publish_from": "2026-07-01T08:00",
    }
    url = _url(tenant_a, "backoffice:news_create")
    _assert_refused(client_for(membership.user), url, {**data, "structures": [other.pk]})
    _assert_refused(
        client_for(tenant_a.admin),
        url,
        {**data, "structures": [StructureFactory(organisation=tenant_b.organisation).pk]},
    )


def _mailing(tenant_a, tenant_b):
    membership, mine, other = _limited(tenant_a)
    data = {"scope": "structures", "subject": "Info", "body": "Bonjour", "confirm": "1"}
    url = _url(tenant_a, "backoffice:mailing_new")
    _assert_refused(client_for(membership.user), url, {**data, "structures": [other.pk]})
    foreign_group = RegistrationFactory(organisation=tenant_b.organisation).group
    _assert_refused(client_for(tenant_a.admin), url, {**data, "scope": "groups", "groups": [foreign_group.pk]})


def _structure_families(tenant_a, tenant_b):
    membership, mine, other = _limited(tenant_a, role=Role.DIRECTOR)
    theirs = StructureFamilyFactory(organisation=tenant_a.organisation, structure=other).family
    foreign = FamilyFactory(organisation=tenant_b.organisation)
    url = _url(tenant_a, "backoffice:structure_families", structure_id=mine.pk)
    client = client_for(membership.user)
    # Following another centre's family would bring its file (and health records) into reach.
    _assert_refused(client, url, {"family": theirs.pk})
    _assert_refused(client, url, {"family": foreign.pk})
    _assert_refused(
        client, url, {"remove": StructureFamilyFactory(organisation=tenant_a.organisation, structure=other).pk}
    )


CASES = {
    "backoffice.family_views:family_import_invite": _invite_adults("backoffice:family_import_invite"),
    "backoffice.family_account_views:_invite": _invite_adults("backoffice:family_accounts"),
    "backoffice.activity_views:registration_bulk_accept": _bulk_accept,
    "backoffice.billing_views:unpaid": _unpaid,
    "backoffice.booking_views:family_planning": _family_planning,
    "backoffice.communication_views:_news_form": _news,
    "backoffice.communication_views:mailing_new": _mailing,
    "backoffice.communication_views:structure_families": _structure_families,
}

# Found by the scan, not yet given a case here (issue 15): each still refuses another
# organisation's ids through its form's organisation-scoped queryset, but no test shows it.
NOT_YET_COVERED = {
    "backoffice.activity_views:_activity_form_view",
    "backoffice.activity_views:unit_create",
    "backoffice.activity_views:unit_edit",
    "backoffice.billing_views:_tariff_form",
    "backoffice.document_views:_published_form",
    "backoffice.document_views:family_documents",
    "backoffice.views:_structure_form_view",
    "backoffice.views:staff_edit",
    "backoffice.views:staff_invite",
    "portail.booking_views:_save",
    "portail.booking_views:join_waiting_list",
    "portail.booking_views:typical_week",
    "portail.communication_views:message_new",
    "portail.document_views:_add",
    "portail.family_views:child_add",
}


def _forms_with_ids() -> set[str]:
    """Names of form classes with a field whose value is a model id (or ids)."""
    found = set()
    for module in _modules(forms_too=True):
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and any(
                isinstance(field, forms.ModelChoiceField) for field in cls.base_fields.values()
            ):
                found.add(name)
    return found


def _modules(*, forms_too=False):
    import importlib
    import pkgutil

    for package in (backoffice, portail):
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.endswith("views") or (forms_too and info.name.endswith("forms")):
                yield importlib.import_module(f"{package.__name__}.{info.name}")
    if forms_too:
        for name in ("families", "documents", "accounts"):
            yield importlib.import_module(f"ribambelle.{name}.forms")


def _views_reading_ids() -> set[str]:
    form_names = _forms_with_ids()
    uses_form = re.compile(r"\b(" + "|".join(sorted(form_names)) + r")\(\s*request\.POST") if form_names else None
    found = set()
    for module in _modules():
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ != module.__name__:
                continue
            source = inspect.getsource(function)
            if "getlist(" in source or (uses_form and uses_form.search(source)):
                found.add(f"{module.__name__.removeprefix('ribambelle.')}:{name}")
    return found


def test_every_view_reading_ids_from_a_body_has_a_case():
    found = _views_reading_ids()
    assert "backoffice.billing_views:unpaid" in found  # the scan sees getlist(
    assert "backoffice.communication_views:_news_form" in found  # and forms with model choices
    missing = found - set(CASES) - NOT_YET_COVERED
    assert not missing, f"Ajoutez un cas dans tests/test_posted_ids.py pour : {sorted(missing)}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_posted_ids_outside_reach_are_refused_and_change_nothing(case, tenant_a, tenant_b):
    CASES[case](tenant_a, tenant_b)
