"""Seed 000 "Onglet Mes factures" in a real browser: the parent sees what is due, opens the
invoice, downloads its PDF, pays it through the dummy provider and sees it paid with a receipt."""

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from ribambelle.accounts.consent import record_consents
from ribambelle.billing.models import BillingSettings, Invoice, InvoiceStatus

from ..factories import (
    FamilyUserFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    OrganisationFactory,
    ProviderConfigFactory,
)
from .conftest import assert_accessible, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def invoice(db):
    organisation = OrganisationFactory(
        name="Communauté de communes Quercy Vert-Aveyron",
        slug="quercy",
        primary_colour="#1d5e3a",
        postal_address="1 place de la Mairie\n82800 Nègrepelisse",
    )
    BillingSettings.objects.create(organisation=organisation, legal_mentions="SIRET 200 000 000 00011")
    ProviderConfigFactory(organisation=organisation, kind="dummy")
    parent = FamilyUserFactory(organisation=organisation, email="julie.martin@famille.example", family__name="MARTIN")
    record_consents(user=parent, personal=True, health=True)
    invoice = InvoiceFactory(
        organisation=organisation, family=parent.family, total=Decimal("29.40"), number="F2026-000007", sequence=7
    )
    for _ in range(3):
        InvoiceLineFactory(
            organisation=organisation,
            family=parent.family,
            invoice=invoice,
            child_name="Léa MARTIN",
            activity_name="Mercredis Nègrepelisse",
            label="Mercredis – Journée",
            unit_price=Decimal("9.80"),
            amount=Decimal("9.80"),
        )
    return invoice


def test_see_download_pay_and_get_a_receipt(live_server, page, invoice):
    base = live_server.url + "/quercy/"
    log_in(page, base, "julie.martin@famille.example", "Test-Passw0rd-Ok")
    page.goto(base + "mes-factures/")
    assert page.get_by_role("heading", name="Mes factures", level=1).is_visible()
    assert "29,40" in page.get_by_test_id("total-due").inner_text()
    assert_accessible(page, context="Mes factures")

    page.get_by_role("link", name=re.compile("F2026-000007")).click()
    assert "29,40" in page.get_by_test_id("invoice-total").inner_text()
    assert page.get_by_text("Léa MARTIN – Mercredis Nègrepelisse").is_visible()
    assert_accessible(page, context="détail de la facture")

    with page.expect_download() as download_info:
        page.get_by_test_id("invoice-pdf").click()
    content = open(download_info.value.path(), "rb").read()
    assert content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "F2026-000007" in text and "29,40" in text

    page.get_by_role("button", name=re.compile("Payer 29,40")).click()
    assert page.get_by_role("heading", name="Paiement de démonstration").is_visible()
    assert_accessible(page, context="banque simulée")
    page.get_by_role("button", name="Valider le paiement").click()
    assert page.get_by_text(re.compile("votre paiement de la facture F2026-000007 est enregistré")).is_visible()
    assert page.get_by_text("Payée").first.is_visible()
    assert_accessible(page, context="facture payée")
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"Reçu R\d{4}-")).first.click()
    receipt = open(download_info.value.path(), "rb").read()
    assert "29,40" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(receipt)).pages)

    page.goto(base + "mes-factures/")
    assert page.get_by_text("Vous n'avez aucune facture à payer.").is_visible()
    assert "0,00" in page.get_by_test_id("total-due").inner_text()
