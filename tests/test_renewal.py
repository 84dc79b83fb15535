"""Renewal without paper: "Réinscrire pour l'année prochaine" (issue 22), clock frozen in June."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ribambelle.accounts.consent import record_consents
from ribambelle.activities.models import Activity
from ribambelle.activities.services import duplicate_activity
from ribambelle.documents.models import DocumentScope, SubmissionStatus, Validity
from ribambelle.outbox.models import OutgoingEmail
from ribambelle.registrations.models import Registration, RegistrationStatus
from ribambelle.renewals.models import Renewal, RenewedRegistration
from ribambelle.renewals.selectors import renewal_offer

from .conftest import client_for, page_text
from .factories import (
    ActivityFactory,
    DocumentTypeFactory,
    GroupFactory,
    HealthRecordFactory,
    PersonFactory,
    RegistrationFactory,
    SubmittedDocumentFactory,
    UnitFactory,
    VaccinationFactory,
)

PARIS = ZoneInfo("Europe/Paris")
JUNE = datetime(2027, 6, 15, 10, 0, tzinfo=PARIS)


@pytest.fixture
def june():
    with time_machine.travel(JUNE, tick=False):
        yield


def _activity(organisation, name, *, validation="automatic", kind="mercredis"):
    activity = ActivityFactory(
        organisation=organisation,
        name=name,
        kind=kind,
        start_date=date(2026, 9, 2),
        end_date=date(2027, 7, 7),
        weekdays=0b0000100,
        registration_opens_at=datetime(2026, 6, 1, 8, 0, tzinfo=PARIS),
        validation_mode=validation,
    )
    GroupFactory(organisation=organisation, activity=activity, name="MATER", age_min_months=36, age_max_months=71)
    GroupFactory(
        organisation=organisation, activity=activity, name="PRIM", age_min_months=72, age_max_months=143, position=1
    )
    UnitFactory(organisation=organisation, activity=activity, name="Journée")
    return activity


def _world(tenant, *, children: int = 2):
    """This school year (2026/27): Léa (9) and Tom (6 in May 2027, so MATER this year, PRIM next
    year) on Wednesdays, Léa on the périscolaire (validated by staff); both duplicated for 2027/28,
    plus a look-alike "Mercredis 2027-2028" made by hand that is no one's equivalent."""
    organisation = tenant.organisation
    family = tenant.family_user.family
    record_consents(user=tenant.family_user, personal=True, health=True)
    wednesdays = _activity(organisation, "Mercredis 2026-2027")
    after_school = _activity(organisation, "Périscolaire 2026-2027", validation="manual", kind="periscolaire")
    kids = [
        PersonFactory(organisation=organisation, family=family, first_name="Léa", birth_date=date(2018, 3, 10)),
        PersonFactory(organisation=organisation, family=family, first_name="Tom", birth_date=date(2021, 5, 2)),
    ]
    for i in range(children - 2):
        kids.append(
            PersonFactory(organisation=organisation, family=family, first_name=f"Zoé{i}", birth_date=date(2017, 1, 1))
        )
    for child in kids:
        group = wednesdays.groups.get(name="MATER" if child.first_name == "Tom" else "PRIM")
        RegistrationFactory(organisation=organisation, family=family, child=child, group=group)
    RegistrationFactory(
        organisation=organisation,
        family=family,
        child=kids[0],
        group=after_school.groups.get(name="PRIM"),
        status=RegistrationStatus.REQUESTED,
    )
    with time_machine.travel(datetime(2027, 3, 1, 9, 0, tzinfo=PARIS), tick=False):
        next_wednesdays = duplicate_activity(
            activity=wednesdays, start_date=date(2027, 9, 1), name="Mercredis 2027-2028", acting_user=tenant.admin
        )
        next_after_school = duplicate_activity(
            activity=after_school,
            start_date=date(2027, 9, 1),
            name="Périscolaire 2027-2028",
            acting_user=tenant.admin,
        )
    decoy = _activity(organisation, "Mercredis 2027-2028")
    Activity.objects.filter(pk=decoy.pk).update(start_date=date(2027, 9, 1), end_date=date(2028, 7, 5))
    return {
        "family": family,
        "lea": kids[0],
        "tom": kids[1],
        "kids": kids,
        "wednesdays": next_wednesdays,
        "after_school": next_after_school,
        "decoy": decoy,
    }


