"""PayFiP end to end against the local double, over real HTTP both ways: our site asks the
double's web service for an idOp, the family pays on the double's page, the double calls our
notification URL with `idOp` (as PayFiP spells it) and sends the browser back; every answer
is confirmed with the double's state query. P5 ("paiement non finalisé") stays pending until
a final answer; forged, replayed and wrong-amount answers change nothing."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
import time_machine
from django.utils import timezone

from ribambelle.accounts.consent import record_consents
from ribambelle.billing.models import InvoiceStatus, Payment
from ribambelle.payments import services
from ribambelle.payments.models import OnlineTransaction, TransactionStatus
from ribambelle.payments.providers.payfip import normalise_answer

from . import payment_doubles
from .conftest import client_for, page_text
from .factories import InvoiceFactory, ProviderConfigFactory
from .payment_doubles import http_request, local_path

payfip_double = payment_doubles.payfip_double  # the fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server):
    """Our site as PayFiP's server reaches it (the live server's address)."""
    return urlsplit(live_server.url).netloc


@pytest.fixture
def parent(tenant_a, site):
    record_consents(user=tenant_a.family_user, personal=True, health=True)
    client = client_for(tenant_a.family_user)
    client.defaults["HTTP_HOST"] = site  # the URLs given to PayFiP point to the live server
    return client


@pytest.fixture
def invoice(tenant_a):
    organisation = tenant_a.organisation
    ProviderConfigFactory(organisation=organisation, kind="payfip", options={"numcli": "123456", "saisie": "T"})
    return InvoiceFactory(organisation=organisation, family=tenant_a.family_user.family, total=Decimal("42.50"))


def _pay(parent, tenant_a, invoice, double, choice="payer"):
    """Click "Payer", then choose at PayFiP; returns (idOp, the address the browser is sent back to)."""
    response = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(double.payment_url + "?idop=")
    idop = location.split("idop=", 1)[1]
    status, _location, body = http_request("GET", location)
    assert status == 200 and "42,50 €" in body
    status, back, _body = http_request("POST", double.payment_url, {"idop": idop, "choix": choice})
    assert status == 303 and f"idOp={idop}" in back
    return idop, back


def test_paid_end_to_end_with_the_notification_as_payfip_sends_it(parent, tenant_a, invoice, payfip_double):
    idop, back = _pay(parent, tenant_a, invoice, payfip_double)
    tx = OnlineTransaction.objects.get()
    assert (tx.provider, tx.transaction_id, tx.amount) == ("payfip", idop, Decimal("42.50"))
    created = payfip_double.payments[idop]
    assert created["montant"] == "4250" and created["numcli"] == "123456" and created["saisie"] == "T"
    assert created["urlnotif"].endswith(f"/{tenant_a.organisation.slug}/paiement/notification/payfip/")
    # PayFiP called our notification with `idOp`: accepted (it used to answer 400).
    assert payfip_double.notifications == [(idop, 200)]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    payment = Payment.objects.get()
    assert (payment.method, payment.amount) == ("online", Decimal("42.50"))
    # The browser comes back: a replay of the same answer, one payment still.
    response = parent.get(local_path(back), follow=True)
    assert "paiement de la facture" in page_text(response)
    assert Payment.objects.count() == 1
    assert parent.get(tenant_a.url(f"mes-factures/recus/{payment.pk}/"))["Content-Type"] == "application/pdf"


def test_refused_leaves_the_invoice_due(parent, tenant_a, invoice, payfip_double):
    _idop, back = _pay(parent, tenant_a, invoice, payfip_double, choice="refuser")
    assert OnlineTransaction.objects.get().status == TransactionStatus.REFUSED
    assert "refusé" in page_text(parent.get(local_path(back), follow=True))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DUE and not Payment.objects.exists()


def test_abandoned_is_pending_a_moment_then_cancelled(parent, tenant_a, invoice, payfip_double):
    _pay(parent, tenant_a, invoice, payfip_double, choice="abandonner")
    # eopayment keeps an "A" pending for 2 minutes (the idOp is still alive at PayFiP).
    assert OnlineTransaction.objects.get().status == TransactionStatus.PENDING
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert services.recheck_pending() == 1
    assert OnlineTransaction.objects.get().status == TransactionStatus.CANCELLED
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DUE


def test_p5_not_finished_then_paid_ends_paid(parent, tenant_a, invoice, payfip_double):
    payfip_double.defer = True  # PayFiP answers P5 and sends no notification yet
    idop, back = _pay(parent, tenant_a, invoice, payfip_double)
    response = parent.get(local_path(back), follow=True)
    assert "en cours de traitement" in page_text(response)
    tx = OnlineTransaction.objects.get()
    assert tx.status == TransactionStatus.PENDING and tx.checked_at is not None
    # A notification now (forged or early) is asked about: still P5, still pending, nothing paid.
    assert payfip_double.send_notification(idop) == 200
    assert services.recheck_pending(now=timezone.now() + timedelta(minutes=6)) == 0
    assert OnlineTransaction.objects.get().status == TransactionStatus.PENDING
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DUE
    # PayFiP finishes; its notification is lost: the periodic job asks and settles.
    payfip_double.complete(idop, "P")
    assert services.recheck_pending(now=timezone.now() + timedelta(minutes=12)) == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    # The late notification and the family's return change nothing more.
    assert payfip_double.send_notification(idop) == 200
    parent.get(local_path(back))
    assert Payment.objects.count() == 1


def test_forged_and_replayed_notifications_change_nothing(client, parent, tenant_a, invoice, payfip_double):
    idop, _back = _pay(parent, tenant_a, invoice, payfip_double)
    assert Payment.objects.count() == 1
    notify = tenant_a.url("paiement/notification/payfip/")
    # Replays: 200, nothing new.
    for _ in range(3):
        assert client.post(notify, f"idOp={idop}", content_type="application/x-www-form-urlencoded").status_code == 200
    assert Payment.objects.count() == 1
    # Forged: an idOp PayFiP does not know, nothing at all, claims PayFiP never makes.
    for body in ("idOp=00000000-0000-0000-0000-000000000000", "", "resultrans=P&montant=4250"):
        assert client.post(notify, body, content_type="application/x-www-form-urlencoded").status_code == 400
    assert Payment.objects.count() == 1


def test_a_pending_idop_claimed_paid_is_asked_and_stays_pending(client, parent, tenant_a, invoice, payfip_double):
    response = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"))
    idop = response["Location"].split("idop=", 1)[1]
    notify = tenant_a.url("paiement/notification/payfip/")
    body = f"idOp={idop}&resultrans=P&montant=4250"  # the family never paid: PayFiP says P5
    assert client.post(notify, body, content_type="application/x-www-form-urlencoded").status_code == 200
    assert OnlineTransaction.objects.get().status == TransactionStatus.PENDING
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DUE


def test_an_amount_other_than_the_invoice_is_refused_and_shown_to_staff(tenant_a, parent, invoice, payfip_double):
    payfip_double.reported_amount = "100"  # PayFiP reports 1,00 € paid
    idop, _back = _pay(parent, tenant_a, invoice, payfip_double)
    assert payfip_double.notifications == [(idop, 400)]
    tx = OnlineTransaction.objects.get()
    assert tx.status == TransactionStatus.PENDING and "1,00" in tx.anomaly and "42,50" in tx.anomaly
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.DUE and not Payment.objects.exists()
    staff = client_for(tenant_a.admin)
    listing = page_text(staff.get(tenant_a.url("gestion/facturation/paiements-en-ligne/?anomalie=1")))
    assert "1 réponse de la banque a été refusée" in listing and invoice.number in listing


def test_a_second_payer_reuses_the_pending_payment(parent, tenant_a, invoice, payfip_double):
    first = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"))["Location"]
    second = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"))["Location"]
    assert first == second
    assert OnlineTransaction.objects.count() == 1 and len(payfip_double.payments) == 1


def test_an_old_pending_payment_is_asked_then_replaced(parent, tenant_a, invoice, payfip_double):
    first = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"))["Location"]
    with time_machine.travel(timezone.now() + timedelta(hours=3)):  # the idOp died at PayFiP (P5 for 2 h)
        second = parent.post(tenant_a.url(f"mes-factures/{invoice.pk}/payer/"))["Location"]
    assert first != second
    assert sorted(OnlineTransaction.objects.values_list("status", flat=True)) == ["cancelled", "pending"]


def test_the_idop_parameter_is_read_as_payfip_spells_it():
    assert normalise_answer("idOp=abc") == "idop=abc"
    assert normalise_answer("idop=abc") == "idop=abc"
    assert normalise_answer("") == ""


def test_staff_see_the_notification_url_and_the_right_modes(tenant_a, settings):
    staff = client_for(tenant_a.admin)
    text = page_text(staff.get(tenant_a.url("gestion/facturation/reglages/")))
    assert f"/{tenant_a.organisation.slug}/paiement/notification/payfip/" in text
    assert "T : test, X : activation, W : production" in text
