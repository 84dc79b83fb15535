"""The crèche's pages: the scale (with its "à vérifier" flags), contracts created and amended by
staff, the day sheet, and the parent's journey — her contract in the portal, tomorrow's absence
reported with a certificate, accepted by staff, deducted on next month's invoice."""

from datetime import date, time
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ribambelle.accounts.consent import record_consents
from ribambelle.billing import services as billing
from ribambelle.billing.models import Invoice
from ribambelle.creche import services
from ribambelle.creche.models import AbsenceStatus, Contract, CrecheDay, DeductibleAbsence, PsuScale
from ribambelle.documents import samples

from .conftest import client_for, page_text
from .creche_world import contract, creche, scale

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tenant_a):
    organisation = tenant_a.organisation
    scale(organisation, date(2025, 9, 1), ceiling="8500.00")
    activity = creche(organisation)
    return tenant_a, activity


def _family_contract(tenant, activity, **changes):
    return contract(tenant.organisation, activity, family=tenant.family_user.family, **changes)


def _family_client(tenant):
    record_consents(user=tenant.family_user, personal=True, health=True)
    return client_for(tenant.family_user)


def test_admin_loads_the_national_scales_flagged_to_check(tenant_a):
    client = client_for(tenant_a.admin)
    response = client.post(tenant_a.url("gestion/creche/baremes/"))
    assert response.status_code == 302
    assert PsuScale.objects.filter(organisation=tenant_a.organisation).count() == 6
    sept_2025 = PsuScale.objects.get(organisation=tenant_a.organisation, valid_from=date(2025, 9, 1))
    assert sept_2025.ceiling == Decimal("8500.00") and sept_2025.to_check
    text = page_text(client.get(tenant_a.url("gestion/creche/baremes/")))
    assert "à vérifier" in text and "Plancher 2025/2026 non confirmé" in text
    client.post(tenant_a.url("gestion/creche/baremes/"))  # again: nothing duplicated
    assert PsuScale.objects.filter(organisation=tenant_a.organisation).count() == 6


def test_a_scale_with_its_floor_above_its_ceiling_is_refused_in_french(tenant_a):
    client = client_for(tenant_a.admin)
    data = {"valid_from": "2026-01-01", "floor": "9000", "ceiling": "8500", "note": ""}
    data.update({f"{kind}_{n}": "0.05" for kind in ("collective", "family") for n in ("1", "2", "3", "4_7", "8")})
    response = client.post(tenant_a.url("gestion/creche/baremes/nouveau/"), data)
    assert response.status_code == 400
    assert "Le plancher doit être inférieur au plafond." in page_text(response)
    assert not PsuScale.objects.filter(organisation=tenant_a.organisation).exists()


