"""In a real browser, at phone (390 px) and desk (1,366 px) widths, axe-checked: the finance
office creates a SEPA collection and follows it (invoice "prélèvement en cours", reject entered),
then voids a payment typed 1 104,00 € instead of 11,04 €."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ribambelle.billing.models import BillingSettings, InvoiceStatus, Payment
from ribambelle.billing.services import record_payment
from ribambelle.tenancy.roles import Role

from ..factories import (
    FamilyFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    MembershipFactory,
    OrganisationFactory,
    SepaMandateFactory,
)
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "Test-Passw0rd-Ok"
WIDTHS = [390, 1366]


@pytest.fixture
def office(db):
    organisation = OrganisationFactory(name="Communauté de communes de Pouilly", slug="pouilly")
    BillingSettings.objects.create(
        organisation=organisation,
        sepa_creditor_name="CC Pouilly",
        sepa_creditor_id="FR72ZZZ123456",
        sepa_iban="FR7630006000011234567890189",
        sepa_bic="AGRIFRPPXXX",
        sepa_reject_fee=Decimal("4.00"),
    )
    MembershipFactory(organisation=organisation, role=Role.FINANCE, user__email="regie@pouilly.example")
    family = FamilyFactory(organisation=organisation, name="BOBLET", email="sophie.boblet@famille.example")
    SepaMandateFactory(organisation=organisation, family=family, holder="Sophie BOBLET")
    invoice = InvoiceFactory(organisation=organisation, family=family, total=Decimal("42.50"))
    InvoiceLineFactory(organisation=organisation, family=family, invoice=invoice, amount=Decimal("42.50"))
    other = FamilyFactory(organisation=organisation, name="DUPONT")
    small = InvoiceFactory(organisation=organisation, family=other, total=Decimal("11.04"))
    InvoiceLineFactory(organisation=organisation, family=other, invoice=small, amount=Decimal("11.04"))
    slip = record_payment(
        family=other, method="cheque", amount=Decimal("1104.00"), received_on=timezone.localdate(), acting_user=None
    )
    return organisation, invoice, small, slip


@pytest.mark.parametrize("width", WIDTHS)
def test_collection_page_and_a_reject(live_server, browser, office, width):
    organisation, invoice, _small, _slip = office
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900}, timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    page = context.new_page()
    base = live_server.url + "/pouilly/"
    log_in(page, base + "gestion/connexion/", "regie@pouilly.example", PASSWORD)
    page.wait_for_url("**/gestion/")
    page.goto(base + "gestion/facturation/prelevements/")
    assert_accessible(page, context=f"prélèvements SEPA ({width} px)")
    day = timezone.localdate() + timedelta(days=20)
    page.get_by_label("Date de prélèvement").fill(day.isoformat())
    page.get_by_role("button", name="Créer le prélèvement (fichier pain.008)").click()
    assert page.get_by_text(re.compile("Prélèvement du .* créé : 1 facture, familles prévenues")).is_visible()
    assert page.get_by_role("cell", name=invoice.number, exact=True).is_visible()
    assert_accessible(page, context=f"prélèvement ({width} px)")
    page.get_by_role("link", name=f"Enregistrer un rejet de la facture {invoice.number}").click()
    assert_accessible(page, context=f"rejet ({width} px)")
    page.get_by_label("Motif du rejet (code de la banque)").select_option("AM04")
    page.get_by_role("button", name="Enregistrer le rejet").click()
    assert page.get_by_text(re.compile("la facture .* est de nouveau à payer")).is_visible()
    assert page.get_by_text("AM04 – Provision insuffisante").is_visible()
    assert_accessible(page, context=f"prélèvement avec rejet ({width} px)")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DUE
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_voiding_a_payment_typed_wrong(live_server, browser, office, width):
    organisation, _invoice, small, slip = office
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 900}, timezone_id="Europe/Paris")
    context.set_default_timeout(15_000)
    page = context.new_page()
    base = live_server.url + "/pouilly/"
    log_in(page, base + "gestion/connexion/", "regie@pouilly.example", PASSWORD)
    page.wait_for_url("**/gestion/")
    page.goto(base + f"gestion/facturation/familles/{small.family_id}/")
    page.get_by_role("link", name=f"Annuler le règlement {slip.receipt_number}").click()
    assert_accessible(page, context=f"annuler un règlement ({width} px)")
    page.get_by_role("button", name="Annuler ce règlement").click()  # no reason: refused
    assert page.get_by_text(re.compile("Ce champ est obligatoire|Indiquez le motif")).first.is_visible()
    page.get_by_label("Motif de l'annulation").fill("1 104,00 € tapé au lieu de 11,04 €")
    page.get_by_role("button", name="Annuler ce règlement").click()
    assert page.get_by_text(re.compile(f"Règlement {slip.receipt_number} annulé")).is_visible()
    assert page.locator(".badge", has_text="Annulé").first.is_visible()
    assert_accessible(page, context=f"compte après annulation ({width} px)")
    # The right amount, typed with a comma, is recorded without a warning.
    page.get_by_label("Montant (€)").fill("11,04")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    assert page.get_by_text(re.compile("Règlement enregistré")).is_visible()
    small.refresh_from_db()
    assert small.status == InvoiceStatus.PAID
    assert Payment.objects.get(pk=slip.pk).voided_at is not None
    context.close()
