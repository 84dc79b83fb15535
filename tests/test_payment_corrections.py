"""Corrections: a payment voided (reason, receipt cancelled, allocations undone, audited),
partial credit notes (lines or an amount, also after a payment: the surplus is credit, which
may be refunded), the warning for a payment far above what is due, and amounts typed with a
comma or a dot."""

from decimal import Decimal

import pytest
from pypdf import PdfReader

from ribambelle.billing import corrections, services
from ribambelle.billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentAllocation
from ribambelle.billing.pdf import receipt_pdf
from ribambelle.billing.selectors import family_situation
from ribambelle.core.exceptions import DomainError
from ribambelle.core.models import AuditEntry
from ribambelle.core.money import parse_euros

from .conftest import client_for, page_text
from .factories import FamilyFactory, InvoiceFactory, InvoiceLineFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def _family():
    org = OrganisationFactory()
    return FamilyFactory(organisation=org, email="parent@famille.example")


def _invoice(family, total="30.00", lines=("10.00", "20.00")):
    invoice = InvoiceFactory(organisation=family.organisation, family=family, total=Decimal(total))
    for amount in lines:
        InvoiceLineFactory(
            organisation=family.organisation,
            invoice=invoice,
            family=family,
            unit_price=Decimal(amount),
            amount=Decimal(amount),
            label=f"Journée {amount}",
        )
    return invoice


def _pay(family, amount, **extra):
    return services.record_payment(
        family=family,
        method="cheque",
        amount=Decimal(amount),
        received_on=family.created_at.date(),
        acting_user=None,
        **extra,
    )


@pytest.mark.parametrize(
    ("typed", "euros"),
    [
        ("11,04", "11.04"),
        ("11.04", "11.04"),
        ("1 104,00", "1104.00"),
        ("1\u202f104,00", "1104.00"),
        ("1\u00a0104,00 €", "1104.00"),
        ("1.104,00", "1104.00"),
        ("1,104.00", "1104.00"),
        ("12", "12"),
        ("12,5", "12.5"),
    ],
)
def test_amounts_typed_with_a_comma_or_a_dot_are_euros(typed, euros):
    assert parse_euros(typed) == Decimal(euros)


@pytest.mark.parametrize("typed", ["abc", "1,2,3", "12,3,4", "", "--2"])
def test_unreadable_amounts_are_refused(typed):
    assert parse_euros(typed) is None


def test_voiding_a_payment_undoes_its_allocations_and_cancels_its_receipt():
    family = _family()
    first, second = _invoice(family), _invoice(family)
    payment = _pay(family, "1104.00")  # typed instead of 11,04: pays both, the rest is credit
    first.refresh_from_db()
    assert first.status == InvoiceStatus.PAID
    with pytest.raises(DomainError, match="motif"):
        corrections.void_payment(payment=payment, reason="  ", acting_user=None)
    corrections.void_payment(payment=payment, reason="Erreur de saisie : 11,04 €", acting_user=None)
    payment.refresh_from_db()
    assert payment.voided_at is not None and payment.void_reason == "Erreur de saisie : 11,04 €"
    assert not PaymentAllocation.objects.filter(payment=payment).exists()
    for invoice in (first, second):
        invoice.refresh_from_db()
        assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.DUE, Decimal("0.00"))
    situation = family_situation(family)
    assert (situation.total_due, situation.total_paid, situation.credit) == (Decimal("60.00"), 0, 0)
    entry = AuditEntry.objects.get(action="payment_void")
    assert entry.changes["allocations"] == {first.number: "30.00", second.number: "30.00"}
    text = "".join(page.extract_text() for page in PdfReader(__import__("io").BytesIO(receipt_pdf(payment))).pages)
    assert "REÇU ANNULÉ" in text and "Erreur de saisie" in text
    with pytest.raises(DomainError, match="déjà annulé"):
        corrections.void_payment(payment=payment, reason="encore", acting_user=None)
    # The right amount, recorded again, pays as it should.
    _pay(family, "11,04".replace(",", "."))
    first.refresh_from_db()
    assert (first.status, first.amount_paid) == (InvoiceStatus.PARTIAL, Decimal("11.04"))


