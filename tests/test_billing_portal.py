"""Portal "Mes factures" and online payment through the dummy provider."""

import io
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from pypdf import PdfReader

from ribambelle.accounts.consent import record_consents
from ribambelle.billing.models import BillingSettings, Invoice, InvoiceStatus, Payment
from ribambelle.payments.models import OnlineTransaction, TransactionStatus
from ribambelle.payments.providers.dummy import signed_answer

from .conftest import client_for, page_text
from .factories import InvoiceFactory, InvoiceLineFactory, ProviderConfigFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def parent(tenant_a):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    return client_for(tenant_a.family_user)


@pytest.fixture
def invoice(tenant_a):
    family = tenant_a.family_user.family
    invoice = InvoiceFactory(organisation=tenant_a.organisation, family=family, total=Decimal("42.50"))
    InvoiceLineFactory(
        organisation=tenant_a.organisation, family=family, invoice=invoice, child_name="Léa", activity_name="ALSH"
    )
    return invoice


def test_situation_and_invoices_to_pay_by_default(parent, tenant_a, invoice):
    paid = InvoiceFactory(
        organisation=tenant_a.organisation,
        family=invoice.family,
        total=Decimal("10"),
        amount_paid=Decimal("10"),
        status=InvoiceStatus.PAID,
    )
    InvoiceFactory(organisation=tenant_a.organisation, family=tenant_a.other_family_user.family)
    response = parent.get(tenant_a.url("mes-factures/"))
    text = page_text(response)
    assert response.status_code == 200
    assert "42,50" in text and "Reste à payer" in text
    assert invoice.number in text
    assert paid.number not in text
    assert paid.number in page_text(parent.get(tenant_a.url("mes-factures/?statut=payees")))
    assert "Mes factures" in text


def test_invoice_list_query_count_does_not_grow(parent, tenant_a, django_assert_max_num_queries):
    for _ in range(30):
        InvoiceFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    with django_assert_max_num_queries(25):
        assert parent.get(tenant_a.url("mes-factures/?statut=toutes")).status_code == 200


def test_detail_and_pdf(parent, tenant_a, invoice):
    text = page_text(parent.get(tenant_a.url(f"mes-factures/{invoice.pk}/")))
    assert "Léa – ALSH" in text
    response = parent.get(tenant_a.url(f"mes-factures/{invoice.pk}/pdf/"))
    assert response["Content-Type"] == "application/pdf"
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert invoice.number in pdf_text
    assert "42,50" in pdf_text


def test_without_online_payment_the_organisation_instructions_are_shown(parent, tenant_a, invoice):
    BillingSettings.objects.create(
        organisation=tenant_a.organisation, payment_instructions="À régler auprès du Trésor public."
    )
    text = page_text(parent.get(tenant_a.url(f"mes-factures/{invoice.pk}/")))
    assert "Trésor public" in text
    assert "Payer" not in text
    response = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"))
    assert response.status_code == 302
    assert not OnlineTransaction.objects.exists()


def _start(parent, tenant_a, invoice):
    ProviderConfigFactory(organisation=tenant_a.organisation, kind="dummy")
    response = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"))
    assert response.status_code == 302
    location = response["Location"]
    assert "/paiement/simulation/" in location
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    return query


def test_dummy_payment_end_to_end(parent, tenant_a, invoice):
    query = _start(parent, tenant_a, invoice)
    assert query["amount"] == "42.50"
    bank = parent.get(tenant_a.url("paiement/simulation/"), query)
    assert "Valider le paiement" in page_text(bank)
    response = parent.post(
        tenant_a.url("paiement/simulation/"),
        {"transaction_id": query["transaction_id"], "amount": "42.50", "result": "ok"},
        follow=True,
    )
    assert "paiement de la facture" in page_text(response)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    payment = Payment.objects.get()
    assert payment.method == "online"
    receipt = parent.get(tenant_a.url(f"mes-factures/recus/{payment.pk}/"))
    assert receipt["Content-Type"] == "application/pdf"


def test_refused_and_cancelled_payments_leave_the_invoice_due(parent, tenant_a, invoice):
    for result, words in (("refused", "refusé"), ("cancelled", "annulé")):
        query = _start(parent, tenant_a, invoice)
        response = parent.post(
            tenant_a.url("paiement/simulation/"),
            {"transaction_id": query["transaction_id"], "amount": "42.50", "result": result},
            follow=True,
        )
        assert words in page_text(response)
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.DUE
    assert not Payment.objects.exists()


