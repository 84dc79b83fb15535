from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.communication.models import OutgoingEmail
from ribambelle.core.exceptions import DomainError
from ribambelle.registrations import services
from ribambelle.registrations.models import Registration, RegistrationStatus

from .conftest import client_for, page_text
from .factories import ActivityFactory, GroupFactory, PersonFactory, StructureFactory, UnitFactory


@pytest.fixture
def bioule(tenant_a):
    """BIOULE vacances juillet with the seed's groups; reference date = first day."""
    organisation = tenant_a.organisation
    activity = ActivityFactory(
        organisation=organisation,
        name="BIOULE vacances juillet",
        start_date=timezone.localdate() + timedelta(days=60),
        structure=StructureFactory(organisation=organisation, sector__name="Bioule"),
    )
    for position, (name, low, high) in enumerate(
        [
            ("MATER 3-4 ans", 36, 59),
            ("MATER 5-6 ans", 60, 83),
            ("PRIM 6-7 ans", 72, 95),
            ("PRIM 8-10 ans", 96, 131),
            ("PRIM 11-15 ans", 132, 191),
        ]
    ):
        GroupFactory(
            organisation=organisation,
            activity=activity,
            name=name,
            age_min_months=low,
            age_max_months=high,
            position=position,
        )
    UnitFactory(organisation=organisation, activity=activity, name="Journée")
    return activity


def _child(tenant, *, years: int, days: int = 0, on: date, user=None):
    family = (user or tenant.family_user).family
    born = on - relativedelta(years=years) - timedelta(days=days)  # 29 Feb: 28 Feb of a common year
    return PersonFactory(organisation=tenant.organisation, family=family, first_name="Léa", birth_date=born)


def test_birthday_on_the_reference_date_counts(tenant_a, bioule):
    child = _child(tenant_a, years=8, on=bioule.start_date)
    registration = services.request_registration(child=child, activity=bioule, acting_user=tenant_a.family_user)
    assert registration.group.name == "PRIM 8-10 ans" and registration.status == RegistrationStatus.ACCEPTED
    younger = _child(tenant_a, years=8, days=-1, on=bioule.start_date)  # 8 the day after
    registration = services.request_registration(child=younger, activity=bioule, acting_user=tenant_a.family_user)
    assert registration.group.name == "PRIM 6-7 ans"


def test_a_six_year_old_fitting_two_groups_must_choose(tenant_a, bioule):
    child = _child(tenant_a, years=6, days=10, on=bioule.start_date)
    with pytest.raises(DomainError, match="Choisissez un groupe"):
        services.request_registration(child=child, activity=bioule, acting_user=tenant_a.family_user)
    wrong = bioule.groups.get(name="PRIM 8-10 ans")
    with pytest.raises(DomainError, match="n'accueille pas"):
        services.request_registration(child=child, activity=bioule, group=wrong, acting_user=tenant_a.family_user)
    right = bioule.groups.get(name="MATER 5-6 ans")
    assert (
        services.request_registration(child=child, activity=bioule, group=right, acting_user=tenant_a.family_user).group
        == right
    )


def test_window_opening_in_one_minute(tenant_a, bioule):
    child = _child(tenant_a, years=9, on=bioule.start_date)
    bioule.registration_opens_at = timezone.now() + timedelta(minutes=1)
    bioule.save()
    with pytest.raises(DomainError, match="Les inscriptions ouvrent le"):
        services.request_registration(child=child, activity=bioule, acting_user=tenant_a.family_user)
    assert services.registration_window_state(bioule, now=bioule.registration_opens_at) == "open"
    assert services.registration_window_state(bioule, now=bioule.registration_opens_at - timedelta(seconds=1)) == (
        "not_yet"
    )
    bioule.registration_opens_at = timezone.now() - timedelta(seconds=1)
    bioule.save()
    assert services.request_registration(child=child, activity=bioule, acting_user=tenant_a.family_user)


def test_closed_window_is_refused(tenant_a, bioule):
    bioule.registration_closes_at = timezone.now() - timedelta(minutes=1)
    bioule.save()
    with pytest.raises(DomainError, match="closes"):
        services.request_registration(
            child=_child(tenant_a, years=9, on=bioule.start_date), activity=bioule, acting_user=tenant_a.family_user
        )


def test_a_child_registers_once_per_activity(tenant_a, bioule):
    child = _child(tenant_a, years=9, on=bioule.start_date)
    services.request_registration(child=child, activity=bioule, acting_user=tenant_a.family_user)
    with pytest.raises(DomainError, match="déjà inscrit"):
        services.request_registration(child=child, activity=bioule, acting_user=tenant_a.family_user)
    assert Registration.objects.filter(child=child).count() == 1


def test_staff_only_activity(tenant_a, bioule):
    bioule.staff_only = True
    bioule.save()
    child = _child(tenant_a, years=9, on=bioule.start_date)
    with pytest.raises(DomainError, match="faite directement par la structure"):
        services.request_registration(child=child, activity=bioule, acting_user=tenant_a.family_user)
    registration = services.register_by_staff(
        child=child, activity=bioule, group=bioule.groups.get(name="PRIM 8-10 ans"), acting_user=tenant_a.admin
    )
    assert registration.status == RegistrationStatus.ACCEPTED