def test_staff_create_a_contract_and_the_rate_is_frozen(world):
    tenant, activity = world
    family = tenant.family_user.family
    from .factories import GroupFactory, PersonFactory, RegistrationFactory

    child = PersonFactory(organisation=tenant.organisation, family=family, first_name="Jade")
    RegistrationFactory(
        organisation=tenant.organisation,
        family=family,
        child=child,
        group=GroupFactory(organisation=tenant.organisation, activity=activity),
    )
    data = {
        "child": child.pk,
        "activity": activity.pk,
        "kind": "regular",
        "care_type": "collective",
        "start_date": "2026-09-01",
        "end_date": "2027-08-31",
        "weeks_per_year": "45",
        "months_billed": "12",
        "annual_resources": "42 000,00",
        "resources_source": "cdap",
        "dependent_children": "2",
        **{f"start_{d}": "08:00" for d in range(4)},
        **{f"end_{d}": "17:00" for d in range(4)},
    }
    client = client_for(tenant.admin)
    response = client.post(tenant.url("gestion/creche/contrats/nouveau/"), data)
    assert response.status_code == 302, page_text(response)
    created = Contract.objects.get(child=child)
    version = created.versions.get()
    assert (version.weekly_hours, version.hourly_rate) == (Decimal("36"), Decimal("1.806"))
    detail = page_text(client.get(response["Location"]))
    assert "1,806" in detail or "1.806" in detail
    pdf = client.get(tenant.url(f"gestion/creche/contrats/{created.pk}/pdf/"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_an_amendment_in_the_middle_of_a_month_is_refused_and_nothing_changes(world):
    tenant, activity = world
    c = _family_contract(tenant, activity)
    data = {
        "valid_from": "2026-10-15",
        "months_billed": "12",
        "weeks_per_year": "45",
        "annual_resources": "42000",
        "resources_source": "manual",
        "dependent_children": "2",
        "start_0": "08:00",
        "end_0": "12:00",
    }
    response = client_for(tenant.admin).post(tenant.url(f"gestion/creche/contrats/{c.pk}/avenant/"), data)
    assert response.status_code == 400
    assert "premier jour d'un mois" in page_text(response)
    assert c.versions.count() == 1


def test_the_day_sheet_records_times_and_extra_hours(world):
    tenant, activity = world
    c = _family_contract(tenant, activity)
    client = client_for(tenant.admin)
    url = tenant.url(f"gestion/creche/activites/{activity.pk}/journee/?date=2026-11-04")
    assert c.child.first_name in page_text(client.get(url))
    response = client.post(url, {f"arrival_{c.pk}": "07:50", f"departure_{c.pk}": "17:40"})
    assert response.status_code == 302
    day = CrecheDay.objects.get(contract=c)
    # 9 h 50 counted to the started half-hour: 10 h; 10 min before + 40 min after: 0.5 + 1 h.
    assert (day.attended_hours, day.extra_hours) == (Decimal("10"), Decimal("1.5"))
    bad = client.post(url, {f"arrival_{c.pk}": "18:00", f"departure_{c.pk}": "08:00"})
    assert bad.status_code == 400 and "L'heure de départ doit suivre l'heure d'arrivée." in page_text(bad)


def test_parent_reports_tomorrows_absence_staff_accept_and_next_months_invoice_deducts_it(world):
    tenant, activity = world
    c = _family_contract(tenant, activity)
    parent = _family_client(tenant)
    with time_machine.travel(date(2026, 11, 29), tick=False):  # a Sunday: tomorrow is Monday 30
        dashboard = page_text(parent.get(tenant.url("")))
        assert "contrat d'accueil en crèche" in dashboard
        page = parent.get(tenant.url(f"creche/contrats/{c.pk}/"))
        assert page.status_code == 200 and "1,806" in page_text(page).replace(".", ",")
        upload = SimpleUploadedFile("certificat.pdf", samples.pdf_bytes("Certificat"), content_type="application/pdf")
        response = parent.post(
            tenant.url(f"creche/contrats/{c.pk}/"), {"date": "2026-11-30", "reason": "illness", "proof": upload}
        )
        assert response.status_code == 302, page_text(response)
    absence = DeductibleAbsence.objects.get(contract=c)
    assert absence.status == AbsenceStatus.REQUESTED and absence.hours == Decimal("9")
    staff = client_for(tenant.admin)
    assert "Absences à examiner" in page_text(staff.get(tenant.url("gestion/creche/absences/")))
    proof = staff.get(tenant.url(f"gestion/creche/absences/{absence.pk}/justificatif/"))
    assert proof.status_code == 200
    staff.post(tenant.url(f"gestion/creche/absences/{absence.pk}/decision/"), {"decision": "accept"})
    absence.refresh_from_db()
    assert absence.status == AbsenceStatus.ACCEPTED
    with time_machine.travel(date(2026, 12, 1), tick=False):
        run = billing.create_run(
            organisation=tenant.organisation,
            period_start=date(2026, 11, 1),
            period_end=date(2026, 11, 30),
            acting_user=None,
        )
        billing.process_run(run_id=run.pk, send_email=False)
    invoice = Invoice.objects.get(run=run)
    assert invoice.total == Decimal("227.56")  # 243.81 − 9 h × 1.806 (16.254 → 16.25)
    page = page_text(parent.get(tenant.url(f"mes-factures/{invoice.pk}/")))
    assert "Absences déductibles" in page and "9 h × 1,806 €/h" in page


def test_a_refusal_needs_a_reason(world):
    tenant, activity = world
    c = _family_contract(tenant, activity)
    absence = DeductibleAbsence.objects.create(
        organisation=tenant.organisation, contract=c, child=c.child, date=date(2026, 11, 2), hours=9, reason="illness"
    )
    staff = client_for(tenant.admin)
    staff.post(tenant.url(f"gestion/creche/absences/{absence.pk}/decision/"), {"decision": "refuse"})
    absence.refresh_from_db()
    assert absence.status == AbsenceStatus.REQUESTED


def test_a_parent_cannot_report_without_a_readable_certificate(world):
    tenant, activity = world
    c = _family_contract(tenant, activity)
    parent = _family_client(tenant)
    fake = SimpleUploadedFile("certificat.pdf", b"not a pdf at all", content_type="application/pdf")
    with time_machine.travel(date(2026, 11, 29), tick=False):
        response = parent.post(
            tenant.url(f"creche/contrats/{c.pk}/"), {"date": "2026-11-30", "reason": "illness", "proof": fake}
        )
    assert response.status_code == 400
    assert not DeductibleAbsence.objects.exists()


def test_another_familys_contract_answers_404(world):
    tenant, activity = world
    c = contract(tenant.organisation, activity, family=tenant.other_family_user.family)
    parent = _family_client(tenant)
    assert parent.get(tenant.url(f"creche/contrats/{c.pk}/")).status_code == 404
    assert parent.get(tenant.url(f"creche/contrats/{c.pk}/pdf/")).status_code == 404
    assert c.child.first_name not in page_text(parent.get(tenant.url("creche/")))


def test_another_organisations_contract_answers_404_to_staff(world, tenant_b):
    tenant, activity = world
    c = _family_contract(tenant, activity)
    staff_b = client_for(tenant_b.admin)
    for path in (f"creche/contrats/{c.pk}/", f"creche/contrats/{c.pk}/pdf/", f"creche/contrats/{c.pk}/avenant/"):
        assert staff_b.get(tenant_b.url(f"gestion/{path}")).status_code == 404


def test_figures_page_and_filoue_refuses_without_identifiers(world):
    tenant, activity = world
    c = _family_contract(tenant, activity)
    services.record_day(contract=c, day=date(2026, 11, 2), arrival=time(8), departure=time(17), acting_user=None)
    client = client_for(tenant.admin)
    text = page_text(client.get(tenant.url("gestion/creche/bilan/?annee=2026")))
    assert "Heures réalisées" in text
    response = client.get(tenant.url(f"gestion/creche/bilan/structures/{activity.structure_id}/filoue/?annee=2026"))
    assert response.status_code == 302  # refused with a message, no file


@pytest.mark.parametrize("contracts", [1, 4])
def test_main_pages_exact_query_counts_do_not_grow_with_contracts(world, contracts):
    tenant, activity = world
    made = [_family_contract(tenant, activity) for _ in range(contracts)]
    for made_contract in made:
        DeductibleAbsence.objects.create(
            organisation=tenant.organisation,
            contract=made_contract,
            child=made_contract.child,
            date=date(2026, 11, 2),
            hours=9,
            reason="illness",
        )
        services.record_day(
            contract=made_contract, day=date(2026, 11, 3), arrival=time(8), departure=time(17), acting_user=None
        )
    staff = client_for(tenant.admin)
    parent = _family_client(tenant)
    pages = {
        "contract_list": (staff, "gestion/creche/contrats/"),
        "day_sheet": (staff, f"gestion/creche/activites/{activity.pk}/journee/?date=2026-11-03"),
        "absences": (staff, "gestion/creche/absences/"),
        "figures": (staff, "gestion/creche/bilan/?annee=2026"),
        "scales": (staff, "gestion/creche/baremes/"),
        "portal_contracts": (parent, "creche/"),
        "portal_contract": (parent, f"creche/contrats/{made[0].pk}/"),
    }
    counts = {}
    for name, (client, path) in pages.items():
        client.get(tenant.url(path))  # warm the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get(tenant.url(path)).status_code == 200, name
        counts[name] = len(queries)
    assert counts == QUERIES


QUERIES = {
    "contract_list": 8,
    "day_sheet": 10,
    "absences": 7,
    "figures": 9,
    "scales": 7,
    "portal_contracts": 4,  # the personal consent comes with the login
    "portal_contract": 5,
}


def test_lists_sort_and_filter_and_a_bad_value_is_ignored(world):
    tenant, activity = world
    first = _family_contract(tenant, activity)
    staff = client_for(tenant.admin)
    for path in (
        "gestion/creche/contrats/?tri=-enfant&type=regular&q=Jade",
        "gestion/creche/contrats/?type=nimporte",
        "gestion/creche/baremes/?tri=-date",
        "gestion/creche/absences/?tri=date&motif=hospital",
    ):
        response = staff.get(tenant.url(path))
        assert response.status_code == 200, path
    assert first.child.first_name in page_text(staff.get(tenant.url("gestion/creche/contrats/?q=Jade")))
    assert first.child.first_name not in page_text(staff.get(tenant.url("gestion/creche/contrats/?q=Zorro")))
