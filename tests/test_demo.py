import pytest
from django.core.management import call_command

from ribambelle.accounts.models import User
from ribambelle.families.models import Family
from ribambelle.tenancy.models import Organisation, Structure


@pytest.mark.django_db
def test_load_demo_is_idempotent_and_follows_the_seeds():
    call_command("load_demo", stdout=open("/dev/null", "w"))
    counts = (Organisation.objects.count(), Structure.objects.count(), User.objects.count(), Family.objects.count())
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert counts == (
        Organisation.objects.count(),
        Structure.objects.count(),
        User.objects.count(),
        Family.objects.count(),
    )
    pouilly = Organisation.objects.get(slug="pouilly-bligny")
    multi = Structure.objects.get(organisation=pouilly, name="Multi-accueil de Pouilly-en-Auxois")
    assert multi.age_range_label == "2 mois – 4 ans" and multi.email == "multiaccueil@ccpouillybligny.fr"
    assert Family.objects.filter(organisation=pouilly, name="BOBLET").exists()
    quercy = Organisation.objects.get(slug="quercy-vert-aveyron")
    assert Structure.objects.filter(organisation=quercy).count() == 4


@pytest.mark.django_db
def test_demo_documents_one_expected_one_received_one_refused():
    from ribambelle.documents.models import DocumentType, PublishedDocument
    from ribambelle.documents.selectors import State, document_sections, published_for_public

    call_command("load_demo", stdout=open("/dev/null", "w"))
    call_command("load_demo", stdout=open("/dev/null", "w"))
    quercy = Organisation.objects.get(slug="quercy-vert-aveyron")
    assert set(DocumentType.objects.filter(organisation=quercy).values_list("name", flat=True)) == {
        "Assurance Responsabilité Civile",
        "Vaccins",
        "Attestation CAF (quotient familial)",
        "Fiche sanitaire / PAI",
        "Test de natation",
    }
    family = Family.objects.get(organisation=quercy, name="MARTIN")
    states = [
        doc.state for section in document_sections(organisation=quercy, family=family) for doc in section.documents
    ]
    assert {State.EXPECTED, State.RECEIVED, State.REFUSED} <= set(states)
    assert PublishedDocument.objects.filter(organisation=quercy).count() == 4
    assert published_for_public(quercy).count() == 3


@pytest.mark.django_db
def test_demo_family_files_have_diets_pai_authorised_persons_and_a_pending_change():
    from ribambelle.families.models import AuthorisedPerson, ChangeRequest, HealthRecord, PersonDiet

    call_command("load_demo", stdout=open("/dev/null", "w"))
    counts = (PersonDiet.objects.count(), AuthorisedPerson.objects.count(), ChangeRequest.objects.count())
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert counts == (PersonDiet.objects.count(), AuthorisedPerson.objects.count(), ChangeRequest.objects.count())
    quercy = Organisation.objects.get(slug="quercy-vert-aveyron")
    assert HealthRecord.objects.filter(organisation=quercy, has_pai=True, child__first_name="Hugo").exists()
    assert ChangeRequest.objects.filter(organisation=quercy, status="pending", family__name="ROUSSEL").count() == 1
    martin = Family.objects.get(organisation=quercy, name="MARTIN")
    assert " lea " in martin.search_text and AuthorisedPerson.objects.filter(family=martin).count() == 3