def test_registration_limit_of_a_group(tenant_a, bioule):
    group = bioule.groups.get(name="PRIM 8-10 ans")
    group.registration_limit = 1
    group.save()
    services.request_registration(
        child=_child(tenant_a, years=9, on=bioule.start_date), activity=bioule, acting_user=tenant_a.family_user
    )
    with pytest.raises(DomainError, match="complet"):
        services.request_registration(
            child=_child(tenant_a, years=9, on=bioule.start_date, user=tenant_a.other_family_user),
            activity=bioule,
            acting_user=tenant_a.other_family_user,
        )


def test_manual_validation_refused_with_reason_emails_the_family(tenant_a, bioule):
    bioule.validation_mode = "manual"
    bioule.save()
    child = _child(tenant_a, years=9, on=bioule.start_date)
    registration = services.request_registration(child=child, activity=bioule, acting_user=tenant_a.family_user)
    assert registration.status == RegistrationStatus.REQUESTED
    assert OutgoingEmail.objects.filter(template="registration_received", to=tenant_a.family_user.email).exists()
    services.refuse_registration(
        registration=registration, reason="missing_documents", text="Attestation CAF", acting_user=tenant_a.admin
    )
    mail = OutgoingEmail.objects.get(template="registration_refused")
    assert "Dossier incomplet / pièces manquantes – Attestation CAF" in mail.body_text
    with pytest.raises(DomainError, match="déjà été traitée"):
        services.accept_registration(registration=registration, acting_user=tenant_a.admin)


def test_family_withdraws_a_pending_request(tenant_a, bioule):
    bioule.validation_mode = "manual"
    bioule.save()
    registration = services.request_registration(
        child=_child(tenant_a, years=9, on=bioule.start_date), activity=bioule, acting_user=tenant_a.family_user
    )
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    client = client_for(tenant_a.family_user)
    client.post(tenant_a.url(f"inscriptions/{registration.pk}/retirer/"))
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.WITHDRAWN


def test_portal_new_registration_flow(tenant_a, bioule):
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    child = _child(tenant_a, years=8, days=40, on=bioule.start_date)
    too_young = ActivityFactory(organisation=tenant_a.organisation, name="Crèche d'été")
    GroupFactory(organisation=tenant_a.organisation, activity=too_young, age_min_months=0, age_max_months=36)
    client = client_for(tenant_a.family_user)
    page = page_text(client.get(tenant_a.url(f"inscriptions/enfant/{child.pk}/nouvelle/")))
    assert "Bioule" in page and "BIOULE vacances juillet" in page and "S'inscrire" in page
    assert "Crèche d'été" not in page

    page = page_text(client.get(tenant_a.url(f"inscriptions/enfant/{child.pk}/activite/{bioule.pk}/")))
    assert "PRIM 8-10 ans" in page and "MATER 3-4 ans" not in page and "Enregistrer" in page
    response = client.post(
        tenant_a.url(f"inscriptions/enfant/{child.pk}/activite/{bioule.pk}/"),
        {"group": bioule.groups.get(name="PRIM 8-10 ans").pk},
    )
    assert response.status_code == 302
    page = page_text(client.get(response["Location"]))
    assert "inscrit" in page and "L'inscription ne suffit pas : il faut réserver des créneaux." in page
    assert OutgoingEmail.objects.filter(template="registration_accepted").exists()
    # A second attempt is refused with a clear message, nothing created.
    again = client.post(tenant_a.url(f"inscriptions/enfant/{child.pk}/activite/{bioule.pk}/"), {})
    assert again.status_code == 400 and "déjà inscrit" in page_text(again)


def test_bad_group_input_is_a_french_400(tenant_a, bioule):
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    child = _child(tenant_a, years=6, days=10, on=bioule.start_date)
    response = client_for(tenant_a.family_user).post(
        tenant_a.url(f"inscriptions/enfant/{child.pk}/activite/{bioule.pk}/"), {"group": "abc"}
    )
    assert response.status_code == 400 and "Choisissez un groupe" in page_text(response)
    assert not Registration.objects.exists()


