"""One invariant: after any sequence of payments, voids, partial credit notes, refunds, SEPA
settlements and rejects, a family's balance recomputed from scratch (invoices − credit notes −
payments not voided + refunds) is what the back office's balances page, the family's statement,
the portal and the CSV exports show; and every invoice's paid amount is the sum of its
allocations."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ribambelle.accounts.consent import record_consents
from ribambelle.billing import corrections, selectors, services
from ribambelle.billing.models import BillingSettings, Invoice, InvoiceStatus, Payment, PaymentAllocation, Refund
from ribambelle.billing.sepa_collections import create_collection, reject_line, settle_collection
from ribambelle.core.formats import format_euros
from ribambelle.core.money import parse_euros

from .conftest import client_for, page_text
from .factories import InvoiceFactory, InvoiceLineFactory, SepaMandateFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
ZERO = Decimal("0.00")


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(datetime(2026, 12, 1, 10, 0, tzinfo=PARIS), tick=False) as traveller:
        yield traveller


def _invoice(family, *amounts):
    invoice = InvoiceFactory(
        organisation=family.organisation, family=family, total=sum((Decimal(a) for a in amounts), ZERO)
    )
    for amount in amounts:
        InvoiceLineFactory(
            organisation=family.organisation,
            invoice=invoice,
            family=family,
            unit_price=Decimal(amount),
            amount=Decimal(amount),
        )
    return invoice


def _pay(family, amount, method="cheque", **extra):
    return services.record_payment(
        family=family, method=method, amount=Decimal(amount), received_on=date(2026, 12, 1), acting_user=None, **extra
    )


def _from_scratch(family) -> dict:
    invoices = Invoice.objects.filter(organisation=family.organisation, family=family)
    payments = Payment.objects.filter(organisation=family.organisation, family=family)
    invoiced = sum((i.total for i in invoices), ZERO)  # credit notes are negative
    paid = sum((p.amount for p in payments if p.voided_at is None), ZERO)
    refunded = sum((r.amount for r in Refund.objects.filter(family=family)), ZERO)
    open_due = ZERO
    for invoice in invoices.filter(kind="invoice"):
        allocated = sum((a.amount for a in PaymentAllocation.objects.filter(invoice=invoice)), ZERO)
        credited = -sum((c.total for c in invoices.filter(credited_invoice=invoice)), ZERO)
        assert invoice.amount_paid == allocated, invoice.number
        if invoice.status == InvoiceStatus.CREDITED:
            assert credited == invoice.total and allocated == 0, invoice.number
            continue
        assert invoice.amount_credited == credited, invoice.number
        left = invoice.total - credited - allocated
        assert left >= 0, invoice.number
        expected = InvoiceStatus.PAID if left == 0 else InvoiceStatus.PARTIAL if allocated else InvoiceStatus.DUE
        assert invoice.status == expected, invoice.number
        open_due += left
    for payment in payments:
        allocated = sum((a.amount for a in payment.allocations.all()), ZERO)
        refunds = sum((r.amount for r in payment.refunds.all()), ZERO)
        if payment.voided_at is not None:
            assert allocated == 0 and refunds == 0
        assert allocated + refunds <= payment.amount
    return {
        "invoiced": invoiced,
        "paid": paid - refunded,
        "balance": invoiced - paid + refunded,
        "due": open_due,
        "credit": paid - refunded - (invoiced - open_due),
    }


def _csv_rows(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def assert_consistent(tenant, family):
    expected = _from_scratch(family)
    admin = client_for(tenant.admin)
    membership = tenant.admin.membership
    # The balances selector (the "Soldes des familles" page).
    row = selectors.balances(membership).get(pk=family.pk)
    assert (row.invoiced, row.paid, row.balance) == (expected["invoiced"], expected["paid"], expected["balance"])
    page = page_text(admin.get(tenant.url("gestion/facturation/soldes/")))
    assert format_euros(expected["balance"]) in page
    # The family's situation, on its statement and in the portal.
    situation = selectors.family_situation(family)
    assert (situation.total_due, situation.credit) == (expected["due"], expected["credit"])
    assert situation.total_due - situation.credit == expected["balance"]
    statement = page_text(admin.get(tenant.url(f"gestion/facturation/familles/{family.pk}/")))
    assert f"Reste dû : <strong>{format_euros(expected['due'])}</strong>" in statement
    parent = client_for(tenant.family_user)
    portal = page_text(parent.get(tenant.url("mes-factures/?statut=toutes")))
    assert f'data-testid="total-due">{format_euros(expected["due"])}' in portal
    # The exports: invoices and credit notes, payments not voided.
    invoices = _csv_rows(admin.get(tenant.url("gestion/facturation/factures/?format=csv")))
    header = invoices[0]
    mine = [r for r in invoices[1:] if r[header.index("Famille")] == family.name]
    assert sum((parse_euros(r[header.index("Montant")]) for r in mine), ZERO) == expected["invoiced"]
    payments = _csv_rows(admin.get(tenant.url("gestion/facturation/reglements/?format=csv")))
    header = payments[0]
    kept = [r for r in payments[1:] if r[header.index("Famille")] == family.name and not r[header.index("Annulé le")]]
    refunded = sum((r.amount for r in Refund.objects.filter(family=family)), ZERO)
    assert sum((parse_euros(r[header.index("Montant")]) for r in kept), ZERO) - refunded == expected["paid"]
    return expected


def _sepa(tenant, fee="0"):
    BillingSettings.objects.update_or_create(
        organisation=tenant.organisation,
        defaults={
            "sepa_creditor_id": "FR72ZZZ123456",
            "sepa_iban": "FR7630006000011234567890189",
            "sepa_bic": "AGRIFRPPXXX",
            "sepa_reject_fee": Decimal(fee),
        },
    )
    SepaMandateFactory(organisation=tenant.organisation, family=tenant.family_user.family)


def test_a_typing_slip_voided_then_a_partial_credit_note(tenant_a):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    family = tenant_a.family_user.family
    first, _second = _invoice(family, "10.00", "1.04"), _invoice(family, "30.00", "12.50")
    slip = _pay(family, "1104.00")
    assert_consistent(tenant_a, family)
    corrections.void_payment(payment=slip, reason="1 104,00 au lieu de 11,04", acting_user=None)
    assert assert_consistent(tenant_a, family)["due"] == Decimal("53.54")
    _pay(family, "11.04")
    corrections.issue_partial_credit_note(
        invoice=_second,
        reason="Journée annulée",
        line_ids=[_second.lines.get(amount=Decimal("12.50")).pk],
        acting_user=None,
    )
    assert assert_consistent(tenant_a, family)["balance"] == Decimal("30.00")
    first.refresh_from_db()
    assert first.status == InvoiceStatus.PAID


def test_a_partial_credit_after_payment_gives_a_credit_refunded_in_part_then_allocated(tenant_a):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    family = tenant_a.family_user.family
    paid = _invoice(family, "30.00")
    payment = _pay(family, "30.00")
    corrections.issue_partial_credit_note(invoice=paid, reason="Geste", amount=Decimal("12.50"), acting_user=None)
    assert assert_consistent(tenant_a, family)["credit"] == Decimal("12.50")
    corrections.record_refund(
        payment=payment, amount=Decimal("5.00"), refunded_on=date(2026, 12, 1), method="transfer", reason="Trop-perçu",
        acting_user=None,
    )  # fmt: skip
    assert assert_consistent(tenant_a, family)["credit"] == Decimal("7.50")
    later = _invoice(family, "20.00")
    services.allocate_credit(payment=payment, acting_user=None)
    later.refresh_from_db()
    assert later.amount_paid == Decimal("7.50")
    assert assert_consistent(tenant_a, family)["due"] == Decimal("12.50")


def test_sepa_settled_then_rejected_with_fee_then_paid_by_cash(tenant_a, _today):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    _sepa(tenant_a, fee="6.00")
    family = tenant_a.family_user.family
    _invoice(family, "42.50")
    _invoice(family, "17.50")
    collection = create_collection(
        organisation=tenant_a.organisation, collection_date=date(2026, 12, 20), acting_user=None
    )
    assert_consistent(tenant_a, family)
    _today.move_to(datetime(2026, 12, 20, 10, 0, tzinfo=PARIS))
    settle_collection(collection=collection, acting_user=None)
    assert assert_consistent(tenant_a, family)["balance"] == 0
    reject_line(line=collection.lines.order_by("pk").first(), code="AM04", acting_user=None)
    assert assert_consistent(tenant_a, family)["due"] == Decimal("48.50")  # 42.50 + the 6.00 fee
    _pay(family, "48.50", method="cash")
    assert assert_consistent(tenant_a, family)["balance"] == 0


def test_sepa_rejected_before_settlement_then_partly_credited_and_collected_again(tenant_a, _today):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    _sepa(tenant_a)
    family = tenant_a.family_user.family
    invoice = _invoice(family, "20.00", "20.00")
    collection = create_collection(
        organisation=tenant_a.organisation, collection_date=date(2026, 12, 20), acting_user=None
    )
    reject_line(line=collection.lines.get(), code="MS02", acting_user=None)
    corrections.issue_partial_credit_note(invoice=invoice, reason="Une journée", amount=Decimal("20"), acting_user=None)
    assert assert_consistent(tenant_a, family)["due"] == Decimal("20.00")
    again = create_collection(organisation=tenant_a.organisation, collection_date=date(2026, 12, 27), acting_user=None)
    assert again.lines.get().amount == Decimal("20.00")
    _today.move_to(datetime(2026, 12, 27, 10, 0, tzinfo=PARIS))
    settle_collection(collection=again, acting_user=None)
    assert assert_consistent(tenant_a, family)["balance"] == 0


def test_a_full_credit_note_a_credit_and_a_voided_payment(tenant_a):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    family = tenant_a.family_user.family
    cancelled = _invoice(family, "25.00")
    kept = _invoice(family, "40.00")
    services.issue_credit_note(invoice=cancelled, reason="Erreur de facturation", acting_user=None)
    first = _pay(family, "50.00")  # pays `kept`, 10.00 credit
    assert assert_consistent(tenant_a, family)["credit"] == Decimal("10.00")
    _pay(family, "5.00")
    corrections.void_payment(payment=first, reason="Chèque sans provision", acting_user=None)
    kept.refresh_from_db()
    assert kept.status == InvoiceStatus.DUE
    assert assert_consistent(tenant_a, family)["balance"] == Decimal("35.00")
