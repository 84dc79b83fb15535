"""Issue 19 in a real browser: a parent opens her child's crèche contract in the portal, reports
tomorrow's absence with a certificate; the director accepts it; the month's invoice deducts it."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from ribambelle.accounts.consent import record_consents
from ribambelle.billing import services as billing
from ribambelle.billing.models import Invoice
from ribambelle.creche import services
from ribambelle.documents import samples

from ..creche_world import creche, scale, values
from ..factories import (
    PASSWORD,
    FamilyUserFactory,
    GroupFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    RegistrationFactory,
)
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pouilly(db):
    organisation = OrganisationFactory(name="Communauté de communes de Pouilly-Bligny", slug="pouilly")
    MembershipFactory(organisation=organisation, role="director", user__email="directrice@pouilly.example")
    parent = FamilyUserFactory(organisation=organisation, email="nadia.leroy@famille.example", family__name="LEROY")
    record_consents(user=parent, personal=True, health=True)
    scale(organisation, date(2020, 1, 1), ceiling="8500.00")
    activity = creche(organisation)
    today = timezone.localdate()
    activity.start_date, activity.end_date = today - timedelta(days=60), today + timedelta(days=365)
    activity.save(update_fields=["start_date", "end_date"])
    child = PersonFactory(
        organisation=organisation, family=parent.family, first_name="Léo", birth_date=date(2025, 9, 1)
    )
    group = GroupFactory(organisation=organisation, activity=activity, age_min_months=0)
    RegistrationFactory(organisation=organisation, family=parent.family, child=child, group=group)
    contract = services.create_contract(
        family=parent.family,
        child=child,
        activity=activity,
        kind="regular",
        care_type="collective",
        start_date=today - timedelta(days=60),
        end_date=today + timedelta(days=300),
        # Every day of the week 08:00-17:00, so that tomorrow is always a contracted day.
        values=values(schedule={str(d): ["08:00", "17:00"] for d in range(7)}),
        acting_user=None,
    )
    return organisation, contract


def test_parent_reports_an_absence_staff_accept_invoice_deducts(live_server, browser, page, pouilly):
    organisation, contract = pouilly
    base = live_server.url + "/pouilly/"
    tomorrow = timezone.localdate() + timedelta(days=1)

    log_in(page, base, "nadia.leroy@famille.example", PASSWORD)
    page.wait_for_url(base)
    page.get_by_role("link", name=re.compile("Crèche")).click()
    expect(page.get_by_role("heading", name="Crèche", level=1)).to_be_visible()
    assert_accessible(page, context="crèche : contrats")
    page.get_by_role("link", name=re.compile("Léo")).click()
    expect(page.get_by_role("heading", name="Contrat de Léo")).to_be_visible()
    expect(page.get_by_text("1,806 € / h")).to_be_visible()
    assert_accessible(page, context="contrat crèche")

    page.get_by_label("Jour d'absence").fill(tomorrow.isoformat())
    page.get_by_label("Motif").select_option("hospital")
    page.get_by_label(re.compile("^Justificatif")).set_input_files(
        {"name": "bulletin.pdf", "mimeType": "application/pdf", "buffer": samples.pdf_bytes("Hospitalisation")}
    )
    page.get_by_role("button", name="Signaler l'absence").click()
    expect(page.get_by_text("Absence signalée")).to_be_visible()
    expect(page.get_by_text("À examiner")).to_be_visible()
    assert_accessible(page, context="absence signalée")

    staff = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    desk = staff.new_page()
    log_in(desk, base + "gestion/connexion/", "directrice@pouilly.example", PASSWORD)
    desk.wait_for_url("**/gestion/")
    desk.get_by_role("link", name="Crèche : absences à examiner").click()
    expect(desk.get_by_role("heading", name="Absences à examiner")).to_be_visible()
    assert_accessible(desk, context="absences à examiner")
    desk.get_by_role("button", name="Accepter").click()
    expect(desk.get_by_text("Décision enregistrée.")).to_be_visible()
    staff.close()

    month = tomorrow.replace(day=1)
    end = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    run = billing.create_run(organisation=organisation, period_start=month, period_end=end, acting_user=None)
    billing.process_run(run_id=run.pk, send_email=False)
    invoice = Invoice.objects.get(run=run)

    page.goto(base + f"mes-factures/{invoice.pk}/")
    expect(page.get_by_text(re.compile(r"Absences déductibles .* 9 h × 1,806 €/h"))).to_be_visible()
    assert_accessible(page, context="facture avec la déduction")
    assert not page.js_errors