def test_partial_credit_note_on_chosen_lines():
    family = _family()
    invoice = _invoice(family)
    ten = invoice.lines.get(amount=Decimal("10.00"))
    credit = corrections.issue_partial_credit_note(
        invoice=invoice, reason="Absence justifiée", line_ids=[ten.pk], acting_user=None
    )
    assert (credit.kind, credit.total, credit.credited_invoice_id) == (
        InvoiceKind.CREDIT_NOTE,
        Decimal("-10.00"),
        invoice.pk,
    )
    assert credit.number.startswith("AV")
    [line] = credit.lines.all()
    assert (line.amount, line.credits_line_id) == (Decimal("-10.00"), ten.pk)
    invoice.refresh_from_db()
    assert (invoice.amount_credited, invoice.balance, invoice.status) == (Decimal("10.00"), Decimal("20.00"), "due")
    with pytest.raises(DomainError, match="déjà été reprise"):
        corrections.issue_partial_credit_note(invoice=invoice, reason="encore", line_ids=[ten.pk], acting_user=None)
    other = _invoice(_family())
    with pytest.raises(DomainError, match="n'appartient pas"):
        corrections.issue_partial_credit_note(
            invoice=invoice, reason="x", line_ids=[other.lines.first().pk], acting_user=None
        )
    assert family_situation(family).total_due == Decimal("20.00")


def test_partial_credit_note_after_payment_leaves_a_credit_that_can_be_refunded():
    family = _family()
    invoice = _invoice(family)
    payment = _pay(family, "30.00")
    credit = corrections.issue_partial_credit_note(
        invoice=invoice, reason="Geste commercial", amount=Decimal("12.50"), acting_user=None
    )
    invoice.refresh_from_db()
    assert (invoice.net_total, invoice.amount_paid, invoice.status) == (Decimal("17.50"), Decimal("17.50"), "paid")
    assert credit.lines.get().amount == Decimal("-12.50")
    assert corrections.unallocated(payment) == Decimal("12.50")
    situation = family_situation(family)
    assert (situation.total_due, situation.credit) == (Decimal("0.00"), Decimal("12.50"))
    with pytest.raises(DomainError, match="ne laisse que 12,50"):
        corrections.record_refund(
            payment=payment, amount=Decimal("13"), refunded_on=payment.received_on, method="transfer",
            reason="Trop-perçu", acting_user=None,
        )  # fmt: skip
    corrections.record_refund(
        payment=payment, amount=Decimal("12.50"), refunded_on=payment.received_on, method="transfer",
        reason="Trop-perçu", acting_user=None,
    )  # fmt: skip
    situation = family_situation(family)
    assert (situation.total_due, situation.credit, situation.total_paid) == (0, 0, Decimal("17.50"))
    with pytest.raises(DomainError, match="remboursée"):
        corrections.void_payment(payment=payment, reason="x", acting_user=None)


def test_partial_credit_notes_refuse_more_than_is_owed_and_can_cancel_the_rest():
    family = _family()
    invoice = _invoice(family)
    with pytest.raises(DomainError, match="ne peut dépasser"):
        corrections.issue_partial_credit_note(invoice=invoice, reason="x", amount=Decimal("30.01"), acting_user=None)
    with pytest.raises(DomainError, match="pas les deux"):
        corrections.issue_partial_credit_note(invoice=invoice, reason="x", acting_user=None)
    corrections.issue_partial_credit_note(invoice=invoice, reason="Une journée", amount=Decimal("10"), acting_user=None)
    # The full credit note of a partly credited invoice takes back the rest only.
    rest = services.issue_credit_note(invoice=invoice, reason="Annulation", acting_user=None)
    invoice.refresh_from_db()
    assert rest.total == Decimal("-20.00") and invoice.status == InvoiceStatus.CREDITED
    assert sum(c.total for c in Invoice.objects.filter(credited_invoice=invoice)) == Decimal("-30.00")
    assert family_situation(family).total_due == 0


