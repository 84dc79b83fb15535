"""Every back-office list page filters and sorts through a FilterSet returned by its selector
(core.filters.ListFilter): a filter and a sort really change what is listed, the sorted column says so
with `aria-sort`, a wrong value is explained in French and ignored (never a 500), the page costs the same
queries for one row or several, and a structure-limited member filtering or sorting still sees only her
structures."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ribambelle.core.models import AuditEntry
from ribambelle.core.services import record_audit
from ribambelle.tenancy.roles import Role

from .conftest import client_for, page_text
from .factories import (
    ChangeRequestFactory,
    FamilyFactory,
    InvoiceFactory,
    MassMailingFactory,
    MessageThreadFactory,
    PaymentFactory,
    PersonFactory,
    StructureFactory,
    SubmittedDocumentFactory,
)
from .test_structure_limits import LIST_PAGES, _member, _ours_and_theirs

NAMES = ["ARNOUXQ", "BESSONQ", "ZELLERQ"]  # alphabetical; unique words on every page


def _family(tenant, name):
    family = FamilyFactory(organisation=tenant.organisation, name=name)
    PersonFactory(organisation=tenant.organisation, family=family, role="adult", last_name=name)
    return family


def _payment(tenant, name, i):
    PaymentFactory(organisation=tenant.organisation, family=_family(tenant, name), reference=f"Chèque {name}")


def _balance(tenant, name, i):
    InvoiceFactory(organisation=tenant.organisation, family=_family(tenant, name), status="due")


def _unpaid(tenant, name, i):
    InvoiceFactory(organisation=tenant.organisation, family=_family(tenant, name), status="due")


def _thread(tenant, name, i):
    structure = StructureFactory(organisation=tenant.organisation, name=f"Centre {i}")
    status = "handled" if name == NAMES[-1] else "new"
    MessageThreadFactory(
        organisation=tenant.organisation, family=_family(tenant, name), structure=structure, status=status
    )


def _mailing(tenant, name, i):
    MassMailingFactory(organisation=tenant.organisation, subject=f"Envoi {name}")


def _submission(tenant, name, i):
    SubmittedDocumentFactory(organisation=tenant.organisation, family=_family(tenant, name))


def _audit(tenant, name, i):
    structure = StructureFactory(organisation=tenant.organisation, name=f"Structure {name}")
    entry = record_audit(organisation=tenant.organisation, actor=tenant.admin, action="update", obj=structure)
    AuditEntry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(hours=10 - i))


def _login(tenant, name, i):
    _family(tenant, name)


def _change(tenant, name, i):
    ChangeRequestFactory(organisation=tenant.organisation, family=_family(tenant, name))


# name: (url name, make one row, a filter keeping only the last name, the sort key, a wrong filter)
PAGES = {
    "payments": ("billing_payments", _payment, f"q={NAMES[-1]}", "famille", "mode=bitcoin"),
    "balances": ("billing_balances", _balance, f"q={NAMES[-1]}", "famille", "solde=peut-etre"),
    "unpaid": ("billing_unpaid", _unpaid, f"q={NAMES[-1]}", "famille", "echues=demain"),
    "inbox": ("inbox", _thread, "statut=handled", "famille", "structure=abc"),
    "mailings": ("mailing_list", _mailing, f"q={NAMES[-1]}", "objet", "destinataires=la-lune"),
    "documents": ("documents_queue", _submission, f"q={NAMES[-1]}", "famille", "type=999999999"),
    "audit": ("audit_log", _audit, f"text={NAMES[-1]}", "date", "since=2026-02-31"),
    "logins": ("family_accounts", _login, f"q={NAMES[-1]}", "famille", "statut=perdu"),
    "moderation": ("moderation_queue", _change, f"q={NAMES[-1]}", "famille", "type=inconnu"),
}
ALL = {"inbox": "statut=tous&"}  # the inbox lists new messages unless asked for every status


def _url(tenant, page, query=""):
    path = reverse(f"backoffice:{PAGES[page][0]}", kwargs={"org_slug": tenant.organisation.slug})
    return f"{path}?{ALL.get(page, '')}{query}"


def _world(tenant, page, names=NAMES):
    for i, name in enumerate(names):
        PAGES[page][1](tenant, name, i)


def _order(text, names=NAMES):
    return sorted(names, key=text.index)


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_filter_changes_what_the_list_shows(tenant_a, page):
    _world(tenant_a, page)
    client = client_for(tenant_a.admin)
    everything = page_text(client.get(_url(tenant_a, page)))
    assert all(name in everything for name in NAMES)
    response = client.get(_url(tenant_a, page, PAGES[page][2]))
    text = page_text(response)
    assert response.status_code == 200
    assert NAMES[-1] in text and NAMES[0] not in text and NAMES[1] not in text
    assert '<form method="get"' in text and 'role="search"' in text  # the filters work without JavaScript


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_sort_changes_the_order_and_the_header_says_so(tenant_a, page):
    _world(tenant_a, page)
    client = client_for(tenant_a.admin)
    key = PAGES[page][3]
    text = page_text(client.get(_url(tenant_a, page, f"tri=-{key}")))
    assert _order(text) == NAMES[::-1]
    assert 'aria-sort="descending"><a href="?' in text and f"tri={key}" in text
    text = page_text(client.get(_url(tenant_a, page, f"tri={key}")))
    assert _order(text) == NAMES
    assert 'aria-sort="ascending"' in text and 'aria-sort="none"' in text or page in ("audit", "logins")


@pytest.mark.parametrize("page", sorted(PAGES))
def test_a_wrong_filter_or_sort_is_explained_in_french_and_ignored(tenant_a, page):
    _world(tenant_a, page)
    client = client_for(tenant_a.admin)
    response = client.get(_url(tenant_a, page, PAGES[page][4] + "&tri=total;drop&page=zero"))
    text = page_text(response)
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in text or "Saisissez une date valide" in text
    assert all(name in text for name in NAMES)  # as if the wrong filter were not set
    assert 'aria-invalid="true"' in text  # the field that was refused is marked, its message tied to it


def test_the_filter_form_keeps_the_sort_and_the_csv_export_keeps_the_filters(tenant_a):
    _world(tenant_a, "payments")
    client = client_for(tenant_a.admin)
    text = client.get(_url(tenant_a, "payments", f"q={NAMES[-1]}&tri=-montant")).content.decode()
    assert '<input type="hidden" name="tri" value="-montant">' in text
    assert f'href="?q={NAMES[-1]}&amp;tri=-montant&amp;format=csv"' in text
    export = client.get(_url(tenant_a, "payments", f"q={NAMES[-1]}&format=csv")).content.decode("utf-8-sig")
    assert NAMES[-1] in export and NAMES[0] not in export


def test_the_inbox_status_links_keep_the_structure_and_an_unknown_structure_is_refused(tenant_a):
    _world(tenant_a, "inbox")
    client = client_for(tenant_a.admin)
    mine = StructureFactory(organisation=tenant_a.organisation, name="Centre choisi")
    MessageThreadFactory(organisation=tenant_a.organisation, structure=mine, subject="Sujet du centre choisi")
    text = page_text(client.get(_url(tenant_a, "inbox", f"structure={mine.pk}")))
    assert "Sujet du centre choisi" in text and NAMES[0] not in text
    assert f"?statut=handled&structure={mine.pk}" in text or f"?structure={mine.pk}&statut=handled" in text


# --- Constant queries ----------------------------------------------------------------------------------
# Every query of each list page with a filter and a sort, counted: a new one must be a choice.
QUERIES = {
    "payments": 7,
    "balances": 7,
    "unpaid": 7,
    "inbox": 9,
    "mailings": 7,
    "documents": 9,
    "audit": 9,
    "logins": 9,
    "moderation": 7,
}


@pytest.mark.parametrize("size", [1, 3])
@pytest.mark.parametrize("page", sorted(QUERIES))
def test_list_pages_cost_a_fixed_number_of_queries(tenant_a, page, size, django_assert_num_queries):
    _world(tenant_a, page, NAMES[:size])
    client = client_for(tenant_a.admin)
    url = _url(tenant_a, page, f"tri=-{PAGES[page][3]}")
    assert client.get(url).status_code == 200  # first visit: session and caches settle
    with django_assert_num_queries(QUERIES[page]):
        assert client.get(url).status_code == 200


# --- Structure limits hold under every filter and sort ------------------------------------------------
@pytest.fixture
def centres(tenant_a):
    org = tenant_a.organisation
    return StructureFactory(organisation=org, name="ALSH Bioule"), StructureFactory(
        organisation=org, name="ALSH Nègrepelisse"
    )


SORTED = {
    "backoffice:moderation_queue": "tri=-famille",
    "backoffice:mailing_list": "tri=-objet&q=Envoi",
    "backoffice:documents_queue": "tri=-famille",
    "backoffice:billing_payments": "tri=-famille",
    "backoffice:billing_balances": "tri=-famille&solde=due",
    "backoffice:billing_unpaid": "tri=-famille&echues=1",
    "backoffice:family_accounts": "tri=-famille&statut=none",
}


@pytest.mark.parametrize(
    ("url_name", "role", "make"), [p for p in LIST_PAGES if p[0] in SORTED], ids=[p for p in SORTED]
)
def test_a_limited_member_filtering_and_sorting_still_sees_only_her_structures(tenant_a, centres, url_name, role, make):
    mine, other = centres
    ours, theirs = _ours_and_theirs(tenant_a, mine, other)
    if make is not None:
        make(tenant_a.organisation, mine, other, ours, theirs)
    client = client_for(_member(tenant_a, role, mine).user)
    path = reverse(url_name, kwargs={"org_slug": tenant_a.organisation.slug})
    response = client.get(f"{path}?{SORTED[url_name]}")
    text = page_text(response)
    assert response.status_code == 200
    assert "NOTRE" in text and "LEUR" not in text


def test_a_limited_director_cannot_pick_another_structure_in_the_inbox_filter(tenant_a, centres):
    mine, other = centres
    org = tenant_a.organisation
    MessageThreadFactory(organisation=org, structure=other, subject="Question de Nègrepelisse")
    MessageThreadFactory(organisation=org, structure=mine, subject="Question de Bioule")
    client = client_for(_member(tenant_a, Role.DIRECTOR, mine).user)
    path = reverse("backoffice:inbox", kwargs={"org_slug": org.slug})
    response = client.get(f"{path}?structure={other.pk}&statut=tous&tri=-objet")
    text = page_text(response)
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in text
    assert "Question de Bioule" in text and "Question de Nègrepelisse" not in text
    assert f'<option value="{other.pk}"' not in text  # another structure is not even offered
