"""PayZen end to end against the local double, over real HTTP: our signed form is posted by the
browser to the double, which checks its signature; the family pays; the double notifies our
URL and sends the browser back, both with an answer signed as PayZen signs it (HMAC-SHA-256 of
the vads_* values and the shop's key). Forged, replayed and wrong-amount answers change nothing."""

import re
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from ribambelle.accounts.consent import record_consents
from ribambelle.billing.models import InvoiceStatus, Payment
from ribambelle.payments.doubles.payzen import sign
from ribambelle.payments.models import OnlineTransaction, TransactionStatus

from . import payment_doubles
from .conftest import client_for, page_text
from .factories import InvoiceFactory, ProviderConfigFactory
from .payment_doubles import PAYZEN_KEY, PAYZEN_SITE, http_request, local_path

payzen_double = payment_doubles.payzen_double  # the fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def parent(tenant_a, live_server):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    client = client_for(tenant_a.family_user)
    client.defaults["HTTP_HOST"] = urlsplit(live_server.url).netloc
    return client


@pytest.fixture
def invoice(tenant_a):
    ProviderConfigFactory(
        organisation=tenant_a.organisation,
        kind="payzen",
        options={"vads_site_id": PAYZEN_SITE, "secret_test": PAYZEN_KEY, "vads_ctx_mode": "TEST"},
    )
    return InvoiceFactory(
        organisation=tenant_a.organisation, family=tenant_a.family_user.family, total=Decimal("42.50")
    )


def _form_fields(html: str) -> dict[str, str]:
    """The provider form's fields (not the page's other forms)."""
    return {
        unescape(name): unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
        if name.startswith("vads_") or name == "signature"
    }


def _pay(parent, tenant_a, invoice, double, choice="payer"):
    response = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'action="{double.service_url}"' in html
    fields = _form_fields(html)
    assert fields["vads_amount"] == "4250" and fields["vads_site_id"] == PAYZEN_SITE
    status, _location, page = http_request("POST", double.service_url, fields)  # the browser posts the form
    assert status == 200 and "42,50 €" in page, page
    reference = re.search(r'name="reference" value="([^"]+)"', page).group(1)
    status, back, _page = http_request("POST", double.service_url, {"reference": reference, "choix": choice})
    assert status == 303
    return fields, back


def test_paid_end_to_end_with_a_correctly_signed_answer(parent, tenant_a, invoice, payzen_double):
    _fields, back = _pay(parent, tenant_a, invoice, payzen_double)
    assert [status for _ref, status in payzen_double.notifications] == [200]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    tx = OnlineTransaction.objects.get()
    assert tx.status == TransactionStatus.PAID and tx.payment.amount == Decimal("42.50")
    # The browser comes back with the same signed answer: thanked, still one payment.
    response = parent.get(local_path(back), follow=True)
    assert "paiement de la facture" in page_text(response)
    assert Payment.objects.count() == 1
    assert parent.get(tenant_a.url(f"mes-factures/recus/{tx.payment_id}/"))["Content-Type"] == "application/pdf"


def test_refused_leaves_the_invoice_due(parent, tenant_a, invoice, payzen_double):
    _fields, back = _pay(parent, tenant_a, invoice, payzen_double, choice="refuser")
    assert "refusé" in page_text(parent.get(local_path(back), follow=True))
    assert OnlineTransaction.objects.get().status == TransactionStatus.REFUSED
    assert not Payment.objects.exists()


def test_forged_replayed_and_wrong_amount_answers_change_nothing(client, parent, tenant_a, invoice, payzen_double):
    payzen_double.notify = False  # we post the answers ourselves
    _fields, back = _pay(parent, tenant_a, invoice, payzen_double)
    answer = {k: v[0] for k, v in parse_qs(urlsplit(back).query, keep_blank_values=True).items()}
    notify = tenant_a.url("paiement/notification/payzen/")

    def post(fields):
        return client.post(notify, urlencode(fields), content_type="application/x-www-form-urlencoded").status_code

    # Forged: signed with another key; the genuine signature on altered fields.
    assert post({**answer, "signature": sign(answer, "une-autre-cle")}) == 400
    assert post({**answer, "vads_amount": "1"}) == 400
    # Correctly signed (the shop's key leaked?) but for 0,01 €: refused, flagged for staff.
    cheap = {**answer, "vads_amount": "1"}
    cheap["signature"] = sign(cheap, PAYZEN_KEY)
    assert post(cheap) == 400
    tx = OnlineTransaction.objects.get()
    assert tx.status == TransactionStatus.PENDING and "0,01" in tx.anomaly
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DUE
    # The genuine answer, then replays: one payment.
    for _ in range(3):
        assert post(answer) == 200
    assert Payment.objects.count() == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_a_second_payer_sends_the_same_signed_form(parent, tenant_a, invoice, payzen_double):
    first = _form_fields(parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/")).content.decode())
    second = _form_fields(parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/")).content.decode())
    assert first == second and first["vads_trans_id"]
    assert OnlineTransaction.objects.count() == 1