# --- Back office -----------------------------------------------------------------------


def test_void_page_and_partial_credit_page(tenant_a):
    org = tenant_a.organisation
    family = tenant_a.family_user.family
    invoice = _invoice(family)
    payment = _pay(family, "30.00")
    admin = client_for(tenant_a.admin)
    url = tenant_a.url(f"gestion/facturation/reglements/{payment.pk}/annuler/")
    page = page_text(admin.get(url))
    assert invoice.number in page and "Annuler ce règlement" in page
    response = admin.post(url, {"reason": ""})
    assert response.status_code == 400
    response = admin.post(url, {"reason": "Chèque revenu impayé"})
    assert response.status_code == 302
    statement = page_text(admin.get(tenant_a.url(f"gestion/facturation/familles/{family.pk}/")))
    assert "Annulé" in statement and "Chèque revenu impayé" in statement
    payments_csv = admin.get(tenant_a.url("gestion/facturation/reglements/?format=csv")).content.decode("utf-8-sig")
    assert "Annulé le" in payments_csv.splitlines()[0]
    assert payments_csv.splitlines()[1].split(";")[-1] != ""
    url = tenant_a.url(f"gestion/facturation/factures/{invoice.pk}/avoir-partiel/")
    assert "Journée 20" in page_text(admin.get(url))
    response = admin.post(url, {"amount": "1,50", "reason": "Goûter non servi"})
    assert response.status_code == 302, page_text(response)
    invoice.refresh_from_db()
    assert invoice.amount_credited == Decimal("1.50")
    twenty = invoice.lines.get(amount=Decimal("20.00"))
    response = admin.post(url, {"amount": "1", "lines": [str(twenty.pk)], "reason": "x"})
    assert response.status_code == 400 and "pas les deux" in page_text(response)
    response = admin.post(url, {"lines": [str(twenty.pk)], "reason": "Journée annulée"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.amount_credited == Decimal("21.50") and invoice.balance == Decimal("8.50")
    assert org.pk == invoice.organisation_id


def test_posted_line_ids_of_another_invoice_are_refused(tenant_a):
    family = tenant_a.family_user.family
    invoice = _invoice(family)
    foreign = _invoice(FamilyFactory(organisation=OrganisationFactory()))
    admin = client_for(tenant_a.admin)
    url = tenant_a.url(f"gestion/facturation/factures/{invoice.pk}/avoir-partiel/")
    response = admin.post(url, {"lines": [str(foreign.lines.first().pk)], "reason": "x"})
    assert response.status_code == 400
    assert not Invoice.objects.filter(kind="credit_note").exists()


def test_payment_desk_reads_a_comma_and_asks_to_confirm_an_amount_far_above_what_is_due(tenant_a):
    family = tenant_a.family_user.family
    invoice = _invoice(family, total="11.04", lines=("11.04",))
    admin = client_for(tenant_a.admin)
    url = tenant_a.url(f"gestion/facturation/familles/{family.pk}/")
    data = {"method": "cheque", "amount": "1 104,00", "received_on": "2026-11-30", "reference": "123"}
    response = admin.post(url, data)
    assert response.status_code == 400
    assert "dépasse de loin ce que la famille doit (11,04 €)" in page_text(response)
    assert not Payment.objects.exists()
    response = admin.post(url, {**data, "amount": "11,04"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    response = admin.post(url, {**data, "amount": "200.00", "confirm_amount": "on"})
    assert response.status_code == 302  # confirmed: recorded, and kept as credit
    assert family_situation(family).credit == Decimal("200.00")
