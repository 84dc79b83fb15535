"""Page costs: database connections kept across requests, and exact query counts of the main
pages that do not grow with the data or the period shown (bench/pages.py measures their time)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client, RequestFactory
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.activities.models import Opening
from ribambelle.activities.services import generate_openings
from ribambelle.bookings.services import BookingChange, save_bookings

from .conftest import client_for
from .factories import (
    ActivityFactory,
    FamilyFactory,
    GroupFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    MessageThreadFactory,
    PersonFactory,
    RegistrationFactory,
    UnitFactory,
)


def _serve(path: str) -> int:
    """One request through the real WSGI handler, which (unlike the test client) closes or keeps
    the database connection at the end of the request as a server would."""
    handler = WSGIHandler()
    response = handler(RequestFactory().get(path).environ, lambda status, headers: None)
    response.close()  # sends request_finished
    return response.status_code


@pytest.mark.django_db(transaction=True)
def test_the_database_connection_stays_open_across_requests():
    assert _serve("/healthz") == 200
    first = connection.connection
    assert first is not None
    assert _serve("/healthz") == 200
    assert connection.connection is first
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode")
            assert cursor.fetchone()[0] == "wal"


# --- Exact query counts of the main pages, the same for a little data and for more -------------
def _world(tenant, size: int) -> dict:
    """`size` children of the parent's family registered to `size` activities of five weeks with
    two units each, some days booked; `size` invoices and payments; `size` other families; a
    change request, a message and a document waiting in the staff queues."""
    organisation = tenant.organisation
    family = tenant.family_user.family
    record_consents(user=tenant.family_user, personal=True, health=True)
    start = timezone.localdate() + timedelta(days=7)
    start -= timedelta(days=start.weekday())
    activities = []
    for i in range(size):
        activity = ActivityFactory(organisation=organisation, start_date=start, end_date=start + timedelta(days=34))
        group = GroupFactory(organisation=organisation, activity=activity)
        UnitFactory(organisation=organisation, activity=activity, name="Journée")
        UnitFactory(organisation=organisation, activity=activity, name="Matin", position=1)
        generate_openings(activity=activity)
        child = PersonFactory(organisation=organisation, family=family, first_name=f"Enfant {i}")
        RegistrationFactory(organisation=organisation, family=family, child=child, group=group)
        openings = Opening.objects.filter(activity=activity).order_by("date", "unit__position")[: 3 * size : 3]
        save_bookings(child=child, changes=[BookingChange(o.pk, True) for o in openings], acting_user=None)
        other = FamilyFactory(organisation=organisation, name=f"AUTRE {i}")
        PersonFactory(organisation=organisation, family=other)
        invoice = InvoiceFactory(organisation=organisation, family=family, total=Decimal("12.50"))
        InvoiceLineFactory(organisation=organisation, family=family, invoice=invoice, child_name=child.first_name)
        activities.append(activity)
    MessageThreadFactory(organisation=organisation, family=family, structure=activities[0].structure)
    return {"child": child, "activity": activities[0], "start": start}


def _page(tenant, world, name: str) -> tuple[object, str]:
    """(who, url) of a main page."""
    child, activity, start = world["child"], world["activity"], world["start"]
    pages = {
        "portal_login": (None, "connexion/"),
        "portal_dashboard": (tenant.family_user, ""),
        "portal_invoices": (tenant.family_user, "mes-factures/?statut=toutes"),
        "portal_week": (tenant.family_user, f"reservations/enfant/{child.pk}/?vue=semaine&date={start:%Y-%m-%d}"),
        "portal_month": (tenant.family_user, f"reservations/enfant/{child.pk}/?vue=mois&date={start:%Y-%m-%d}"),
        "staff_dashboard": (tenant.admin, "gestion/"),
        "staff_families": (tenant.admin, "gestion/familles/"),
        "staff_occupancy": (tenant.admin, f"gestion/activites/{activity.pk}/occupation/"),
        "staff_invoices": (tenant.admin, "gestion/facturation/factures/"),
    }
    who, path = pages[name]
    return who, tenant.url(path)


# Every query of each page, counted: a new one must be a choice, not an accident.
QUERIES = {
    "portal_login": 4,  # organisation, news, published documents, FranceConnect settings (its button)
    # +1: the kinds of the family's registrations decide which documents are owed; +1: "Mes factures" tile;
    # +1: whether next year's renewal is open (the "Réinscrire pour l'année prochaine" call);
    # +2: the next booked days ("Signaler une absence") and the reported absences awaiting a certificate;
    # -1: the personal consent comes with the login (accounts.backends)
    "portal_dashboard": 16,
    "portal_invoices": 9,
    "portal_week": 10,  # +1: the booked days of the period, to report an absence
    "portal_month": 10,
    "staff_dashboard": 9,  # session, user, membership (+ its structures), counts, today, filling up, queues, trend
    "staff_families": 8,
    "staff_occupancy": 9,
    "staff_invoices": 7,
}


@pytest.mark.parametrize("size", [1, 4])
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_main_pages_cost_a_fixed_number_of_queries(tenant_a, name, size, django_assert_num_queries):
    world = _world(tenant_a, size)
    who, url = _page(tenant_a, world, name)
    client = client_for(who) if who else Client()
    assert client.get(url).status_code == 200  # first visit: session and caches settle
    with django_assert_num_queries(QUERIES[name]):
        response = client.get(url)
    assert response.status_code == 200


def test_count_each_reads_the_same_counts_as_count_in_one_query(tenant_a, tenant_b, django_assert_num_queries):
    from ribambelle.core.counting import count_each
    from ribambelle.families.models import Family, Person

    world = _world(tenant_a, 2)
    querysets = {
        "families": Family.objects.filter(organisation=tenant_a.organisation),
        "children": Person.objects.filter(organisation=tenant_a.organisation, first_name__startswith="Enfant"),
        "none": Family.objects.filter(organisation=tenant_b.organisation, name="AUTRE 0"),
        "bookings": world["child"].bookings.filter(status="booked").select_related("opening").distinct(),
    }
    expected = {name: queryset.count() for name, queryset in querysets.items()}
    with django_assert_num_queries(1):
        assert count_each(querysets) == expected
    assert expected["families"] >= 3 and expected["children"] == 2 and expected["none"] == 0
