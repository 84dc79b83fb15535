"""Paying online in a real browser, against the local PayFiP and PayZen doubles: the parent
clicks "Payer", pays on the provider's page, comes back and sees the invoice paid with its
receipt; with PayFiP, a "not finished" (P5) answer first shows the payment as under way, and
the later paid answer settles it. axe finds nothing at 390 px and 1,366 px."""

import re
from decimal import Decimal

import pytest

from ribambelle.accounts.consent import record_consents
from ribambelle.billing.models import Invoice, InvoiceStatus, Payment
from ribambelle.payments import services

from .. import payment_doubles
from ..factories import (
    FamilyUserFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    OrganisationFactory,
    ProviderConfigFactory,
)
from .conftest import assert_accessible, log_in

payfip_double = payment_doubles.payfip_double  # the fixtures
payzen_double = payment_doubles.payzen_double

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _organisation(kind: str, options: dict):
    organisation = OrganisationFactory(name="Commune de Pouilly", slug="pouilly", primary_colour="#1d5e3a")
    ProviderConfigFactory(organisation=organisation, kind=kind, options=options)
    parent = FamilyUserFactory(organisation=organisation, email="julie.martin@famille.example", family__name="MARTIN")
    record_consents(user=parent, personal=True, health=True)
    invoice = InvoiceFactory(
        organisation=organisation, family=parent.family, total=Decimal("29.40"), number="F2026-000007", sequence=7
    )
    InvoiceLineFactory(
        organisation=organisation,
        family=parent.family,
        invoice=invoice,
        child_name="Léa MARTIN",
        activity_name="Mercredis",
        amount=Decimal("29.40"),
    )
    return invoice


def _open_invoice(page, live_server):
    base = live_server.url + "/pouilly/"
    log_in(page, base, "julie.martin@famille.example", "Test-Passw0rd-Ok")
    assert page.get_by_text(re.compile(r"À payer : 29,40")).is_visible()  # the "Mes factures" tile
    page.goto(base + "mes-factures/")
    page.get_by_role("link", name=re.compile("F2026-000007")).click()


def _assert_paid_with_receipt(page):
    assert page.get_by_text(re.compile("votre paiement de la facture F2026-000007 est enregistré")).is_visible()
    assert page.get_by_text("Payée").first.is_visible()
    assert page.get_by_role("link", name=re.compile(r"Reçu .* \(PDF\)")).is_visible()
    assert Invoice.objects.get(number="F2026-000007").status == InvoiceStatus.PAID
    assert Payment.objects.count() == 1


def _axe_phone_and_desk(page, context):
    assert_accessible(page, context=f"{context} (390 px)")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert_accessible(page, context=f"{context} (1366 px)")
    page.set_viewport_size({"width": 390, "height": 844})


def test_pay_with_payfip(live_server, page, payfip_double):
    _organisation("payfip", {"numcli": "123456", "saisie": "T"})
    _open_invoice(page, live_server)
    _axe_phone_and_desk(page, "facture à payer")
    page.get_by_role("button", name=re.compile("Payer 29,40")).click()
    assert page.get_by_role("heading", name=re.compile("PayFiP")).is_visible()
    assert page.get_by_text("29,40 €").is_visible()
    page.get_by_role("button", name="Payer par carte bancaire").click()
    _assert_paid_with_receipt(page)
    assert [status for _idop, status in payfip_double.notifications] == [200]
    _axe_phone_and_desk(page, "facture payée")
    assert not page.js_errors


def test_payfip_not_finished_then_paid(live_server, page, payfip_double):
    payfip_double.defer = True  # PayFiP answers P5 ("paiement non finalisé") and notifies nothing yet
    _organisation("payfip", {"numcli": "123456", "saisie": "T"})
    _open_invoice(page, live_server)
    page.get_by_role("button", name=re.compile("Payer 29,40")).click()
    page.get_by_role("button", name="Payer par carte bancaire").click()
    assert page.get_by_text(re.compile("en cours de traitement")).is_visible()
    assert page.get_by_test_id("pending-online-payment").is_visible()
    assert page.get_by_text("À payer").first.is_visible()
    _axe_phone_and_desk(page, "paiement en cours")
    # PayFiP finishes and notifies: the invoice is paid once.
    idop = payfip_double.last_idop()
    payfip_double.complete(idop)
    assert payfip_double.send_notification(idop) == 200
    assert services.recheck_pending() == 0  # nothing left pending
    page.reload()
    assert page.get_by_text("Payée").first.is_visible()
    assert Payment.objects.count() == 1


def test_pay_with_payzen(live_server, page, payzen_double):
    _organisation(
        "payzen",
        {
            "vads_site_id": payment_doubles.PAYZEN_SITE,
            "secret_test": payment_doubles.PAYZEN_KEY,
            "vads_ctx_mode": "TEST",
        },
    )
    _open_invoice(page, live_server)
    page.get_by_role("button", name=re.compile("Payer 29,40")).click()
    assert page.get_by_role("heading", name="Paiement en ligne").is_visible()
    _axe_phone_and_desk(page, "vers PayZen")
    page.get_by_role("button", name="Continuer vers le paiement sécurisé").click()
    assert page.get_by_role("heading", name=re.compile("PayZen")).is_visible()
    page.get_by_role("button", name="Payer", exact=True).click()
    _assert_paid_with_receipt(page)
    assert [status for _ref, status in payzen_double.notifications] == [200]
    assert not page.js_errors
