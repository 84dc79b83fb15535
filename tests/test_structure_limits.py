"""Structure limits: what "a family within my structures" means (tenancy.access.families_in_reach),
who sees across structures (tenancy.roles.ACROSS_STRUCTURES), and the pages that follow them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ribambelle.communication.models import StructureFamily
from ribambelle.families.models import Family
from ribambelle.tenancy.access import families_in_reach, families_to_follow, in_reach, structure_limit
from ribambelle.tenancy.roles import Area, Role
from ribambelle.tenancy.selectors import membership_for_user

from .conftest import client_for, page_text
from .factories import (
    BannerFactory,
    ChangeRequestFactory,
    FamilyFactory,
    HealthRecordFactory,
    InvoiceFactory,
    MassMailingFactory,
    MassMailingStructureFactory,
    MembershipFactory,
    MembershipStructureFactory,
    MessageThreadFactory,
    NewsItemFactory,
    NewsItemStructureFactory,
    OutgoingEmailFactory,
    PaymentFactory,
    PersonFactory,
    PublishedDocumentFactory,
    RegistrationFactory,
    StructureFactory,
    StructureFamilyFactory,
    SubmittedDocumentFactory,
    TariffFactory,
)


@pytest.fixture
def centres(tenant_a):
    org = tenant_a.organisation
    return StructureFactory(organisation=org, name="ALSH Bioule"), StructureFactory(
        organisation=org, name="ALSH Nègrepelisse"
    )


def _member(tenant, role, *structures):
    membership = MembershipFactory(organisation=tenant.organisation, role=role)
    for structure in structures:
        MembershipStructureFactory(organisation=tenant.organisation, membership=membership, structure=structure)
    return membership_for_user(membership.user)  # as the middleware loads it, structures prefetched


def _url(tenant, name, **kwargs):
    return reverse(name, kwargs={"org_slug": tenant.organisation.slug, **kwargs})


def _reach(membership, area=Area.FAMILIES) -> set[int]:
    return set(Family.objects.filter(in_reach(membership, "pk", area)).values_list("pk", flat=True))


def test_animateur_limited_to_one_centre_does_not_read_allergies_of_a_child_registered_elsewhere(tenant_a, centres):
    """Reproduced (issue 15): the health page of a child registered only in another centre."""
    mine, other = centres
    org = tenant_a.organisation
    elsewhere = RegistrationFactory(organisation=org, group__activity__structure=other).child
    HealthRecordFactory(organisation=org, family=elsewhere.family, child=elsewhere, allergies="Arachide")
    here = RegistrationFactory(organisation=org, group__activity__structure=mine).child
    HealthRecordFactory(organisation=org, family=here.family, child=here, allergies="Kiwi")
    client = client_for(_member(tenant_a, Role.AGENT, mine).user)

    refused = client.get(_url(tenant_a, "backoffice:child_health", person_id=elsewhere.pk))
    assert refused.status_code == 404 and "Arachide" not in page_text(refused)
    shown = client.get(_url(tenant_a, "backoffice:child_health", person_id=here.pk))
    assert shown.status_code == 200 and "Kiwi" in page_text(shown)


def test_a_family_is_within_a_structure_through_a_registration_of_any_status_a_follow_or_a_thread(tenant_a, centres):
    mine, other = centres
    org = tenant_a.organisation
    refused = RegistrationFactory(organisation=org, status="refused", group__activity__structure=mine).family
    followed = StructureFamilyFactory(organisation=org, structure=mine).family
    wrote = MessageThreadFactory(organisation=org, structure=mine).family
    elsewhere = RegistrationFactory(organisation=org, group__activity__structure=other).family
    nowhere = FamilyFactory(organisation=org)
    director = _member(tenant_a, Role.DIRECTOR, mine)

    assert _reach(director) == {refused.pk, followed.pk, wrote.pk}
    # Without a structure list: the whole organisation, the family in no structure included.
    everyone = _member(tenant_a, Role.DIRECTOR)
    assert structure_limit(everyone) is None and families_in_reach(everyone) is None
    assert {elsewhere.pk, nowhere.pk} <= _reach(everyone)


def test_finance_sees_across_structures_for_billing_only(tenant_a, centres):
    mine, other = centres
    org = tenant_a.organisation
    family = RegistrationFactory(organisation=org, group__activity__structure=other).family
    invoice = InvoiceFactory(organisation=org, family=family)
    finance = _member(tenant_a, Role.FINANCE, mine)
    admin = _member(tenant_a, Role.ADMINISTRATOR, mine)

    assert family.pk in _reach(finance, Area.BILLING) and family.pk not in _reach(finance)
    assert family.pk not in _reach(admin, Area.BILLING)
    assert (
        client_for(finance.user).get(_url(tenant_a, "backoffice:billing_invoice", invoice_id=invoice.pk)).status_code
        == 200
    )
    assert (
        client_for(admin.user).get(_url(tenant_a, "backoffice:billing_invoice", invoice_id=invoice.pk)).status_code
        == 404
    )
    assert (
        client_for(finance.user).get(_url(tenant_a, "backoffice:family_detail", family_id=family.pk)).status_code == 404
    )


def test_family_list_of_a_limited_director_shows_their_families_in_constant_queries(tenant_a, centres):
    mine, other = centres
    org = tenant_a.organisation
    director = _member(tenant_a, Role.DIRECTOR, mine)
    client = client_for(director.user)
    url = _url(tenant_a, "backoffice:family_list")

    def register(n, structure, name):
        for i in range(n):
            RegistrationFactory(organisation=org, family__name=f"{name}{i}", group__activity__structure=structure)

    register(1, mine, "NOTRE")
    register(1, other, "LEUR")
    client.get(url)  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        text = page_text(client.get(url))
    assert "NOTRE0" in text and "LEUR0" not in text
    register(6, mine, "AUTRE")
    with CaptureQueriesContext(connection) as seven:
        text = page_text(client.get(url))
    assert "AUTRE5" in text
    assert len(seven) == len(one)


def test_families_offered_to_follow_exclude_another_structures_families(tenant_a, centres):
    mine, other = centres
    org = tenant_a.organisation
    theirs = RegistrationFactory(organisation=org, group__activity__structure=other).family
    ours = StructureFamilyFactory(organisation=org, structure=mine).family
    new = FamilyFactory(organisation=org)
    offered = set(families_to_follow(_member(tenant_a, Role.DIRECTOR, mine)).values_list("pk", flat=True))
    assert ours.pk in offered and new.pk in offered and theirs.pk not in offered


def test_a_limited_director_keeps_the_family_they_create(tenant_a, centres):
    mine, _other = centres
    director = _member(tenant_a, Role.DIRECTOR, mine)
    data = {
        "name": "NOUVELLE",
        "city": "Bioule",
        "adult_first_name": "Anne",
        "adult_last_name": "NOUVELLE",
        "adult_email": "anne@exemple.example",
    }
    response = client_for(director.user).post(_url(tenant_a, "backoffice:family_create"), data)
    family = Family.objects.get(organisation=tenant_a.organisation, name="NOUVELLE")
    assert response.status_code == 302
    assert StructureFamily.objects.filter(structure=mine, family=family).exists()
    assert client_for(director.user).get(response["Location"]).status_code == 200


def test_messages_news_and_documents_of_another_structure_are_out_of_a_limited_directors_lists(tenant_a, centres):
    mine, other = centres
    org = tenant_a.organisation
    MessageThreadFactory(organisation=org, structure=other, subject="Question de Nègrepelisse")
    MessageThreadFactory(organisation=org, structure=mine, subject="Question de Bioule")
    client = client_for(_member(tenant_a, Role.DIRECTOR, mine).user)
    text = page_text(client.get(_url(tenant_a, "backoffice:inbox")))
    assert "Question de Bioule" in text and "Question de Nègrepelisse" not in text


def test_person_ids_posted_for_invitation_are_kept_only_within_reach(tenant_a, centres):
    from ribambelle.families.selectors import person_ids_for_staff

    mine, other = centres
    org = tenant_a.organisation
    ours = RegistrationFactory(organisation=org, group__activity__structure=mine).family
    theirs = RegistrationFactory(organisation=org, group__activity__structure=other).family
    adult_ours = PersonFactory(organisation=org, family=ours, role="adult")
    adult_theirs = PersonFactory(organisation=org, family=theirs, role="adult")
    director = _member(tenant_a, Role.DIRECTOR, mine)
    assert person_ids_for_staff(director, [adult_ours.pk, adult_theirs.pk]) == [adult_ours.pk]


def _ours_and_theirs(tenant, mine, other):
    org = tenant.organisation
    ours = RegistrationFactory(organisation=org, family__name="NOTRE", group__activity__structure=mine).family
    theirs = RegistrationFactory(organisation=org, family__name="LEUR", group__activity__structure=other).family
    return ours, theirs


def _emails(org, mine, other, ours, theirs):
    OutgoingEmailFactory(organisation=org, family=ours, subject="Sujet NOTRE")
    OutgoingEmailFactory(organisation=org, family=theirs, subject="Sujet LEUR")


def _changes(org, mine, other, ours, theirs):
    ChangeRequestFactory(organisation=org, family=ours)
    ChangeRequestFactory(organisation=org, family=theirs)


def _news(org, mine, other, ours, theirs):
    for title, structure in (("Actu NOTRE", mine), ("Actu LEUR", other)):
        NewsItemStructureFactory(organisation=org, newsitem__title=title, structure=structure)
    NewsItemFactory(organisation=org, title="Actu LEUR de toute l'organisation")
    BannerFactory(organisation=org, text="Bandeau LEUR pour tous")


def _mailings(org, mine, other, ours, theirs):
    for subject, structure in (("Envoi NOTRE", mine), ("Envoi LEUR", other)):
        mailing = MassMailingFactory(organisation=org, subject=subject, scope="structures")
        MassMailingStructureFactory(organisation=org, massmailing=mailing, structure=structure)
    MassMailingFactory(organisation=org, subject="Envoi LEUR à toute l'organisation")


def _submissions(org, mine, other, ours, theirs):
    SubmittedDocumentFactory(organisation=org, family=ours)
    SubmittedDocumentFactory(organisation=org, family=theirs)


def _published(org, mine, other, ours, theirs):
    PublishedDocumentFactory(organisation=org, title="Doc NOTRE", structure=mine)
    PublishedDocumentFactory(organisation=org, title="Doc LEUR", structure=other)


def _invoices(org, mine, other, ours, theirs):
    for family in (ours, theirs):
        InvoiceFactory(organisation=org, family=family, due_date=timezone.localdate() - timedelta(days=5))
        PaymentFactory(organisation=org, family=family)


def _tariffs(org, mine, other, ours, theirs):
    TariffFactory(organisation=org, activity__name="Activité NOTRE", activity__structure=mine)
    TariffFactory(organisation=org, activity__name="Activité LEUR", activity__structure=other)


LIST_PAGES = [
    ("backoffice:outbox", Role.DIRECTOR, _emails),
    ("backoffice:family_accounts", Role.DIRECTOR, None),
    ("backoffice:moderation_queue", Role.DIRECTOR, _changes),
    ("backoffice:publications", Role.DIRECTOR, _news),
    ("backoffice:mailing_list", Role.DIRECTOR, _mailings),
    ("backoffice:documents_queue", Role.DIRECTOR, _submissions),
    ("backoffice:published_list", Role.DIRECTOR, _published),
    # Billing: an administrator limited to one structure (finance sees across, tested above).
    ("backoffice:billing_invoices", Role.ADMINISTRATOR, _invoices),
    ("backoffice:billing_payments", Role.ADMINISTRATOR, _invoices),
    ("backoffice:billing_balances", Role.ADMINISTRATOR, _invoices),
    ("backoffice:billing_unpaid", Role.ADMINISTRATOR, _invoices),
    ("backoffice:billing_tariffs", Role.ADMINISTRATOR, _tariffs),
]


@pytest.mark.parametrize(("url_name", "role", "make"), LIST_PAGES, ids=[page[0] for page in LIST_PAGES])
def test_list_pages_of_a_limited_member_show_their_structures_only(tenant_a, centres, url_name, role, make):
    mine, other = centres
    ours, theirs = _ours_and_theirs(tenant_a, mine, other)
    if make is not None:
        make(tenant_a.organisation, mine, other, ours, theirs)
    client = client_for(_member(tenant_a, role, mine).user)
    response = client.get(_url(tenant_a, url_name))
    text = page_text(response)
    assert response.status_code == 200
    assert "NOTRE" in text and "LEUR" not in text


def test_a_limited_member_creates_no_banner(tenant_a, centres):
    mine, _other = centres
    client = client_for(_member(tenant_a, Role.DIRECTOR, mine).user)
    assert client.get(_url(tenant_a, "backoffice:banner_create")).status_code == 404
    assert (
        client_for(_member(tenant_a, Role.DIRECTOR).user).get(_url(tenant_a, "backoffice:banner_create")).status_code
        == 200
    )


def test_the_sepa_collection_file_is_for_staff_seeing_every_structure(tenant_a, centres):
    mine, _other = centres
    url = _url(tenant_a, "backoffice:billing_sepa")
    assert client_for(_member(tenant_a, Role.ADMINISTRATOR, mine).user).get(url).status_code == 403
    assert client_for(_member(tenant_a, Role.FINANCE, mine).user).get(url).status_code == 200


def test_a_sibling_registered_only_elsewhere_keeps_his_health_out_of_reach(tenant_a, centres):
    """The family is within my centre through the sister; the brother's health is not."""
    mine, other = centres
    org = tenant_a.organisation
    sister = RegistrationFactory(organisation=org, group__activity__structure=mine).child
    family = sister.family
    brother = RegistrationFactory(organisation=org, family=family, group__activity__structure=other).child
    HealthRecordFactory(organisation=org, family=family, child=brother, allergies="Arachide")
    pai = SubmittedDocumentFactory(
        organisation=org, family=family, person=brother, document_type__is_health=True, document_type__name="PAI"
    )
    page = pai.pages.get()
    client = client_for(_member(tenant_a, Role.AGENT, mine).user)

    assert client.get(_url(tenant_a, "backoffice:family_detail", family_id=family.pk)).status_code == 200
    assert client.get(_url(tenant_a, "backoffice:child_health", person_id=sister.pk)).status_code == 200
    assert client.get(_url(tenant_a, "backoffice:child_health", person_id=brother.pk)).status_code == 404
    assert client.get(_url(tenant_a, "backoffice:document_file", submittedpage_id=page.pk)).status_code == 404
    listing = client.get(_url(tenant_a, "backoffice:family_documents", family_id=family.pk))
    assert pai not in listing.context["submissions"]
    sisters = SubmittedDocumentFactory(organisation=org, family=family, person=sister, document_type=pai.document_type)
    listing = client.get(_url(tenant_a, "backoffice:family_documents", family_id=family.pk))
    assert sisters in listing.context["submissions"]