def _all_ticked(world) -> dict:
    choices = [f"{child.pk}-{world['wednesdays'].pk}" for child in world["kids"]]
    choices.append(f"{world['lea'].pk}-{world['after_school'].pk}")
    return {"choix": choices}


def test_duplicate_activity_records_its_source(tenant_a, june):
    world = _world(tenant_a)
    assert world["wednesdays"].previous_activity.name == "Mercredis 2026-2027"
    assert world["decoy"].previous_activity is None


def test_next_year_equivalents_are_the_duplicated_activities_and_groups_follow_the_age(tenant_a, june):
    world = _world(tenant_a)
    offer = renewal_offer(world["family"], include_health=True)
    by_child = {c.child.first_name: [(i.activity.pk, i.group.name, i.state) for i in c.items] for c in offer.children}
    assert by_child == {
        "Léa": [(world["wednesdays"].pk, "PRIM", "open"), (world["after_school"].pk, "PRIM", "open")],
        # MATER this year, 6 on 1 September: PRIM next year.
        "Tom": [(world["wednesdays"].pk, "PRIM", "open")],
    }
    assert world["decoy"].pk not in {item.activity.pk for item in offer.items}
    assert offer.school_year == date(2027, 9, 1)


def test_valid_documents_are_carried_over_and_what_expires_is_listed(tenant_a, june):
    world = _world(tenant_a)
    organisation, family, lea = tenant_a.organisation, world["family"], world["lea"]
    insurance = DocumentTypeFactory(organisation=organisation, name="Assurance", validity=Validity.SCHOOL_YEAR)
    vaccines = DocumentTypeFactory(
        organisation=organisation,
        name="Carnet de vaccination",
        scope=DocumentScope.CHILD,
        validity=Validity.MONTHS,
        validity_months=36,
    )
    caf = DocumentTypeFactory(
        organisation=organisation, name="Attestation CAF", validity=Validity.MONTHS, validity_months=12
    )
    accepted = {"status": SubmissionStatus.ACCEPTED, "organisation": organisation, "family": family}
    SubmittedDocumentFactory(document_type=insurance, period_start=date(2026, 9, 1), **accepted)
    for child in world["kids"]:
        SubmittedDocumentFactory(
            document_type=vaccines, person=child, period_start=None, expires_on=date(2029, 5, 1), **accepted
        )
    SubmittedDocumentFactory(document_type=caf, period_start=None, expires_on=date(2027, 8, 1), **accepted)
    family.family_quotient, family.family_quotient_date = 650, date(2026, 6, 1)
    family.save()
    HealthRecordFactory(organisation=organisation, family=family, child=lea)  # updated today: confirmed
    VaccinationFactory(organisation=organisation, family=family, child=lea)

    offer = renewal_offer(family, include_health=True)

    carried = sorted((doc.document_type.name, getattr(doc.person, "first_name", "")) for doc in offer.carried_over)
    assert carried == [("Carnet de vaccination", "Léa"), ("Carnet de vaccination", "Tom")]
    labels = [update.label for update in offer.to_update]
    assert any(label.startswith("Assurance 27/28") for label in labels)  # this year's paper is for 26/27
    assert any(label.startswith("Attestation CAF") for label in labels)  # expires on 1 August
    assert "Quotient familial" in labels  # dated June 2026, valid 12 months: stale on 1 September
    assert "Vaccinations de Tom" in labels and "Vaccinations de Léa" not in labels
    assert "Fiche sanitaire de Tom" in labels and "Fiche sanitaire de Léa" not in labels

    response = client_for(tenant_a.family_user).get(tenant_a.url("inscriptions/reinscription/"))
    text = page_text(response)
    assert response.status_code == 200
    assert "Documents conservés" in text and "Carnet de vaccination" in text
    assert f"/{organisation.slug}/ma-famille/enfants/{world['tom'].pk}/sante/" in text