def test_notification_is_idempotent_and_forged_ones_change_nothing(client, parent, tenant_a, invoice):
    query = _start(parent, tenant_a, invoice)
    tx_id = query["transaction_id"]
    notify = tenant_a.url("paiement/notification/dummy/")
    org_id = tenant_a.organisation.pk

    # Forged: no signature, a wrong signature, a signature for another amount, an unknown transaction.
    forged = [
        f"transaction_id={tx_id}&amount=42.50&ok=1&signed=1",
        signed_answer(org_id, tx_id, "42.50", "ok").replace("signature=", "signature=00"),
        signed_answer(org_id, tx_id, "0.01", "ok"),
        signed_answer(org_id, "unknown", "42.50", "ok"),
        signed_answer(tenant_a.organisation.pk + 999, tx_id, "42.50", "ok"),
    ]
    for body in forged:
        response = client.post(notify, body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 400
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DUE
    assert OnlineTransaction.objects.get().status == TransactionStatus.PENDING

    genuine = signed_answer(org_id, tx_id, "42.50", "ok")
    for _ in range(3):  # the bank notifies, retries, and the browser comes back too
        assert client.post(notify, genuine, content_type="application/x-www-form-urlencoded").status_code == 200
    parent.get(tenant_a.url("paiement/retour/dummy/") + "?" + genuine)
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == (InvoiceStatus.PAID, Decimal("42.50"))
    # A late "refused" replay of the same transaction changes nothing either.
    refused = signed_answer(org_id, tx_id, "42.50", "refused")
    client.post(notify, refused, content_type="application/x-www-form-urlencoded")
    assert OnlineTransaction.objects.get().status == TransactionStatus.PAID


def test_notification_to_another_organisation_changes_nothing(client, parent, tenant_a, tenant_b, invoice):
    query = _start(parent, tenant_a, invoice)
    ProviderConfigFactory(organisation=tenant_b.organisation, kind="dummy")
    body = signed_answer(tenant_b.organisation.pk, query["transaction_id"], "42.50", "ok")
    response = client.post(
        tenant_b.url("paiement/notification/dummy/"), body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.DUE


def test_payzen_sends_the_family_to_its_signed_payment_form(parent, tenant_a, invoice, settings):
    ProviderConfigFactory(
        organisation=tenant_a.organisation,
        kind="payzen",
        options={"vads_site_id": "12345678", "secret_test": "abc", "vads_ctx_mode": "TEST"},
    )
    response = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"))
    assert response.status_code == 200
    assert "payzen" in response.content.decode() and 'name="signature"' in response.content.decode()
    service = urlsplit(settings.PAYZEN_SERVICE_URL)
    assert f"{service.scheme}://{service.netloc}" in response["Content-Security-Policy"]
    tx = OnlineTransaction.objects.get()
    assert (tx.provider, tx.amount, tx.status) == ("payzen", Decimal("42.50"), TransactionStatus.PENDING)
    # An answer with a wrong signature changes nothing.
    body = f"vads_trans_id={tx.transaction_id}&vads_result=00&vads_amount=4250&signature=forged"
    notify = tenant_a.url("paiement/notification/payzen/")
    response = parent.post(notify, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DUE


def test_payfip_answers_are_confirmed_with_payfip_so_forgeries_change_nothing(parent, tenant_a, invoice, settings):
    settings.PAYFIP_WSDL_URL = "http://127.0.0.1:9/tpa/services/securite?wsdl"  # nothing listens there
    ProviderConfigFactory(organisation=tenant_a.organisation, kind="payfip", options={"numcli": "123456"})
    # No PayFiP server reachable here: the family is told, nothing is recorded.
    response = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"), follow=True)
    assert "ne répond pas" in page_text(response)
    assert not OnlineTransaction.objects.exists()
    # A notification claiming success is checked with PayFiP (unreachable): refused.
    from .factories import OnlineTransactionFactory

    tx = OnlineTransactionFactory(
        organisation=tenant_a.organisation, family=invoice.family, invoice=invoice, provider="payfip"
    )
    notify = tenant_a.url("paiement/notification/payfip/")
    body = f"idop={tx.transaction_id}&resultrans=P&montant=4250"
    assert parent.post(notify, body, content_type="application/x-www-form-urlencoded").status_code == 400
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DUE


def test_family_without_quotient_is_told_why_it_pays_the_highest_rate(parent, tenant_a, invoice):
    from .factories import QuotientBracketFactory

    QuotientBracketFactory(organisation=tenant_a.organisation, upper_bound=Decimal("600"))
    QuotientBracketFactory(organisation=tenant_a.organisation, upper_bound=None)
    text = page_text(parent.get(tenant_a.url("mes-factures/")))
    assert "Quotient familial non renseigné : tarif de la tranche la plus haute." in text
    family = tenant_a.family_user.family
    family.family_quotient = Decimal("450")
    family.family_quotient_date = invoice.issue_date
    family.save()
    assert "tranche la plus haute" not in page_text(parent.get(tenant_a.url("mes-factures/")))
