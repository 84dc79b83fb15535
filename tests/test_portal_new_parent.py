"""Issue 14, items 4, 9 and 15: what a new parent tripped on in "Mes inscriptions", the planning
link after a registration, "Mes documents" and the Contact page."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.activities.services import generate_openings
from ribambelle.bookings.selectors import first_bookable_day
from ribambelle.documents.models import DocumentScope, Validity
from ribambelle.registrations import services as registration_services
from ribambelle.tenancy.models import StructureKind

from .conftest import client_for, page_text
from .factories import (
    ActivityFactory,
    DocumentTypeFactory,
    GroupFactory,
    PersonFactory,
    StructureFactory,
    UnitFactory,
)


@pytest.fixture
def parent(tenant_a):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    return client_for(tenant_a.family_user)


@pytest.fixture
def emma(tenant_a):
    born = timezone.localdate().replace(year=timezone.localdate().year - 8)
    return PersonFactory(
        organisation=tenant_a.organisation,
        family=tenant_a.family_user.family,
        first_name="Emma",
        sex="F",
        birth_date=born,
    )


def _july_activity(tenant_a, *, name="BIOULE vacances juillet 2027", days_ahead=220, deadline_days=2):
    organisation = tenant_a.organisation
    start = timezone.localdate() + timedelta(days=days_ahead)
    activity = ActivityFactory(
        organisation=organisation, name=name, start_date=start, end_date=start + timedelta(days=18)
    )
    activity.deadline_days = deadline_days
    activity.deadline_time = time(12, 0)
    activity.save()
    GroupFactory(organisation=organisation, activity=activity, name="PRIM", age_min_months=0, age_max_months=240)
    UnitFactory(organisation=organisation, activity=activity, name="Journée")
    generate_openings(activity=activity)
    return activity


# --- 4. "Effectuer les réservations des journées" opens the registration's first bookable week
def test_bookings_button_opens_the_first_bookable_week_of_the_registration(tenant_a, parent, emma):
    activity = _july_activity(tenant_a)
    registration = registration_services.request_registration(
        child=emma, activity=activity, acting_user=tenant_a.family_user
    )
    first_day = activity.openings.order_by("date").first().date
    summary = page_text(parent.get(tenant_a.url(f"inscriptions/{registration.pk}/")))
    assert f"reservations/enfant/{emma.pk}/?vue=semaine&date={first_day:%Y-%m-%d}" in summary
    planning = page_text(parent.get(tenant_a.url(f"reservations/enfant/{emma.pk}/?vue=semaine&date={first_day}")))
    assert activity.name in planning


def test_first_bookable_day_skips_days_past_their_deadline(tenant_a, emma):
    """An activity under way: its first days are past the deadline; the link opens on the next bookable one."""
    activity = _july_activity(tenant_a, name="Mercredis", days_ahead=-3, deadline_days=2)
    registration = registration_services.register_by_staff(
        child=emma, activity=activity, group=activity.groups.get(), acting_user=tenant_a.admin
    )
    now = timezone.now()
    day = first_bookable_day(registration, now=now)
    today = timezone.localdate()
    assert day > today + timedelta(days=1)  # today and tomorrow are past the 2-day notice
    assert activity.openings.filter(date=day).exists()


# --- 15. Already registered, pending request, structure-made registrations, guichet unique
def test_new_registration_says_already_registered_or_pending_instead_of_s_inscrire(tenant_a, parent, emma):
    accepted = _july_activity(tenant_a, name="BIOULE vacances juillet 2027")
    pending = _july_activity(tenant_a, name="Séjour neige")
    pending.validation_mode = "manual"
    pending.save()
    free = _july_activity(tenant_a, name="Mercredis Nègrepelisse")
    registration_services.request_registration(child=emma, activity=accepted, acting_user=tenant_a.family_user)
    registration_services.request_registration(child=emma, activity=pending, acting_user=tenant_a.family_user)
    text = page_text(parent.get(tenant_a.url(f"inscriptions/enfant/{emma.pk}/nouvelle/")))
    assert f'S\'inscrire<span class="visually-hidden"> – {free.name}' in text
    assert (
        f"– {accepted.name}</span></a>" in text
        and f'S\'inscrire<span class="visually-hidden"> – {accepted.name}' not in text
    )
    assert f'S\'inscrire<span class="visually-hidden"> – {pending.name}' not in text
    assert "Déjà inscrite" in text and "Demande en attente" in text


def test_a_multi_accueil_child_is_told_the_structure_registers_and_how_to_ask(tenant_a, parent):
    organisation = tenant_a.organisation
    baby = PersonFactory(
        organisation=organisation,
        family=tenant_a.family_user.family,
        first_name="Hugo",
        birth_date=timezone.localdate() - timedelta(days=400),
    )
    creche = StructureFactory(
        organisation=organisation,
        name="Multi-accueil de Pouilly-en-Auxois",
        kind=StructureKind.MULTI_ACCUEIL,
        email="multiaccueil@cc.example",
        phone="03 80 64 01 03",
        age_min_months=2,
        age_max_months=48,
    )
    activity = ActivityFactory(organisation=organisation, structure=creche, name="Multi-accueil 2026-2027")
    activity.staff_only = True
    activity.save()
    GroupFactory(organisation=organisation, activity=activity, age_min_months=2, age_max_months=48)
    text = page_text(parent.get(tenant_a.url(f"inscriptions/enfant/{baby.pk}/nouvelle/")))
    assert "l'inscription est faite directement par la structure" in text
    assert "Multi-accueil de Pouilly-en-Auxois" in text and "multiaccueil@cc.example" in text
    assert f"messages/nouveau/?structure={creche.pk}" in text
    assert "Pour l'accueil d'Hugo" in text and "Déjà inscrit" not in text
    registration_services.register_by_staff(
        child=baby, activity=activity, group=activity.groups.get(), acting_user=tenant_a.admin
    )
    text = page_text(parent.get(tenant_a.url(f"inscriptions/enfant/{baby.pk}/nouvelle/")))
    assert "Multi-accueil de Pouilly-en-Auxois" in text and "Déjà inscrit(e)" in text


def test_contact_page_shows_the_organisation_guidance_edited_in_the_back_office(tenant_a, parent):
    from ribambelle.backoffice.forms import OrganisationForm

    organisation = tenant_a.organisation
    assert "contact_guidance" in OrganisationForm.base_fields and "article" in OrganisationForm.base_fields
    organisation.contact_guidance = "Guichet unique\n\nMode de garde 0-6 ans : relais@cc.example"
    organisation.save()
    text = page_text(parent.get(tenant_a.url("contact/")))
    assert "À qui vous adresser" in text and "Guichet unique" in text
    assert '<a href="mailto:relais@cc.example">relais@cc.example</a>' in text


def test_demo_fills_the_guichet_unique_for_pouilly():
    from ribambelle.demo.data import POUILLY

    assert "Guichet unique" in POUILLY["contact_guidance"]
    assert "relais@ccpouillybligny.fr" in POUILLY["contact_guidance"]


# --- 9. "Mes documents" lists what the registrations require
def test_my_documents_lists_what_the_registrations_require(tenant_a, parent, emma):
    organisation = tenant_a.organisation
    DocumentTypeFactory(
        organisation=organisation,
        name="Attestation CAF (quotient familial)",
        scope=DocumentScope.FAMILY,
        validity=Validity.MONTHS,
        validity_months=12,
        is_mandatory=False,
        activity_kinds=["vacances"],
        instructions="L'attestation de quotient familial de moins de 3 mois.",
    )
    DocumentTypeFactory(
        organisation=organisation,
        name="Fiche sanitaire / PAI",
        scope=DocumentScope.CHILD,
        is_mandatory=False,
        activity_kinds=["vacances"],
        is_health=True,
    )
    before = page_text(parent.get(tenant_a.url("mes-documents/")))
    assert "Attestation CAF" not in before  # nothing registered yet: nothing asked
    activity = _july_activity(tenant_a)
    registration = registration_services.request_registration(
        child=emma, activity=activity, acting_user=tenant_a.family_user
    )
    summary = page_text(parent.get(tenant_a.url(f"inscriptions/{registration.pk}/")))
    assert "Attestation CAF" in summary and "Fiche sanitaire / PAI" in summary
    documents = page_text(parent.get(tenant_a.url("mes-documents/")))
    assert "Attestation CAF (quotient familial)" in documents and "Fiche sanitaire / PAI" in documents
    assert "valable 12 mois" not in documents and "à renouveler tous les 12 mois" in documents
    staff = page_text(client_for(tenant_a.admin).get(tenant_a.url(f"gestion/familles/{emma.family_id}/documents/")))
    assert "Attestation CAF (quotient familial)" in staff and "Fiche sanitaire / PAI" in staff