def test_one_confirmation_registers_every_child_with_one_summary_email(tenant_a, june):
    world = _world(tenant_a)
    client = client_for(tenant_a.family_user)
    emails_before = OutgoingEmail.objects.count()
    response = client.post(tenant_a.url("inscriptions/reinscription/"), _all_ticked(world))
    assert response.status_code == 302
    renewal = Renewal.objects.get()
    assert response["Location"] == tenant_a.url(f"inscriptions/reinscription/{renewal.pk}/")
    created = {
        (r.child.first_name, r.activity.name, r.group.name, r.status)
        for r in Registration.objects.filter(activity__start_date__gte=date(2027, 9, 1))
    }
    assert created == {
        ("Léa", "Mercredis 2027-2028", "PRIM", RegistrationStatus.ACCEPTED),
        ("Tom", "Mercredis 2027-2028", "PRIM", RegistrationStatus.ACCEPTED),
        ("Léa", "Périscolaire 2027-2028", "PRIM", RegistrationStatus.REQUESTED),  # the activity's own rule
    }
    assert RenewedRegistration.objects.filter(renewal=renewal).count() == 3
    emails = list(OutgoingEmail.objects.all()[: OutgoingEmail.objects.count() - emails_before])
    assert [e.template for e in emails] == ["renewal_confirmed"]
    assert emails[0].subject == "Réinscription pour l'année 2027/2028 enregistrée : Léa, Tom"
    assert "Tom : « Mercredis 2027-2028 » (groupe PRIM" in emails[0].body_text
    assert "demande en attente de validation par le service" in emails[0].body_text
    receipt = page_text(client.get(response["Location"]))
    assert "Récapitulatif de la réinscription" in receipt and "Tom – Mercredis 2027-2028" in receipt


def test_an_unticked_choice_is_not_renewed(tenant_a, june):
    world = _world(tenant_a)
    data = {"choix": [f"{world['lea'].pk}-{world['wednesdays'].pk}"]}
    assert client_for(tenant_a.family_user).post(tenant_a.url("inscriptions/reinscription/"), data).status_code == 302
    assert list(Registration.objects.filter(activity__in=[world["wednesdays"], world["after_school"]])) == [
        Registration.objects.get(child=world["lea"], activity=world["wednesdays"])
    ]


def test_nothing_ticked_is_a_clear_message(tenant_a, june):
    _world(tenant_a)
    response = client_for(tenant_a.family_user).post(tenant_a.url("inscriptions/reinscription/"), {})
    assert response.status_code == 400
    assert "Cochez au moins une activité" in page_text(response)
    assert not Renewal.objects.exists()


def test_submitting_twice_changes_nothing(tenant_a, june):
    world = _world(tenant_a)
    client = client_for(tenant_a.family_user)
    first = client.post(tenant_a.url("inscriptions/reinscription/"), _all_ticked(world))
    registrations = list(Registration.objects.order_by("pk").values_list("pk", "status", "group_id"))
    emails = OutgoingEmail.objects.count()
    second = client.post(tenant_a.url("inscriptions/reinscription/"), _all_ticked(world))
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert list(Registration.objects.order_by("pk").values_list("pk", "status", "group_id")) == registrations
    assert Renewal.objects.count() == 1 and OutgoingEmail.objects.count() == emails
    page = page_text(client.get(tenant_a.url("inscriptions/reinscription/")))
    assert "Déjà demandé pour l'année prochaine" in page and "Réinscription envoyée le" in page


