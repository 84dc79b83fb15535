"""Payments are recorded once: the payments desk form carries a one-time token (a double click
records one payment and one receipt, also when both requests arrive at the same instant, on
PostgreSQL); "Payer" on the portal reuses the family's pending transaction; the demo provider
is never offered in production and its simulated bank answers only the family's own payment."""

import os
import subprocess
import sys
import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.utils import timezone
from django_scopes import scopes_disabled

from ribambelle.accounts.consent import record_consents
from ribambelle.billing.models import Payment
from ribambelle.outbox.models import OutgoingEmail
from ribambelle.payments.models import OnlineTransaction, PaymentFormToken, TransactionStatus
from ribambelle.payments.providers.registry import choices

from .conftest import client_for, page_text
from .factories import InvoiceFactory, ProviderConfigFactory

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent requests: meaningful on PostgreSQL (DATABASE_URL)"
)


def _desk_form(token):
    return {
        "method": "cheque",
        "amount": "30.00",
        "received_on": timezone.localdate().isoformat(),
        "reference": "Chèque 1234567",
        "token": str(token),
    }


@pytest.mark.django_db
def test_the_desk_form_is_accepted_once(tenant_a, django_capture_on_commit_callbacks):
    family = tenant_a.family_user.family
    InvoiceFactory(organisation=tenant_a.organisation, family=family, total=Decimal("30"))
    admin = client_for(tenant_a.admin)
    url = tenant_a.url(f"gestion/facturation/familles/{family.pk}/")
    assert 'name="token"' in admin.get(url).content.decode()
    token = uuid.uuid4()
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(url, _desk_form(token)).status_code == 302
        response = admin.post(url, _desk_form(token), follow=True)
    assert "déjà enregistré" in page_text(response)
    payment = Payment.objects.get()
    assert PaymentFormToken.objects.get().payment == payment
    receipts = OutgoingEmail.objects.filter(template="payment_received")
    assert receipts.count() == len({r.to for r in receipts})  # one receipt per recipient, not two
    # Another form (a new token) is another payment.
    InvoiceFactory(organisation=tenant_a.organisation, family=family, total=Decimal("30"))
    assert admin.post(url, _desk_form(uuid.uuid4())).status_code == 302
    assert Payment.objects.count() == 2


@pytest.mark.django_db
def test_a_refused_submission_can_be_corrected_and_sent_again_with_its_token(tenant_a):
    family = tenant_a.family_user.family
    admin = client_for(tenant_a.admin)
    url = tenant_a.url(f"gestion/facturation/familles/{family.pk}/")
    token = uuid.uuid4()
    assert admin.post(url, {**_desk_form(token), "amount": "0"}).status_code == 400
    assert admin.post(url, _desk_form(token)).status_code == 302
    assert Payment.objects.count() == 1


def _together(targets):
    barrier = threading.Barrier(len(targets))
    results, errors = [], []

    def wrap(target):
        try:
            barrier.wait(timeout=30)
            with scopes_disabled():
                results.append(target())
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_desk_submissions_record_one_payment(tenant_a):
    family = tenant_a.family_user.family
    InvoiceFactory(organisation=tenant_a.organisation, family=family, total=Decimal("30"))
    url = tenant_a.url(f"gestion/facturation/familles/{family.pk}/")
    token = uuid.uuid4()
    clients = [client_for(tenant_a.admin) for _ in range(2)]
    results, errors = _together([lambda c=c: c.post(url, _desk_form(token)).status_code for c in clients])
    assert not errors and results == [302, 302]
    assert Payment.objects.count() == 1
    assert PaymentFormToken.objects.get().payment == Payment.objects.get()


@pytest.fixture
def parent(tenant_a):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    return client_for(tenant_a.family_user)


@pytest.mark.django_db
def test_two_clicks_on_payer_make_one_pending_transaction(tenant_a, parent):
    ProviderConfigFactory(organisation=tenant_a.organisation, kind="dummy")
    invoice = InvoiceFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    first = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"))["Location"]
    second = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"))["Location"]
    assert first == second
    assert OnlineTransaction.objects.filter(status=TransactionStatus.PENDING).count() == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_clicks_on_payer_make_one_pending_transaction(tenant_a):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    ProviderConfigFactory(organisation=tenant_a.organisation, kind="dummy")
    invoice = InvoiceFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    url = tenant_a.url(f"mes-factures/{invoice.pk}/payer/")
    clients = [client_for(tenant_a.family_user) for _ in range(2)]
    results, errors = _together([lambda c=c: c.post(url)["Location"] for c in clients])
    assert not errors and len(set(results)) == 1
    assert OnlineTransaction.objects.count() == 1


@pytest.mark.django_db
def test_the_simulated_bank_answers_only_the_familys_own_transaction(tenant_a, parent):
    ProviderConfigFactory(organisation=tenant_a.organisation, kind="dummy")
    other_family = tenant_a.other_family_user.family
    invoice = InvoiceFactory(organisation=tenant_a.organisation, family=other_family, total=Decimal("20"))
    record_consents(user=tenant_a.other_family_user, personal=True, health=True)
    other = client_for(tenant_a.other_family_user)
    other.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"))
    tx = OnlineTransaction.objects.get()
    bank = tenant_a.url("paiement/simulation/")
    assert parent.get(bank, {"transaction_id": tx.transaction_id}).status_code == 404
    data = {"transaction_id": tx.transaction_id, "amount": "20.00", "result": "ok"}
    assert parent.post(bank, data).status_code == 404
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.PENDING and not Payment.objects.exists()


def test_production_settings_do_not_offer_the_demo_provider(tmp_path):
    env = {
        **os.environ,
        "RIBAMBELLE_PRODUCTION": "1",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "example.org",
        "DATABASE_URL": "postgres://u:p@127.0.0.1:1/x",
        "RIBAMBELLE_VAR_DIR": str(tmp_path),
    }
    env.pop("PAYMENT_PROVIDERS", None)
    code = "from ribambelle.config import settings; print(','.join(settings.PAYMENT_PROVIDERS))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "payfip,payzen"


@pytest.mark.django_db
def test_a_provider_not_offered_is_neither_listed_nor_usable(settings, tenant_a, parent):
    settings.PAYMENT_PROVIDERS = ["payfip", "payzen"]
    assert "dummy" not in dict(choices())
    ProviderConfigFactory(organisation=tenant_a.organisation, kind="dummy")
    invoice = InvoiceFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family)
    response = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"), follow=True)
    assert "n'est pas proposé" in page_text(response)
    assert not OnlineTransaction.objects.exists()
