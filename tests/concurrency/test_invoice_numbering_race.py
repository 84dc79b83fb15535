"""Several invoice runs, credit notes and payments issued at the same instant in one
organisation: numbers stay gapless and unique (the counter row is locked inside each
issuing transaction). Meaningful on PostgreSQL; SQLite serialises writers anyway."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django_scopes import scopes_disabled

from ribambelle.billing import services
from ribambelle.billing.models import Invoice, InvoiceKind, Payment
from ribambelle.core.exceptions import DomainError

from ..factories import (
    ActivityFactory,
    BookingFactory,
    FamilyFactory,
    GroupFactory,
    OpeningFactory,
    OrganisationFactory,
    PersonFactory,
    RegistrationFactory,
    TariffFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

RUNS = 6
FAMILIES_PER_RUN = 5
START = date(2026, 2, 2)


def _threads(targets):
    barrier = threading.Barrier(len(targets))
    errors = []

    def wrap(target):
        try:
            barrier.wait(timeout=30)
            with scopes_disabled():  # a new thread does not inherit the test's scopes_disabled()
                target()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_concurrent_runs_credit_notes_and_payments_number_without_gaps():
    organisation = OrganisationFactory()
    activity = ActivityFactory(organisation=organisation, start_date=START, end_date=START + timedelta(days=40))
    unit = UnitFactory(organisation=organisation, activity=activity)
    group = GroupFactory(organisation=organisation, activity=activity)
    TariffFactory(organisation=organisation, activity=activity, flat_price=Decimal("7.00"))
    runs = []
    for r in range(RUNS):
        day = START + timedelta(days=r)
        opening = OpeningFactory(organisation=organisation, activity=activity, unit=unit, group=group, date=day)
        for _ in range(FAMILIES_PER_RUN):
            family = FamilyFactory(organisation=organisation)
            child = PersonFactory(organisation=organisation, family=family)
            registration = RegistrationFactory(
                organisation=organisation, family=family, child=child, group=group, activity=activity
            )
            BookingFactory(
                organisation=organisation,
                family=family,
                registration=registration,
                child=child,
                opening=opening,
                activity=activity,
                date=day,
            )
        runs.append(services.create_run(organisation=organisation, period_start=day, period_end=day, acting_user=None))
    # A period with nothing to invoice makes no run (no empty run to issue alongside the others).
    with pytest.raises(DomainError):
        services.create_run(
            organisation=organisation,
            period_start=START + timedelta(days=30),
            period_end=START + timedelta(days=30),
            acting_user=None,
        )
    errors = _threads([lambda run=run: services.process_run(run_id=run.pk, batch_size=2) for run in runs])
    assert errors == []
    invoices = Invoice.objects.filter(organisation=organisation, kind=InvoiceKind.INVOICE)
    assert sorted(invoices.values_list("sequence", flat=True)) == list(range(1, RUNS * FAMILIES_PER_RUN + 1))

    to_credit = list(invoices.order_by("sequence")[:6])
    to_pay = list(invoices.order_by("sequence")[6:12])
    targets = [
        lambda inv=inv: services.issue_credit_note(invoice=inv, reason="Erreur", acting_user=None) for inv in to_credit
    ] + [
        lambda inv=inv: services.record_payment(
            family=inv.family, method="cash", amount=Decimal("7"), received_on=START, acting_user=None
        )
        for inv in to_pay
    ]
    errors = _threads(targets)
    assert errors == []
    credits = Invoice.objects.filter(organisation=organisation, kind=InvoiceKind.CREDIT_NOTE)
    assert sorted(credits.values_list("sequence", flat=True)) == list(range(1, 7))
    receipts = sorted(int(n.split("-")[1]) for n in Payment.objects.values_list("receipt_number", flat=True))
    assert receipts == list(range(1, 7))