def test_a_child_of_another_family_answers_404_and_nothing_is_created(tenant_a, tenant_b, june):
    world = _world(tenant_a)
    neighbour = PersonFactory(organisation=tenant_a.organisation, family=tenant_a.other_family_user.family)
    RegistrationFactory(
        organisation=tenant_a.organisation,
        family=neighbour.family,
        child=neighbour,
        group=world["wednesdays"].previous_activity.groups.get(name="PRIM"),
    )
    stranger = PersonFactory(organisation=tenant_b.organisation)
    client = client_for(tenant_a.family_user)
    url = tenant_a.url("inscriptions/reinscription/")
    for child in (neighbour, stranger):
        data = _all_ticked(world)
        data["choix"].append(f"{child.pk}-{world['wednesdays'].pk}")
        assert client.post(url, data).status_code == 404
    # An activity that is no equivalent of the child's registrations (the look-alike), or garbage.
    for value in (f"{world['lea'].pk}-{world['decoy'].pk}", "abc", f"{world['lea'].pk}-99999999"):
        assert client.post(url, {"choix": [value]}).status_code == 404
    assert not Registration.objects.filter(activity__start_date__gte=date(2027, 9, 1)).exists()
    assert not Renewal.objects.exists()


def test_the_receipt_of_another_family_answers_404(tenant_a, june):
    world = _world(tenant_a)
    client_for(tenant_a.family_user).post(tenant_a.url("inscriptions/reinscription/"), _all_ticked(world))
    renewal = Renewal.objects.get()
    url = tenant_a.url(f"inscriptions/reinscription/{renewal.pk}/")
    record_consents(user=tenant_a.other_family_user, personal=True, health=True)
    assert client_for(tenant_a.other_family_user).get(url).status_code == 404
    assert client_for(tenant_a.family_user).get(url).status_code == 200


def test_a_refused_choice_leaves_every_child_as_it_was(tenant_a, june):
    world = _world(tenant_a)
    world["after_school"].groups.filter(name="PRIM").update(registration_limit=0)
    response = client_for(tenant_a.family_user).post(tenant_a.url("inscriptions/reinscription/"), _all_ticked(world))
    assert response.status_code == 400
    assert "Léa, « Périscolaire 2027-2028 » : Le groupe « PRIM » est complet." in page_text(response)
    assert not Registration.objects.filter(activity__start_date__gte=date(2027, 9, 1)).exists()
    assert not Renewal.objects.exists() and not OutgoingEmail.objects.filter(template="renewal_confirmed").exists()


def test_the_dashboard_calls_for_renewal_only_while_next_year_windows_are_open(tenant_a):
    with time_machine.travel(JUNE, tick=False):
        _world(tenant_a)
        client = client_for(tenant_a.family_user)
        assert "Réinscrire pour l'année prochaine" in page_text(client.get(tenant_a.url("")))
    # The duplicated windows open on 31 May 2027 (a year after this year's, to the weekday).
    with time_machine.travel(datetime(2027, 4, 15, 10, 0, tzinfo=PARIS), tick=False):
        assert "Réinscrire pour l'année prochaine" not in page_text(client.get(tenant_a.url("")))
        page = page_text(client.get(tenant_a.url("inscriptions/reinscription/")))
        assert "Inscriptions à partir du" in page and 'name="choix"' not in page


def test_the_renewal_page_costs_the_same_queries_for_more_children(tenant_a, tenant_b, django_assert_num_queries):
    counts = []
    with time_machine.travel(JUNE, tick=False):
        for tenant, children in ((tenant_a, 2), (tenant_b, 4)):
            _world(tenant, children=children)
            client = client_for(tenant.family_user)
            url = tenant.url("inscriptions/reinscription/")
            assert client.get(url).status_code == 200
            # A fixed number whatever the number of children and activities (not one per row).
            with django_assert_num_queries(14) as captured:  # the consent comes with the login
                assert client.get(url).status_code == 200
            counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]
