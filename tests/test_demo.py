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


@pytest.mark.django_db
def test_demo_reload_after_staff_created_a_second_martin_and_a_parent_changed_e_mail():
    """`make run` reloads the demo at every start: a second MARTIN family made in the back office
    and a demo login whose e-mail was changed must neither crash it nor be undone."""
    from ribambelle.families.models import Person
    from tests.conftest import client_for

    out = open("/dev/null", "w")
    call_command("load_demo", stdout=out)
    quercy = Organisation.objects.get(slug="quercy-vert-aveyron")
    admin = User.objects.get(organisation=quercy, email="admin@quercy.example")
    response = client_for(admin).post(
        "/quercy-vert-aveyron/gestion/familles/nouvelle/",
        {
            "name": "MARTIN",
            "city": "Montauban",
            "adult_first_name": "Paul",
            "adult_last_name": "MARTIN",
            "adult_email": "paul.martin@ailleurs.example",
            "confirm_duplicate": "1",
        },
    )
    assert response.status_code == 302
    assert Family.objects.filter(organisation=quercy, name="MARTIN").count() == 2
    julie = User.objects.get(organisation=quercy, email="julie.martin@famille.example")
    julie.email = "julie.m@nouvelle-adresse.example"
    julie.save(update_fields=["email"])
    counts = [model.objects.count() for model in (Organisation, Structure, User, Family, Person)]

    call_command("load_demo", stdout=out)
    call_command("load_demo", stdout=out)

    assert [model.objects.count() for model in (Organisation, Structure, User, Family, Person)] == counts
    assert not User.objects.filter(email="julie.martin@famille.example").exists()
    julie.refresh_from_db()
    assert julie.email == "julie.m@nouvelle-adresse.example"
    second = Family.objects.get(organisation=quercy, name="MARTIN", city="Montauban")
    assert second.family_quotient is None and not Person.objects.filter(family=second, role="child").exists()


@pytest.mark.django_db
def test_demo_logins_printed_with_the_e_mail_a_user_changed():
    from io import StringIO

    call_command("load_demo", stdout=open("/dev/null", "w"))
    User.objects.filter(email="karim.roussel@famille.example").update(email="karim@ailleurs.example")
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "karim@ailleurs.example" in out.getvalue()
    assert "karim.roussel@famille.example" not in out.getvalue()


@pytest.mark.django_db
def test_demo_loaded_before_the_registry_is_adopted_not_loaded_again():
    """A database filled by an older loader (no DemoRecord yet) is complete: nothing is re-created,
    even with a second family of a demo name."""
    from ribambelle.demo.models import DemoRecord
    from ribambelle.families.models import Person

    call_command("load_demo", stdout=open("/dev/null", "w"))
    DemoRecord.objects.all().delete()
    quercy = Organisation.objects.get(slug="quercy-vert-aveyron")
    Family.objects.create(organisation=quercy, name="DUPONT", city="Albi")
    counts = [model.objects.count() for model in (User, Family, Person)]
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert [model.objects.count() for model in (User, Family, Person)] == counts
    assert DemoRecord.objects.filter(key="quercy-vert-aveyron:family:MARTIN").exists()
