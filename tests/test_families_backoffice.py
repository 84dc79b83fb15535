"""Staff side of the family file: list and search, the file, moderation, health access, GDPR."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from ribambelle.accounts.models import User
from ribambelle.communication.models import OutgoingEmail
from ribambelle.core.models import AuditEntry
from ribambelle.families.models import ChangeRequest, Family, HealthRecord, Person
from ribambelle.families.search import fold
from ribambelle.tenancy.roles import Role

from .conftest import client_for, page_text
from .factories import (
    AuthorisedPersonFactory,
    ChangeRequestFactory,
    DietFactory,
    FamilyFactory,
    FamilyUserFactory,
    HealthRecordFactory,
    MembershipFactory,
    PersonFactory,
)


def test_fold_removes_accents_and_case():
    assert fold("Léa  DUPONT-Hervé") == "lea dupont-herve"
    assert fold("Œdipe Ærø") == "oedipe aero"


@pytest.mark.parametrize(
    "query",
    ["hervé", "HERVE", "Noémie", "noemie", "ZOE.Herve@exemple.fr", "06 12 34 56 78", "+33 6 12 34 56 78", "0612"],
)
def test_search_by_family_name_child_email_or_phone_ignoring_accents_and_case(tenant_a, query):
    family = FamilyFactory(organisation=tenant_a.organisation, name="HERVÉ")
    PersonFactory(organisation=tenant_a.organisation, family=family, first_name="Noémie")
    PersonFactory(
        organisation=tenant_a.organisation,
        family=family,
        role="adult",
        first_name="Zoé",
        email="zoe.herve@exemple.fr",
        phone="06.12.34.56.78",
    )
    FamilyFactory(organisation=tenant_a.organisation, name="MARTIN")
    response = client_for(tenant_a.agent).get(tenant_a.url("gestion/familles/"), {"q": query})
    text = page_text(response)
    assert response.status_code == 200
    assert "HERVÉ" in text and "MARTIN" not in text


def test_search_runs_on_the_database_in_use(tenant_a):
    """Same result on SQLite and PostgreSQL: the folding happens in Python, not in SQL."""
    family = FamilyFactory(organisation=tenant_a.organisation, name="ÉTIENNE")
    PersonFactory(organisation=tenant_a.organisation, family=family, first_name="Loïc")
    from ribambelle.families.selectors import families_for_staff

    assert list(families_for_staff(tenant_a.agent.membership, search="loic etienne")) == [family]
    assert list(families_for_staff(tenant_a.agent.membership, search="LOÏC")) == [family]
    assert list(families_for_staff(tenant_a.agent.membership, search="lo_c")) == []  # LIKE wildcards are escaped
    assert connection.vendor in {"sqlite", "postgresql"}


def test_search_text_follows_member_changes(tenant_a):
    family = FamilyFactory(organisation=tenant_a.organisation, name="BOBLET")
    child = PersonFactory(organisation=tenant_a.organisation, family=family, first_name="Jules")
    family.refresh_from_db()
    assert " jules " in family.search_text
    child.first_name = "Léon"
    child.save()
    family.refresh_from_db()
    assert " leon " in family.search_text and "jules" not in family.search_text


def test_filters_account_and_pending(tenant_a):
    active = tenant_a.family_user.family
    quiet = FamilyFactory(organisation=tenant_a.organisation, name="SANSCOMPTE")
    ChangeRequestFactory(organisation=tenant_a.organisation, family=quiet)
    client = client_for(tenant_a.admin)
    text = page_text(client.get(tenant_a.url("gestion/familles/"), {"compte": "active"}))
    assert active.name in text and "SANSCOMPTE" not in text
    text = page_text(client.get(tenant_a.url("gestion/familles/"), {"en_attente": "1"}))
    assert "SANSCOMPTE" in text and active.name not in text
    text = page_text(client.get(tenant_a.url("gestion/familles/"), {"compte": "inactive"}))
    assert "SANSCOMPTE" in text and active.name not in text


def _populate(organisation, families: int):
    diet = DietFactory(organisation=organisation, name=f"Végétarien {families}")
    for _ in range(families):
        family = FamilyFactory(organisation=organisation)
        FamilyUserFactory(organisation=organisation, family=family)
        PersonFactory(organisation=organisation, family=family, role="adult")
        for _child in range(2):
            child = PersonFactory(organisation=organisation, family=family)
            child.diets.add(diet, through_defaults={"organisation": organisation})
            AuthorisedPersonFactory(organisation=organisation, family=family, child=child)
        ChangeRequestFactory(organisation=organisation, family=family)


@pytest.mark.parametrize("size", [2, 12])
def test_family_list_query_count_does_not_grow(tenant_a, size, django_assert_max_num_queries):
    _populate(tenant_a.organisation, size)
    client = client_for(tenant_a.admin)
    with django_assert_max_num_queries(13):
        response = client.get(tenant_a.url("gestion/familles/"), {"q": "famille"})
    assert response.status_code == 200
    assert page_text(response).count("en attente") >= size


@pytest.mark.parametrize("size", [1, 6])
def test_family_file_query_count_does_not_grow(tenant_a, size, django_assert_max_num_queries):
    organisation = tenant_a.organisation
    family = FamilyFactory(organisation=organisation)
    diets = [DietFactory(organisation=organisation) for _ in range(3)]
    for _ in range(size):
        PersonFactory(organisation=organisation, family=family, role="adult")
        child = PersonFactory(organisation=organisation, family=family)
        for diet in diets:
            child.diets.add(diet, through_defaults={"organisation": organisation})
        AuthorisedPersonFactory(organisation=organisation, family=family, child=child)
        AuthorisedPersonFactory(organisation=organisation, family=family, child=child)
        ChangeRequestFactory(organisation=organisation, family=family, requested_by=tenant_a.family_user)
        ChangeRequestFactory(organisation=organisation, family=family, status="applied")
    client = client_for(tenant_a.admin)
    with django_assert_max_num_queries(19):
        response = client.get(tenant_a.url(f"gestion/familles/{family.pk}/"))
    assert response.status_code == 200


def test_portal_family_page_query_count_does_not_grow(tenant_a, django_assert_max_num_queries):
    from ribambelle.accounts.consent import record_consents

    user = tenant_a.family_user
    record_consents(user=user, personal=True, health=True)
    organisation = tenant_a.organisation

    def add(n):
        for _ in range(n):
            child = PersonFactory(organisation=organisation, family=user.family)
            child.diets.add(DietFactory(organisation=organisation), through_defaults={"organisation": organisation})
            AuthorisedPersonFactory(organisation=organisation, family=user.family, child=child)
            HealthRecordFactory(organisation=organisation, family=user.family, child=child)
            ChangeRequestFactory(organisation=organisation, family=user.family)

    client = client_for(user)
    add(1)
    with django_assert_max_num_queries(20) as small:
        client.get(tenant_a.url("ma-famille/"))
    add(6)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(tenant_a.url("ma-famille/")).status_code == 200


def test_staff_create_family_then_edit_quotient_with_history(tenant_a):
    client = client_for(tenant_a.admin)
    response = client.post(
        tenant_a.url("gestion/familles/nouvelle/"),
        {
            "name": "GARNIER",
            "city": "Bioule",
            "adult_first_name": "Élodie",
            "adult_last_name": "GARNIER",
            "adult_email": "elodie@exemple.fr",
        },
    )
    family = Family.objects.get(organisation=tenant_a.organisation, name="GARNIER")
    assert response.status_code == 302
    data = {
        "name": "GARNIER",
        "city": "Bioule",
        "family_quotient": "820",
        "family_quotient_date": "2026-01-15",
        "family_quotient_source": "caf",
        "allocataire_number": "1234567",
        "address_line": "4 rue des Tilleuls",
    }
    response = client.post(tenant_a.url(f"gestion/familles/{family.pk}/modifier/"), data)
    assert response.status_code == 302
    family.refresh_from_db()
    assert family.family_quotient == 820 and family.address_line == "4 rue des Tilleuls"  # staff: no moderation
    history = page_text(client.get(tenant_a.url(f"gestion/familles/{family.pk}/modifications/")))
    assert "Quotient familial : — → <strong>820</strong>" in history and "Appliquée" in history
    assert AuditEntry.objects.filter(object_type="families.family", object_id=str(family.pk), action="update").exists()


def test_moderation_queue_accept_and_refuse_through_the_views(tenant_a):
    family = tenant_a.family_user.family
    first = ChangeRequestFactory(organisation=tenant_a.organisation, family=family, requested_by=tenant_a.family_user)
    second = ChangeRequestFactory(organisation=tenant_a.organisation, family=family, requested_by=tenant_a.family_user)
    director = MembershipFactory(organisation=tenant_a.organisation, role=Role.DIRECTOR).user
    client = client_for(director)
    queue = page_text(client.get(tenant_a.url("gestion/moderation/")))
    assert "2 demandes en attente" in queue and "Montauban" in queue
    response = client.post(tenant_a.url(f"gestion/moderation/{second.pk}/"), {"decision": "refuse", "reason": ""})
    assert response.status_code == 400 and "Indiquez le motif du refus" in page_text(response)
    client.post(tenant_a.url(f"gestion/moderation/{first.pk}/"), {"decision": "accept"})
    client.post(tenant_a.url(f"gestion/moderation/{second.pk}/"), {"decision": "refuse", "reason": "Doublon"})
    family.refresh_from_db()
    assert family.city == "Montauban"
    assert set(OutgoingEmail.objects.values_list("template", flat=True)) == {"change_accepted", "change_refused"}
    response = client.post(tenant_a.url(f"gestion/moderation/{first.pk}/"), {"decision": "accept"})
    assert response.status_code == 400 and "déjà été traitée" in page_text(response)


def test_agent_cannot_moderate_and_finance_cannot_see_health(tenant_a):
    child = PersonFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    cr = ChangeRequestFactory(organisation=tenant_a.organisation, family=child.family)
    assert (
        client_for(tenant_a.agent)
        .post(tenant_a.url(f"gestion/moderation/{cr.pk}/"), {"decision": "accept"})
        .status_code
        == 403
    )
    finance = MembershipFactory(organisation=tenant_a.organisation, role=Role.FINANCE).user
    assert client_for(finance).get(tenant_a.url(f"gestion/familles/enfants/{child.pk}/sante/")).status_code == 403
    text = page_text(client_for(finance).get(tenant_a.url(f"gestion/familles/{child.family_id}/")))
    assert "Informations de santé" not in text


def test_each_staff_opening_of_health_data_is_logged(tenant_a):
    child = PersonFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family, first_name="Léa")
    HealthRecordFactory(organisation=tenant_a.organisation, family=child.family, child=child)
    client = client_for(tenant_a.agent)
    for _ in range(2):
        response = client.get(tenant_a.url(f"gestion/familles/enfants/{child.pk}/sante/"))
        assert "Arachide" in page_text(response)
    entries = AuditEntry.objects.filter(action="health_view", object_id=str(child.pk), actor=tenant_a.agent)
    assert entries.count() == 2


def test_staff_erasure_removes_family_members_logins_and_health(tenant_a):
    family = tenant_a.family_user.family
    child = PersonFactory(organisation=tenant_a.organisation, family=family)
    HealthRecordFactory(organisation=tenant_a.organisation, family=family, child=child)
    client = client_for(tenant_a.admin)
    response = client.post(
        tenant_a.url(f"gestion/familles/{family.pk}/effacer/"), {"confirm_name": "autre", "reason": "x"}
    )
    assert response.status_code == 400 and Family.objects.filter(pk=family.pk).exists()
    response = client.post(
        tenant_a.url(f"gestion/familles/{family.pk}/effacer/"),
        {"confirm_name": family.name, "reason": "Demande écrite"},
    )
    assert response.status_code == 302
    assert not Family.objects.filter(pk=family.pk).exists()
    assert not Person.objects.filter(pk=child.pk).exists() and not HealthRecord.objects.exists()
    assert not User.objects.filter(pk=tenant_a.family_user.pk).exists()
    entry = AuditEntry.objects.get(action="erase")
    assert family.name not in entry.object_repr and entry.changes["reason"] == "Demande écrite"
    # Directors may not erase.
    director = MembershipFactory(organisation=tenant_a.organisation, role=Role.DIRECTOR).user
    other = tenant_a.other_family_user.family
    assert client_for(director).get(tenant_a.url(f"gestion/familles/{other.pk}/effacer/")).status_code == 403


def test_erase_inactive_families_is_a_dry_run_by_default(tenant_a):
    old = FamilyFactory(organisation=tenant_a.organisation, name="ANCIENNE")
    Family.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=6 * 366))
    recent = tenant_a.family_user.family
    out = io.StringIO()
    call_command("erase_inactive_families", stdout=out)
    assert "ANCIENNE" in out.getvalue() and recent.name not in out.getvalue()
    assert Family.objects.filter(pk=old.pk).exists()
    call_command("erase_inactive_families", "--appliquer", stdout=io.StringIO())
    assert not Family.objects.filter(pk=old.pk).exists() and Family.objects.filter(pk=recent.pk).exists()


def test_settings_page_sets_moderated_fields_and_diets(tenant_a):
    client = client_for(tenant_a.admin)
    response = client.post(
        tenant_a.url("gestion/familles/reglages/"),
        {"moderated": ["family.address", "child.add"], "diets": "Sans porc\nVégétarien\nsans porc\n"},
    )
    assert response.status_code == 302
    from ribambelle.families.models import Diet
    from ribambelle.families.selectors import moderated_keys

    assert moderated_keys(tenant_a.organisation) == {"family.address", "child.add"}
    assert sorted(Diet.objects.filter(organisation=tenant_a.organisation).values_list("name", flat=True)) == [
        "Sans porc",
        "Végétarien",
    ]
    client.post(tenant_a.url("gestion/familles/reglages/"), {"moderated": [], "diets": "Végétarien"})
    assert Diet.objects.get(name="Sans porc").is_active is False


def test_back_office_pages_render(tenant_a):
    family = tenant_a.family_user.family
    child = PersonFactory(organisation=tenant_a.organisation, family=family)
    authorised = AuthorisedPersonFactory(organisation=tenant_a.organisation, family=family, child=child)
    cr = ChangeRequestFactory(organisation=tenant_a.organisation, family=family)
    client = client_for(tenant_a.admin)
    for path in [
        "gestion/familles/",
        "gestion/familles/nouvelle/",
        "gestion/familles/import/",
        "gestion/familles/reglages/",
        f"gestion/familles/{family.pk}/",
        f"gestion/familles/{family.pk}/modifier/",
        f"gestion/familles/{family.pk}/membres/ajouter/",
        f"gestion/familles/{family.pk}/membres/ajouter/?role=adult",
        f"gestion/familles/{family.pk}/modifications/",
        f"gestion/familles/{family.pk}/effacer/",
        f"gestion/familles/membres/{child.pk}/",
        f"gestion/familles/enfants/{child.pk}/sante/",
        f"gestion/familles/enfants/{child.pk}/personnes-autorisees/ajouter/",
        f"gestion/familles/personnes-autorisees/{authorised.pk}/",
        "gestion/moderation/",
        f"gestion/moderation/{cr.pk}/",
    ]:
        assert client.get(tenant_a.url(path)).status_code == 200, path
    assert ChangeRequest.objects.filter(pk=cr.pk, status="pending").exists()


def test_creating_a_family_that_exists_warns_and_offers_the_existing_file(tenant_a):
    """Same name and a shared adult e-mail (or birth date): the form offers the existing file,
    creates nothing, and "Créer quand même" still creates a second one."""
    organisation = tenant_a.organisation
    existing = FamilyFactory(organisation=organisation, name="MARTIN", city="Bioule")
    PersonFactory(
        organisation=organisation, family=existing, role="adult", email="julie@exemple.fr", birth_date=date(1988, 3, 4)
    )
    client = client_for(tenant_a.admin)
    url = tenant_a.url("gestion/familles/nouvelle/")
    data = {"name": "Martin", "city": "Bioule", "adult_first_name": "Julie", "adult_last_name": "MARTIN"}

    for shared in ({"adult_email": "JULIE@exemple.fr"}, {"adult_birth_date": "1988-03-04"}):
        response = client.post(url, {**data, **shared})
        assert response.status_code == 200
        text = page_text(response)
        assert "Cette famille existe peut-être déjà" in text and "Créer quand même" in text
        assert f'href="/{organisation.slug}/gestion/familles/{existing.pk}/"' in response.content.decode()
        assert Family.objects.filter(organisation=organisation, name__iexact="martin").count() == 1

    # Another MARTIN sharing nothing is created at once; "Créer quand même" creates the duplicate.
    assert client.post(url, {**data, "adult_email": "autre@exemple.fr"}).status_code == 302
    response = client.post(url, {**data, "adult_email": "julie@exemple.fr", "confirm_duplicate": "1"})
    assert response.status_code == 302
    assert Family.objects.filter(organisation=organisation, name__iexact="martin").count() == 3