def test_staff_queue_refuse_and_bulk_accept(tenant_a, bioule):
    bioule.validation_mode = "manual"
    bioule.save()
    first = services.request_registration(
        child=_child(tenant_a, years=9, on=bioule.start_date), activity=bioule, acting_user=tenant_a.family_user
    )
    second = services.request_registration(
        child=_child(tenant_a, years=4, on=bioule.start_date), activity=bioule, acting_user=tenant_a.family_user
    )
    client = client_for(tenant_a.admin)
    page = page_text(client.get(tenant_a.url("gestion/inscriptions/a-valider/")))
    assert page.index(first.child.first_name) < page.index("Accepter les demandes cochées")
    client.post(
        tenant_a.url(f"gestion/inscriptions/{first.pk}/decision/"),
        {"decision": "refuse", "reason": "missing_documents"},
    )
    client.post(tenant_a.url("gestion/inscriptions/accepter/"), {"registrations": [second.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == RegistrationStatus.REFUSED and second.status == RegistrationStatus.ACCEPTED
    bad = client.post(tenant_a.url(f"gestion/inscriptions/{first.pk}/decision/"), {"decision": "refuse"}, follow=True)
    assert "déjà été traitée" in page_text(bad) or "motif" in page_text(bad)


@pytest.mark.parametrize("children", [1, 6])
def test_portal_registration_pages_keep_a_constant_query_count(
    tenant_a, bioule, children, django_assert_max_num_queries
):
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    kids = [_child(tenant_a, years=3 + i, on=bioule.start_date) for i in range(children)]
    for kid in kids:
        services.register_by_staff(
            child=kid,
            activity=bioule,
            group=None if False else next(g for g in bioule.groups.all() if g.admits((3 + kids.index(kid)) * 12)),
            acting_user=tenant_a.admin,
        )
    for _ in range(children):
        other = ActivityFactory(organisation=tenant_a.organisation)
        GroupFactory(organisation=tenant_a.organisation, activity=other)
    client = client_for(tenant_a.family_user)
    with django_assert_max_num_queries(14):
        assert client.get(tenant_a.url("inscriptions/")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(tenant_a.url(f"inscriptions/enfant/{kids[0].pk}/nouvelle/")).status_code == 200
    staff = client_for(tenant_a.admin)
    with django_assert_max_num_queries(14):
        assert staff.get(tenant_a.url("gestion/inscriptions/a-valider/")).status_code == 200
    with django_assert_max_num_queries(16):
        assert staff.get(tenant_a.url(f"gestion/activites/{bioule.pk}/inscrits/")).status_code == 200


def test_missing_documents_are_shown_to_staff_and_family(tenant_a, bioule):
    from .factories import DocumentTypeFactory

    DocumentTypeFactory(
        organisation=tenant_a.organisation,
        name="Test de natation",
        scope="child",
        is_mandatory=False,
        activity_kinds=["vacances"],
    )
    bioule.validation_mode = "manual"
    bioule.save()
    child = _child(tenant_a, years=9, on=bioule.start_date)
    registration = services.request_registration(child=child, activity=bioule, acting_user=tenant_a.family_user)
    staff_page = page_text(client_for(tenant_a.admin).get(tenant_a.url("gestion/inscriptions/a-valider/")))
    assert "Pièces manquantes" in staff_page and "Test de natation" in staff_page
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    family_page = page_text(client_for(tenant_a.family_user).get(tenant_a.url(f"inscriptions/{registration.pk}/")))
    assert "Documents à fournir pour cette activité" in family_page and "Test de natation" in family_page


def test_dashboard_tiles_summarise_what_waits(tenant_a, bioule):
    bioule.validation_mode = "manual"
    bioule.save()
    services.request_registration(
        child=_child(tenant_a, years=9, on=bioule.start_date), activity=bioule, acting_user=tenant_a.family_user
    )
    record_consents(user=tenant_a.family_user, personal=True, health=False)
    page = page_text(client_for(tenant_a.family_user).get(tenant_a.url()))
    assert "1 demande en attente" in page and "Aucune journée réservée à venir" in page


def test_registered_families_are_in_their_structures_audience(tenant_a, bioule):
    from ribambelle.communication.audience import family_ids_for_structures, structure_ids_for_family

    child = _child(tenant_a, years=9, on=bioule.start_date)
    services.request_registration(child=child, activity=bioule, acting_user=tenant_a.family_user)
    family = tenant_a.family_user.family
    assert family.pk in family_ids_for_structures(tenant_a.organisation, [bioule.structure_id])
    assert bioule.structure_id in structure_ids_for_family(family)
    assert tenant_a.other_family_user.family_id not in family_ids_for_structures(
        tenant_a.organisation, [bioule.structure_id]
    )


def test_mass_email_to_the_families_of_an_activity_group(tenant_a, tenant_b, bioule):
    from ribambelle.communication.mailing import send_mass_mailing

    group = bioule.groups.get(name="PRIM 8-10 ans")
    child = _child(tenant_a, years=9, on=bioule.start_date)
    services.request_registration(child=child, activity=bioule, acting_user=tenant_a.family_user)
    _child(tenant_a, years=9, on=bioule.start_date, user=tenant_a.other_family_user)  # not registered
    mailing = send_mass_mailing(
        organisation=tenant_a.organisation,
        subject="Sortie piscine",
        body="Prévoir un maillot",
        scope="groups",
        structures=[],
        groups=[group],
        essential=False,
        acting_user=tenant_a.admin,
    )
    recipients = set(mailing.recipients.values_list("family_id", flat=True))
    assert recipients == {tenant_a.family_user.family_id}
    foreign_group = GroupFactory(organisation=tenant_b.organisation)
    with pytest.raises(DomainError):
        send_mass_mailing(
            organisation=tenant_a.organisation,
            subject="x",
            body="y",
            scope="groups",
            structures=[],
            groups=[foreign_group],
            essential=False,
            acting_user=tenant_a.admin,
        )
