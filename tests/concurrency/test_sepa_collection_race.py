"""Two SEPA collections made at the same instant: every invoice is in exactly one file (the
second waits for the first, then finds nothing left), and two voids of one payment undo its
allocations once. Meaningful on PostgreSQL; SQLite serialises writers anyway."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.utils import timezone
from django_scopes import scopes_disabled

from ribambelle.billing import corrections, services
from ribambelle.billing.models import BillingSettings, Invoice
from ribambelle.billing.sepa_collections import create_collection
from ribambelle.billing.sepa_models import SepaCollection, SepaCollectionLine

from ..factories import FamilyFactory, InvoiceFactory, OrganisationFactory, SepaMandateFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _together(*targets):
    barrier = threading.Barrier(len(targets))
    outcomes = []

    def wrap(target):
        try:
            barrier.wait(timeout=30)
            with scopes_disabled():
                outcomes.append(target())
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_two_collections_at_once_never_take_an_invoice_twice():
    organisation = OrganisationFactory()
    BillingSettings.objects.create(
        organisation=organisation,
        sepa_creditor_id="FR72ZZZ123456",
        sepa_iban="FR7630006000011234567890189",
        sepa_bic="AGRIFRPPXXX",
    )
    for _ in range(5):
        family = FamilyFactory(organisation=organisation)
        SepaMandateFactory(organisation=organisation, family=family)
        InvoiceFactory(organisation=organisation, family=family)
    day = timezone.localdate() + timedelta(days=20)

    def make():
        return create_collection(organisation=organisation, collection_date=day, acting_user=None)

    outcomes = _together(make, make)
    made = [o for o in outcomes if isinstance(o, SepaCollection)]
    refused = [o for o in outcomes if not isinstance(o, SepaCollection)]
    assert len(made) == 1 and "Aucune facture à prélever" in str(refused[0])
    assert SepaCollectionLine.objects.filter(organisation=organisation).count() == 5


def test_two_voids_of_one_payment_undo_it_once():
    organisation = OrganisationFactory()
    family = FamilyFactory(organisation=organisation)
    invoice = InvoiceFactory(organisation=organisation, family=family, total=Decimal("30.00"))
    with scopes_disabled():
        payment = services.record_payment(
            family=family, method="cheque", amount=Decimal("30.00"), received_on=timezone.localdate(), acting_user=None
        )

    def void():
        return corrections.void_payment(payment=payment, reason="Erreur", acting_user=None)

    outcomes = _together(void, void)
    assert sum(1 for o in outcomes if isinstance(o, Exception)) == 1
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("0.00")
